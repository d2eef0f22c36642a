/**
 * The push relay against the real Pub/Sub emulator: it delivers a subscription's messages as Pub/Sub push does (the
 * body, the acknowledging answers), `concurrency` at once where the emulator's own push gives 2, and what is not
 * acknowledged is delivered again and dead-lettered under the subscription's own policies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub, type Message, type Topic } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPubsubEmulator, type GcloudEmulator } from '../../emulators/gcloud.ts';
import { pushConcurrency, startPushRelay, type PushRelay } from '../../emulators/push-relay.ts';
import { waitFor } from '../support/wait.ts';

const PROJECT = 'push-relay-test';

interface Pushed {
  path: string;
  body: { message: { data: string; attributes?: Record<string, string>; messageId: string; publishTime: string }; subscription: string; deliveryAttempt?: number };
}

/** An endpoint that hands each push to `answer` and records it, with how many were open at once. */
async function endpoint(answer: (push: Pushed, res: ServerResponse) => void): Promise<{ url: string; got: Pushed[]; peak: () => number; server: Server }> {
  const got: Pushed[] = [];
  let open = 0;
  let peak = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const push = { path: req.url ?? '', body: JSON.parse(text) as Pushed['body'] };
      got.push(push);
      open += 1;
      peak = Math.max(peak, open);
      res.on('close', () => (open -= 1));
      answer(push, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, peak: () => peak, server };
}

let emulator: GcloudEmulator;
let pubsub: PubSub;
let relay: PushRelay | undefined;
let server: Server | undefined;
let n = 0;

beforeAll(async () => {
  emulator = await startPubsubEmulator({ projectId: PROJECT });
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  pubsub = new PubSub({ projectId: PROJECT });
}, 120_000);

afterEach(async () => {
  await relay?.stop();
  relay = undefined;
  server?.closeAllConnections();
  server?.close();
});

afterAll(async () => {
  await pubsub.close();
  await emulator.stop();
});

/** A topic and a pull subscription on it (as provision makes the worker subscriptions when relayed). */
async function subscribed(options: { deadLetter?: boolean } = {}): Promise<{ topic: Topic; subscription: string; deadSink?: string }> {
  n += 1;
  const [topic] = await pubsub.createTopic(`work-${n}`);
  let deadSink: string | undefined;
  if (options.deadLetter) {
    const [dead] = await pubsub.createTopic(`dead-${n}`);
    [{ name: deadSink }] = await dead.createSubscription(`dead-sink-${n}`);
  }
  await topic.createSubscription(`work-${n}`, {
    ackDeadlineSeconds: 60,
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 2 } },
    ...(options.deadLetter ? { deadLetterPolicy: { deadLetterTopic: `projects/${PROJECT}/topics/dead-${n}`, maxDeliveryAttempts: 5 } } : {}),
  });
  return { topic, subscription: `work-${n}`, ...(deadSink ? { deadSink: deadSink.split('/').pop()! } : {}) };
}

describe('startPushRelay', () => {
  it('pushes `concurrency` messages at once, each once, in the push body on the endpoint path', async () => {
    const slow = await endpoint((_push, res) => setTimeout(() => res.writeHead(204).end(), 1_500));
    server = slow.server;
    const { topic, subscription } = await subscribed();
    const concurrency = pushConcurrency(2, 1);
    relay = await startPushRelay({ projectId: PROJECT, routes: [{ subscription, endpoint: `${slow.url}/projects/${PROJECT}/topics/${topic.name.split('/').pop()}` }], concurrency });
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => topic.publishMessage({ data: Buffer.from(JSON.stringify({ i })), attributes: { taskId: `t${i}` } })));
    await waitFor('8 acknowledged pushes', async () => (relay!.stats.acked === 8 ? true : undefined));

    expect(concurrency).toBe(4);
    // more than the emulator's own 2, and never more than asked
    expect(slow.peak()).toBe(4);
    expect(relay.stats.peakOutstanding).toBe(4);
    expect(slow.got.map((p) => p.body.message.messageId).sort()).toEqual([...ids].sort());
    const first = slow.got.find((p) => p.body.message.attributes?.taskId === 't0')!;
    expect(first.path).toBe(`/projects/${PROJECT}/topics/${topic.name.split('/').pop()}`);
    expect(first.body.subscription).toBe(`projects/${PROJECT}/subscriptions/${subscription}`);
    expect(JSON.parse(Buffer.from(first.body.message.data, 'base64').toString('utf8'))).toEqual({ i: 0 });
    expect(Number.isNaN(Date.parse(first.body.message.publishTime))).toBe(false);
    // acknowledged: nothing comes again
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slow.got).toHaveLength(8);
  }, 90_000);

  it('pushes once a message that waits for a free push, or whose push takes longer than the client\'s own 10 s lease', async () => {
    // one push at a time, each answered after 12 s: the second and third message wait 12 and 24 s for theirs
    const slow = await endpoint((_push, res) => setTimeout(() => res.writeHead(204).end(), 12_000));
    server = slow.server;
    const { topic, subscription } = await subscribed();
    relay = await startPushRelay({ projectId: PROJECT, routes: [{ subscription, endpoint: `${slow.url}/` }], concurrency: 1 });
    for (let i = 0; i < 3; i++) await topic.publishMessage({ data: Buffer.from(String(i)) });
    await waitFor('3 acknowledged pushes', async () => (relay!.stats.acked === 3 ? true : undefined), 80_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slow.got.map((p) => Buffer.from(p.body.message.data, 'base64').toString()).sort()).toEqual(['0', '1', '2']);
  }, 120_000);

  it('delivers again what the endpoint did not acknowledge, and dead-letters it after the policy\'s attempts', async () => {
    // "again" fails once then takes it; "never" always answers 500
    const fails = await endpoint((push, res) => {
      const key = push.body.message.attributes?.key;
      const tries = fails.got.filter((p) => p.body.message.attributes?.key === key).length;
      res.writeHead(key === 'never' || tries === 1 ? 500 : 200).end();
    });
    server = fails.server;
    const { topic, subscription, deadSink } = await subscribed({ deadLetter: true });
    relay = await startPushRelay({ projectId: PROJECT, routes: [{ subscription, endpoint: `${fails.url}/` }], concurrency: 2 });
    await topic.publishMessage({ data: Buffer.from('a'), attributes: { key: 'again' } });
    await topic.publishMessage({ data: Buffer.from('n'), attributes: { key: 'never' } });

    const dead: Message[] = [];
    const sink = pubsub.subscription(deadSink!);
    sink.on('message', (m: Message) => {
      dead.push(m);
      m.ack();
    });
    try {
      await waitFor('a dead-lettered message', async () => (dead.length === 1 ? true : undefined));
    } finally {
      await sink.close();
    }
    const attempts = (key: string) => fails.got.filter((p) => p.body.message.attributes?.key === key).map((p) => p.body.deliveryAttempt);
    expect(attempts('again')).toEqual([1, 2]);
    expect(attempts('never')).toEqual([1, 2, 3, 4, 5]);
    expect(dead[0]!.attributes.key).toBe('never');
    expect(dead[0]!.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
  }, 90_000);

  it('a push the endpoint does not answer within the ack deadline is delivered again', async () => {
    // the emulator's shortest ack deadline is 10 s: the first push is left open past it, the second answered
    const hangs = await endpoint((_push, res) => {
      if (hangs.got.length > 1) res.writeHead(204).end();
    });
    server = hangs.server;
    n += 1;
    const [topic] = await pubsub.createTopic(`work-${n}`);
    await topic.createSubscription(`work-${n}`, { ackDeadlineSeconds: 10 });
    relay = await startPushRelay({ projectId: PROJECT, routes: [{ subscription: `work-${n}`, endpoint: `${hangs.url}/` }], concurrency: 1 });
    await topic.publishMessage({ data: Buffer.from('slow') });
    await waitFor('the second push acknowledged', async () => (relay!.stats.acked === 1 ? true : undefined));
    expect(hangs.got).toHaveLength(2);
    expect(relay.stats.nacked).toBe(1);
  }, 90_000);
});
