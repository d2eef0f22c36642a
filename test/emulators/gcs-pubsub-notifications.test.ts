import { createServer, type AddressInfo } from 'node:net';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFirestoreEmulator, startPubsubEmulator, type GcloudEmulator } from '../../emulators/gcloud.ts';
import { startStorageEmulator, type StorageEmulator } from '../../emulators/gcs/index.ts';

const PROJECT = 'notify-project';
// the Pub/Sub client otherwise probes for a GCE metadata server (a warning and a wasted lookup offline)
process.env.METADATA_SERVER_DETECTION = 'none';

describe('GCS-style Pub/Sub notifications to the Pub/Sub emulator', () => {
  let pubsubEmulator: GcloudEmulator;
  let emulator: StorageEmulator;
  let pubsub: PubSub;

  beforeAll(async () => {
    pubsubEmulator = await startPubsubEmulator({ projectId: PROJECT });
    emulator = await startStorageEmulator({ pubsubEmulatorHost: pubsubEmulator.host, projectId: PROJECT });
    pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: pubsubEmulator.host, emulatorMode: true });
  });
  afterAll(async () => {
    await pubsub?.close();
    await emulator?.stop();
    await pubsubEmulator?.stop();
  });

  it('publishes OBJECT_FINALIZE with the JSON_API_V1 payload and attributes', async () => {
    const [topic] = await pubsub.createTopic('uploads');
    const [subscription] = await topic.createSubscription('uploads-sub');
    const storage = new Storage({ apiEndpoint: emulator.url, projectId: PROJECT });
    const [bucket] = await storage.createBucket('inbox');
    await bucket.createNotification(topic.name, { eventTypes: ['OBJECT_FINALIZE'], objectNamePrefix: 'in/', customAttributes: { app: 'docvault' } });

    const received: Message[] = [];
    subscription.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    await bucket.file('skipped/not-matching.txt').save('no', { resumable: false });
    await bucket.file('in/doc.pdf').save('%PDF', { resumable: false, contentType: 'application/pdf' });
    const [meta] = await bucket.file('in/doc.pdf').getMetadata();
    await bucket.file('in/doc.pdf').delete(); // OBJECT_DELETE is not in the config's event types
    await emulator.eventsIdle();
    const deadline = Date.now() + 15_000;
    while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    await subscription.close();

    expect(received).toHaveLength(1);
    const m = received[0] as Message;
    expect(m.attributes).toMatchObject({
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: 'inbox',
      objectId: 'in/doc.pdf',
      objectGeneration: meta.generation,
      notificationConfig: 'projects/_/buckets/inbox/notificationConfigs/1',
      app: 'docvault',
    });
    expect(JSON.parse(m.data.toString())).toMatchObject({ kind: 'storage#object', name: 'in/doc.pdf', bucket: 'inbox', size: '4', md5Hash: meta.md5Hash });
  });
});

describe('gcloud emulator helpers', () => {
  it('start the Firestore emulator on a free port and end its whole process group', async () => {
    const fs = await startFirestoreEmulator({ projectId: PROJECT });
    expect(fs.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(fs.env).toEqual({ FIRESTORE_EMULATOR_HOST: fs.host });
    expect(await (await fetch(`http://${fs.host}/`)).text()).toContain('Ok');
    await fs.stop();
    expect(() => process.kill(-fs.pid, 0)).toThrow(); // no process of the group (gcloud, JVM) is left
    await expect(fetch(`http://${fs.host}/`)).rejects.toThrow();
  });

  it('fail fast, naming the cause, when the port is taken; leave no process behind', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const started = Date.now();
      await expect(startPubsubEmulator({ projectId: PROJECT, port })).rejects.toThrow(/could not bind 127\.0\.0\.1:\d+ \(port in use\)/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      blocker.close();
    }
  });

  it('name what to install when gcloud is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startPubsubEmulator()).rejects.toThrow(/gcloud is not on PATH: install the Google Cloud CLI .*google-cloud-cli-pubsub-emulator/);
    } finally {
      process.env.PATH = path;
    }
  });
});
