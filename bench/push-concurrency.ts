/**
 * bench:push-concurrency — how many pushes a subscription keeps outstanding: the Pub/Sub emulator's own push
 * subscription against the push relay the local suite uses (emulators/push-relay.ts), each to an endpoint that
 * holds every push --hold-ms before answering 204 (a worker reading a page). Same messages, same endpoint, same run.
 *
 *   npm run bench:push-concurrency -- --messages 12 --hold-ms 2000 --concurrency 4
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { startPubsubEmulator } from '../emulators/gcloud.ts';
import { startPushRelay } from '../emulators/push-relay.ts';

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '12' }, 'hold-ms': { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '4' } } });
const MESSAGES = Number(args.messages);
const HOLD_MS = Number(args['hold-ms']);
const CONCURRENCY = Number(args.concurrency);
const PROJECT = 'push-concurrency';

const emulator = await startPubsubEmulator({ projectId: PROJECT });
process.env.PUBSUB_EMULATOR_HOST = emulator.host;
const pubsub = new PubSub({ projectId: PROJECT });

/** A slow endpoint counting the pushes open at once. */
let open = 0;
let peak = 0;
let answered = 0;
const server = createServer((req, res) => {
  req.resume();
  open += 1;
  peak = Math.max(peak, open);
  setTimeout(() => {
    open -= 1;
    answered += 1;
    res.writeHead(204).end();
  }, HOLD_MS);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

/** Publishes the messages at once and waits until every push is answered: the peak of open pushes and the wall time. */
async function measure(topicName: string): Promise<{ peak: number; wallMs: number }> {
  open = peak = answered = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => pubsub.topic(topicName).publishMessage({ data: Buffer.from(String(i)) })));
  while (answered < MESSAGES) await new Promise((r) => setTimeout(r, 50));
  return { peak, wallMs: Date.now() - t0 };
}

const rows: string[] = [];
try {
  const [direct] = await pubsub.createTopic('emulator-push');
  await direct.createSubscription('emulator-push', { pushConfig: { pushEndpoint: url }, ackDeadlineSeconds: 60 });
  const emulatorPush = await measure('emulator-push');
  const [relayed] = await pubsub.createTopic('relayed-push');
  await relayed.createSubscription('relayed-push', { ackDeadlineSeconds: 60 });
  const relay = await startPushRelay({ projectId: PROJECT, routes: [{ subscription: 'relayed-push', endpoint: url }], concurrency: CONCURRENCY });
  const relayPush = await measure('relayed-push');
  await relay.stop();
  const ideal = (c: number) => Math.ceil(MESSAGES / c) * HOLD_MS;
  rows.push(`| the emulator's push subscription | ${emulatorPush.peak} | ${(emulatorPush.wallMs / 1000).toFixed(1)} s | ${(ideal(emulatorPush.peak) / 1000).toFixed(1)} s |`);
  rows.push(`| the push relay, --concurrency ${CONCURRENCY} | ${relayPush.peak} | ${(relayPush.wallMs / 1000).toFixed(1)} s | ${(ideal(relayPush.peak) / 1000).toFixed(1)} s |`);
} finally {
  server.closeAllConnections();
  server.close();
  await pubsub.close();
  await emulator.stop();
}
process.stdout.write(`Command: \`npm run bench:push-concurrency -- --messages ${MESSAGES} --hold-ms ${HOLD_MS} --concurrency ${CONCURRENCY}\` (load average ${loadavg()[0]!.toFixed(1)}).
${MESSAGES} messages published at once; the endpoint answers each push 204 after ${HOLD_MS} ms.

| pushed by | most pushes open at once | all answered in | peak-bound minimum |
|---|---|---|---|
${rows.join('\n')}
`);
