/**
 * The chaos benchmark's CI-sized run (`npm run bench:chaos` at scale): a few dozen documents from
 * several users, every push and finalize event twice, workers killed, dispatch and the api
 * restarted, Firestore paused. A regression that loses, strands or doubles a task fails here.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runChaos } from '../../bench/chaos/run.ts';

const DOCUMENTS = 40;

describe('chaos run (CI size)', () => {
  it(`${DOCUMENTS} documents from 4 users under faults: every task ends once, with its own results, seen only by its owner`, async () => {
    const report = await runChaos({ ...DEFAULT_OPTIONS, documents: DOCUMENTS, users: 4, badEvery: 10, killEvery: 8, firestorePauseMs: 5_000, timeoutMs: 8 * 60_000 });
    expect(report.violations).toEqual([]);
    expect(report.accepted + report.refusedAtUpload).toBe(DOCUMENTS);
    expect(report.stuck).toBe(0);
    expect(report.completed).toBeGreaterThanOrEqual(Math.floor(DOCUMENTS * 0.9));
    // the faults really happened
    expect(report.faults.workerKills).toBeGreaterThanOrEqual(2);
    expect(report.faults).toMatchObject({ dispatchRestarts: 1, apiRestarts: 1, firestorePauses: 1 });
    expect(report.faults.pushCopies).toBeGreaterThanOrEqual(report.accepted - report.refusedAtUpload);
  }, 10 * 60_000);
});
