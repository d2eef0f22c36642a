/**
 * Per-user fairness end to end on the emulator suite: one user's backlog of quick uploads does not
 * stand between another user's upload and the worker, and the backlog itself is all read in the
 * end (held back, never dropped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';
import { uploadOne } from '../support/upload-one.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const BACKLOG = 30;
const fairness = { USER_IN_FLIGHT_CAP: '2' };
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
    // The test polls 30 tasks' status at once, a second apart: more than a caller's default api rate and requests at once allow.
    env: { dispatch: fairness, 'ocr-worker': { ...fairness, OCR_WORKERS: '1', WORKER_SLOTS: '1' }, api: { API_RATE_LIMIT: '0', API_CONCURRENT_REQUESTS: '0' } },
  });
}, 180_000);
afterAll(() => pipeline?.stop());

const upload = (user: string, name: string, bytes: Uint8Array, priority?: string) => uploadOne(pipeline.functions.upload!.url, user, name, bytes, priority ? { priority } : {});

const status = async (user: string, taskId: string) => ((await fetchJson(`${pipeline.functions.api!.url}/tasks/${taskId}`, { headers: asUser(user) })).body as { status: string }).status;
const finished = (s: string) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s);

describe('per-user fairness on the emulator suite', () => {
  it('another user\'s upload behind 30 queued tasks of one user completes long before that backlog drains, and the backlog completes too', async () => {
    const png = fixture('tessjs_simple_png.png');
    // Alice's pages take a few times Bob's: what is counted is how many of hers run before his, not how many of
    // the quickest page finish while his upload is still on its way through upload and dispatch.
    const page = fixture('tessjs_testocr.png');
    // Alice asks for high priority on all of them: it orders only her own work.
    const alice = await Promise.all(Array.from({ length: BACKLOG }, (_, i) => upload(ALICE, `a${i}.png`, page, 'high')));
    await waitFor('alice\'s backlog to be dispatched and started', async () => ((await Promise.all(alice.slice(0, 3).map((id) => status(ALICE, id)))).some((s) => s !== 'QUEUED' && s !== 'PENDING') ? true : undefined), 120_000, 200);
    const bob = await upload(BOB, 'b.png', png);
    await waitFor('bob\'s task to finish', async () => (finished(await status(BOB, bob)) ? true : undefined), 120_000, 200);
    expect(await status(BOB, bob)).toBe('COMPLETED');
    const aliceDone = (await Promise.all(alice.map((id) => status(ALICE, id)))).filter(finished).length;
    // Today's one FIFO puts Bob behind all 30; with a cap of 2 in flight he waits for a few at most.
    expect(aliceDone, `${aliceDone} of Alice's finished before Bob's`).toBeLessThan(BACKLOG - 15);

    await waitFor('alice\'s backlog to drain', async () => ((await Promise.all(alice.map((id) => status(ALICE, id)))).every(finished) ? true : undefined), 300_000, 1000);
    expect(new Set(await Promise.all(alice.map((id) => status(ALICE, id))))).toEqual(new Set(['COMPLETED']));
  }, 480_000);
});
