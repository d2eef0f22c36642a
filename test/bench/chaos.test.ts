/**
 * The chaos benchmark's CI-sized run (`npm run bench:chaos` at scale): two dozen documents from
 * four users (one of each bad kind among them), every push and finalize event twice, workers killed, dispatch and the api
 * restarted, Firestore paused. A regression that loses, strands or doubles a task fails here.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runChaos } from '../../bench/chaos/run.ts';

const DOCUMENTS = 24;

describe('chaos run (CI size)', () => {
  it(`${DOCUMENTS} documents from 4 users under faults: every task ends once, with its own results, seen only by its owner`, async () => {
    // Two documents read at once (a kill stops both), queue care every 5 s and a lost message published again after 20 s:
    // the same faults in less waiting than the scheduler's minutes.
    const report = await runChaos({
      ...DEFAULT_OPTIONS,
      documents: DOCUMENTS,
      users: 4,
      badEvery: 6,
      killEvery: 5,
      firestorePauseMs: 5_000,
      timeoutMs: 8 * 60_000,
      workerSlots: 2,
      careEveryMs: 5_000,
      republishAfterMs: 20_000,
    });
    expect(report.violations).toEqual([]);
    expect(report.accepted + report.refusedAtUpload).toBe(DOCUMENTS);
    expect(report.stuck).toBe(0);
    // the 4 bad ones fail; a good one may fail only when killed on every attempt (and is then dead-lettered)
    expect(report.completed).toBeGreaterThanOrEqual(DOCUMENTS - 4 - 2);
    expect(Object.values(report.failed).reduce((a, b) => a + b, 0) + report.refusedAtUpload).toBeGreaterThanOrEqual(4);
    // the faults really happened
    expect(report.faults.workerKills).toBeGreaterThanOrEqual(2);
    expect(report.faults).toMatchObject({ dispatchRestarts: 1, apiRestarts: 1, firestorePauses: 1 });
    expect(report.faults.pushCopies).toBeGreaterThanOrEqual(report.accepted);
  }, 10 * 60_000);
});
