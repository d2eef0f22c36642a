import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../emulators/gcloud.ts';
import { startStorageEmulator } from '../../emulators/gcs/index.ts';
import { readEvents, startRecorderFunction, waitFor } from './functions-framework.ts';

const dir = mkdtempSync(join(tmpdir(), 'gcs-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quick = { initialBackoffMs: 100, maxBackoffMs: 1000, retryDeadlineMs: 60_000 };

describe('CloudEvent delivery to a functions-framework cloudEvent function', () => {
  it('delivers finalized, metadataUpdated and deleted events in binary mode with the Eventarc fields', async () => {
    const port = await freePort();
    const file = join(dir, 'fields.jsonl');
    const fn = await startRecorderFunction(port, file);
    const emulator = await startStorageEmulator({ eventTargets: [`http://127.0.0.1:${port}/`], delivery: quick });
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      const [bucket] = await storage.createBucket('uploads');
      const f = bucket.file('incoming/scan 1.pdf');
      await f.save('%PDF-1.7', { resumable: false, contentType: 'application/pdf', metadata: { metadata: { priority: 'high' } } });
      const [meta] = await f.getMetadata();
      await f.setMetadata({ metadata: { seen: 'yes' } });
      await f.delete();
      await emulator.eventsIdle();
      const events = await waitFor(() => {
        const e = readEvents(file);
        return e.length >= 3 && e;
      });
      // Eventarc promises no order; each type arrives once
      expect(events.map((e) => e.type).sort()).toEqual([
        'google.cloud.storage.object.v1.deleted',
        'google.cloud.storage.object.v1.finalized',
        'google.cloud.storage.object.v1.metadataUpdated',
      ]);
      const finalized = events.find((e) => e.type.endsWith('finalized'));
      expect(finalized).toMatchObject({
        specversion: '1.0',
        source: '//storage.googleapis.com/projects/_/buckets/uploads',
        subject: 'objects/incoming/scan 1.pdf',
        data: {
          kind: 'storage#object',
          bucket: 'uploads',
          name: 'incoming/scan 1.pdf',
          generation: meta.generation,
          size: '8',
          contentType: 'application/pdf',
          metadata: { priority: 'high' },
          md5Hash: meta.md5Hash,
          crc32c: meta.crc32c,
        },
      });
      expect(finalized?.time).toBe(meta.timeCreated);
      expect(new Set(events.map((e) => e.id)).size).toBe(3);
      expect(emulator.eventStats()).toMatchObject({ delivered: 3, failed: 0 });
    } finally {
      await emulator.stop();
      await fn.stop();
    }
  });

  it('retries until a target that starts late is up, so it misses nothing', async () => {
    const port = await freePort();
    const file = join(dir, 'late.jsonl');
    const emulator = await startStorageEmulator({ eventTargets: [`http://127.0.0.1:${port}/`], delivery: quick });
    let fn: { stop(): Promise<void> } | undefined;
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      const [bucket] = await storage.createBucket('uploads');
      await Promise.all(['a', 'b', 'c'].map((n) => bucket.file(n).save(n, { resumable: false })));
      await new Promise((r) => setTimeout(r, 3000));
      expect(emulator.eventStats()).toMatchObject({ pending: 3, delivered: 0 });
      fn = await startRecorderFunction(port, file);
      await emulator.eventsIdle();
      const events = readEvents(file);
      expect(events.map((e) => e.subject).sort()).toEqual(['objects/a', 'objects/b', 'objects/c']);
      expect(emulator.eventStats()).toMatchObject({ pending: 0, delivered: 3, failed: 0 });
    } finally {
      await emulator.stop();
      await fn?.stop();
    }
  });

  it('retries a target answering 5xx and drops an event a target refuses with 4xx', async () => {
    const seen: { status: number; type: string | undefined }[] = [];
    let failures = 2;
    const target = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const type = req.headers['ce-type'] as string | undefined;
        const status = type?.endsWith('deleted') ? 400 : failures-- > 0 ? 503 : 204;
        seen.push({ status, type });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const logs: Record<string, unknown>[] = [];
    const emulator = await startStorageEmulator({
      eventTargets: [`http://127.0.0.1:${(target.address() as AddressInfo).port}/`],
      delivery: quick,
      log: (e) => logs.push(e),
    });
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      const [bucket] = await storage.createBucket('uploads');
      await bucket.file('x').save('x', { resumable: false });
      await emulator.eventsIdle();
      expect(seen.map((s) => s.status)).toEqual([503, 503, 204]);
      await bucket.file('x').delete();
      await emulator.eventsIdle();
      expect(emulator.eventStats()).toMatchObject({ delivered: 1, failed: 1 });
      expect(logs.some((l) => l.message === 'event rejected by target')).toBe(true);
    } finally {
      await emulator.stop();
      target.close();
    }
  });

  it('keeps at most maxInFlightPerTarget deliveries in flight to one target, and delivers them all', async () => {
    let inFlight = 0;
    let peak = 0;
    let received = 0;
    const target = createServer((req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          inFlight -= 1;
          received += 1;
          res.writeHead(204).end();
        }, 20),
      );
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const emulator = await startStorageEmulator({
      eventTargets: [{ url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/`, eventTypes: ['finalized'] }],
      delivery: { ...quick, maxInFlightPerTarget: 3 },
    });
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      const [bucket] = await storage.createBucket('burst');
      await Promise.all(Array.from({ length: 30 }, (_, i) => bucket.file(`f${i}`).save('x', { resumable: false })));
      await emulator.eventsIdle();
      expect(received).toBe(30);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
      expect(emulator.eventStats()).toMatchObject({ delivered: 30, failed: 0 });
    } finally {
      await emulator.stop();
      target.close();
    }
  });

  it('narrows a target to some event types', async () => {
    const types: string[] = [];
    const target = createServer((req, res) => {
      types.push(String(req.headers['ce-type']));
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const emulator = await startStorageEmulator({ delivery: quick });
    emulator.addEventTarget({ url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/`, eventTypes: ['finalized'] });
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      const [bucket] = await storage.createBucket('uploads');
      await bucket.file('x').save('1', { resumable: false });
      await bucket.file('x').save('2', { resumable: false }); // overwrite: finalized + deleted of the old generation
      await bucket.file('x').delete();
      await emulator.eventsIdle();
      expect(types).toEqual(['google.cloud.storage.object.v1.finalized', 'google.cloud.storage.object.v1.finalized']);
    } finally {
      await emulator.stop();
      target.close();
    }
  });

  it('narrows a target to some buckets, as an Eventarc trigger is for one bucket', async () => {
    const seen: { target: string; bucket: string; type: string }[] = [];
    const targets = await Promise.all(
      ['uploads', 'both'].map(async (label) => {
        const server = createServer((req, res) => {
          seen.push({ target: label, bucket: String(req.headers['ce-bucket']), type: String(req.headers['ce-type']).split('.').at(-1) as string });
          req.resume();
          res.writeHead(204).end();
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        return server;
      }),
    );
    const [uploadsOnly, both] = targets.map((t) => `http://127.0.0.1:${(t.address() as AddressInfo).port}/`) as [string, string];
    const emulator = await startStorageEmulator({ delivery: quick, eventTargets: [{ url: both, buckets: ['uploads', 'results'] }] });
    emulator.addEventTarget({ url: uploadsOnly, eventTypes: ['finalized'], buckets: ['uploads'] });
    try {
      const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'p' });
      for (const name of ['uploads', 'results', 'models']) {
        const [bucket] = await storage.createBucket(name);
        await bucket.file('x').save(name, { resumable: false });
      }
      await storage.bucket('uploads').file('x').delete();
      await emulator.eventsIdle();
      const key = (e: (typeof seen)[number]) => `${e.target} ${e.bucket} ${e.type}`;
      expect(seen.map(key).sort()).toEqual(['both results finalized', 'both uploads deleted', 'both uploads finalized', 'uploads uploads finalized']);
      expect(emulator.eventStats()).toMatchObject({ delivered: 4, failed: 0 });
    } finally {
      await emulator.stop();
      for (const t of targets) t.close();
    }
  });

  it('is wired from the CLI: --event-target, --event-types and --event-buckets', async () => {
    const types: string[] = [];
    const target = createServer((req, res) => {
      types.push(`${String(req.headers['ce-type'])} ${String(req.headers['ce-bucket'])}`);
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const cli = fileURLToPath(new URL('../../emulators/gcs/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        cli,
        '--port',
        '0',
        '--event-target',
        `http://127.0.0.1:${(target.address() as AddressInfo).port}/`,
        '--event-types',
        'finalized',
        '--event-buckets',
        'cli-events, cli-more',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          const m = /"url":"([^"]+)"/.exec(b.toString());
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
      });
      const storage = new Storage({ apiEndpoint: url, projectId: 'p' });
      const [bucket] = await storage.createBucket('cli-events');
      const [other] = await storage.createBucket('cli-other');
      await other.file('o').save('o', { resumable: false });
      await bucket.file('a').save('a', { resumable: false });
      await bucket.file('a').delete();
      await waitFor(() => types.length >= 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(types).toEqual(['google.cloud.storage.object.v1.finalized cli-events']);
    } finally {
      child.kill('SIGTERM');
      target.close();
    }
  });
});
