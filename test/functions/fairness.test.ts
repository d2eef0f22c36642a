/**
 * Per-user fairness end to end on the emulator suite: one user's backlog of quick uploads does not
 * stand between another user's upload and the worker, and the backlog itself is all read in the
 * end (held back, never dropped).
 */
import sharp from 'sharp';
import type { Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';
import { uploadOne } from '../support/upload-one.ts';
import { createFirestore } from '../../shared/adapters/firestore-tasks.ts';
import { COLLECTIONS } from '../../shared/names.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const BACKLOG = 30;
const IDLE_CAP = 4;
const fairness = { USER_IN_FLIGHT_CAP: '2', USER_IN_FLIGHT_IDLE_CAP: String(IDLE_CAP) };
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
    // The test polls 30 tasks' status at once, a second apart: more than a caller's default api rate and requests at once allow.
    // upload admits its own uploads (and dispatch the drops): both under the same caps.
    env: { upload: fairness, dispatch: fairness, 'ocr-worker': { ...fairness, OCR_WORKERS: '1', WORKER_SLOTS: '1' }, api: { API_RATE_LIMIT: '0', API_CONCURRENT_REQUESTS: '0' } },
  });
}, 180_000);
afterAll(() => pipeline?.stop());

const upload = (user: string, name: string, bytes: Uint8Array, priority?: string) => uploadOne(pipeline.functions.upload!.url, user, name, bytes, priority ? { priority } : {});

const status = async (user: string, taskId: string) => ((await fetchJson(`${pipeline.functions.api!.url}/tasks/${taskId}`, { headers: asUser(user) })).body as { status: string }).status;
const finished = (s: string) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s);

/** A task's status and times as stored: when it was published to its lane (dispatchedAt) is not in the api's view. */
const times = async (taskId: string) => {
  const snap = await createFirestore(pipeline.suite.projectId).collection(COLLECTIONS.tasks).doc(taskId).get();
  const ms = (field: string) => (snap.get(field) as Timestamp | null | undefined)?.toMillis() ?? Infinity;
  return { status: snap.get('status') as string, dispatchedAt: ms('dispatchedAt'), startedAt: ms('startedAt') };
};

describe('per-user fairness on the emulator suite', () => {
  it('another user\'s upload behind 30 queued tasks of one user starts after at most the tasks already in flight, and the backlog completes too', async () => {
    const png = fixture('tessjs_simple_png.png');
    // Thirty different pages (each a pixel wider than the last): the same bytes would be read once and the
    // other 29 completed from that result in a blink (content dedupe), leaving no backlog to wait behind.
    const page = fixture('tessjs_testocr.png');
    const pages = await Promise.all(Array.from({ length: BACKLOG }, (_, i) => sharp(page).extend({ right: i + 1, background: '#ffffff' }).png().toBuffer()));
    // Alice asks for high priority on all of them: it orders only her own work.
    const alice = await Promise.all(pages.map((bytes, i) => upload(ALICE, `a${i}.png`, bytes, 'high')));
    await waitFor('alice\'s backlog to be dispatched', async () => ((await Promise.all(alice.map((id) => status(ALICE, id)))).every((s) => s !== 'PENDING') ? true : undefined), 120_000, 200);
    const bob = await upload(BOB, 'b.png', png);
    await waitFor('bob\'s task to finish', async () => (finished(await status(BOB, bob)) ? true : undefined), 120_000, 200);
    const bobTimes = await times(bob);
    expect(bobTimes.status).toBe('COMPLETED');
    // Measured by the tasks' own times from the moment Bob's task was in its lane (published), not from its
    // upload: while upload writes and admits it, Alice's tasks go on finishing and admitting her next ones, as
    // many as the machine's speed allows (under load, 8 of hers once started between Bob's upload and his start).
    // From his publish on the bound holds at any speed: at that instant at most her cap of tasks were in flight
    // (published or read), the lane delivers in order, so only those can start before his; hers admitted after
    // it are behind his in the lane.
    const aliceTimes = await Promise.all(alice.map((id) => times(id)));
    const waitingAtPublish = aliceTimes.filter((t) => t.startedAt > bobTimes.dispatchedAt).length;
    const startedMeanwhile = aliceTimes.filter((t) => t.startedAt > bobTimes.dispatchedAt && t.startedAt <= bobTimes.startedAt).length;
    // The check means something only if Alice still had a backlog beyond her cap when Bob's was published.
    expect(waitingAtPublish, `only ${waitingAtPublish} of Alice's had not started when Bob's was published`).toBeGreaterThanOrEqual(10);
    // One FIFO starts every one of Alice's waiting tasks before Bob's (all ≥ 10 of them); held to her cap, at most
    // the ones in flight when Bob's was published run before his (the idle cap, as nobody else waited then).
    expect(startedMeanwhile, `${startedMeanwhile} of Alice's started while Bob's waited in his lane`).toBeLessThanOrEqual(IDLE_CAP);

    await waitFor('alice\'s backlog to drain', async () => ((await Promise.all(alice.map((id) => status(ALICE, id)))).every(finished) ? true : undefined), 300_000, 1000);
    expect(new Set(await Promise.all(alice.map((id) => status(ALICE, id))))).toEqual(new Set(['COMPLETED']));
  }, 480_000);
});
