/** monitorTasks alone, over a double of the task store: which tasks it counts, reads and lists, and when it stops. */
import { describe, expect, it } from 'vitest';
import type { BatchCounts, TaskPage } from '../../../shared/adapters/firestore-tasks.ts';
import { TaskStatus, type Task } from '../../../shared/core/task.ts';
import { monitorTasks, type MonitorSource, type SubmittedTask } from '../../../shared/ops/ingest.ts';
import { makeTask } from '../../support/tasks.ts';

const USER = 'b'.repeat(64);
const BATCH = 'c'.repeat(32);

/** A store whose tasks change status round by round: statuses[i] is what the i-th count (or read) sees. */
function store(tasks: Array<{ task: Task; statuses: Task['status'][] }>): MonitorSource & { rounds: number; reads: string[] } {
  const at = (t: { task: Task; statuses: Task['status'][] }, round: number): Task => {
    const status = t.statuses[Math.min(round, t.statuses.length - 1)]!;
    return { ...t.task, status, ...(status === 'FAILED' ? { error: { code: 'UNSUPPORTED_TYPE', message: 'not a document' } } : {}) };
  };
  const s = {
    rounds: 0,
    reads: [] as string[],
    async batchCounts(userHash: string, batchId: string): Promise<BatchCounts> {
      const round = s.rounds++;
      const byStatus = Object.fromEntries(TaskStatus.options.map((x) => [x, 0])) as Record<Task['status'], number>;
      for (const t of tasks) if (t.task.userHash === userHash && t.task.batchId === batchId) byStatus[at(t, round).status] += 1;
      return { byStatus, total: Object.values(byStatus).reduce((a, b) => a + b, 0), processingProgress: 0 };
    },
    async get(taskId: string): Promise<Task | null> {
      // A task read on its own moves one status further with each read.
      const round = s.reads.filter((id) => id === taskId).length;
      s.reads.push(taskId);
      const t = tasks.find((x) => x.task.taskId === taskId);
      return t ? at(t, round) : null;
    },
    async list(userHash: string, options: { status?: Task['status']; batchId?: string }): Promise<TaskPage> {
      const found = tasks.map((t) => at(t, Number.MAX_SAFE_INTEGER)).filter((t) => t.userHash === userHash && t.batchId === options.batchId && (!options.status || t.status === options.status));
      return { tasks: found, nextCursor: null };
    },
  };
  return s;
}

const inBatch = (taskId: string, overrides: Partial<Task> = {}) => makeTask({ taskId, userHash: USER, batchId: BATCH, ...overrides });

describe('monitorTasks', () => {
  it('counts the batch instead of reading it, waits while any of it is open, and lists its failures once, by path', async () => {
    const a = inBatch('a'.repeat(32));
    const b = inBatch('b'.repeat(32));
    // c: in the batch though not among the submitted (a write of this run that it could not tell was
    // its own): enough tasks finish before b does, yet the batch is not done while b is open.
    const c = inBatch('c'.repeat(32));
    const source = store([
      { task: a, statuses: ['COMPLETED'] },
      { task: b, statuses: ['PROCESSING', 'PROCESSING', 'FAILED'] },
      { task: c, statuses: ['COMPLETED'] },
    ]);
    const submitted: SubmittedTask[] = [
      { path: 'a.png', taskId: a.taskId, inBatch: true },
      { path: 'b.png', taskId: b.taskId, inBatch: true },
    ];
    const report = await monitorTasks(source, submitted, { batch: { userHash: USER, batchId: BATCH }, intervalMs: 1 });
    expect(source.rounds).toBe(3); // not done while b was PROCESSING
    expect(source.reads).toEqual([]);
    expect(report).toMatchObject({ completed: 2, failedCount: 1, cancelled: 0, unfinished: 0 });
    expect(report.failed).toEqual([{ path: 'b.png', taskId: b.taskId, code: 'UNSUPPORTED_TYPE', message: 'not a document' }]);
  });

  it('does not take a batch as done before every task it wrote exists', async () => {
    const a = inBatch('a'.repeat(32));
    const late = inBatch('d'.repeat(32));
    // The late task is created only from the third round on (dispatch still working through events).
    const lateStore = store([{ task: a, statuses: ['COMPLETED'] }]);
    const counts = lateStore.batchCounts.bind(lateStore);
    lateStore.batchCounts = async (u, id) => {
      const c = await counts(u, id);
      if (lateStore.rounds >= 3) {
        c.byStatus.COMPLETED += 1;
        c.total += 1;
      }
      return c;
    };
    const report = await monitorTasks(lateStore, [
      { path: 'a.png', taskId: a.taskId, inBatch: true },
      { path: 'late.png', taskId: late.taskId, inBatch: true },
    ], { batch: { userHash: USER, batchId: BATCH }, intervalMs: 1 });
    expect(lateStore.rounds).toBe(3);
    expect(report).toMatchObject({ completed: 2, failedCount: 0, unfinished: 0 });
  });

  it('reads the tasks outside the batch one by one, and counts each task once', async () => {
    const a = inBatch('a'.repeat(32));
    const earlier = makeTask({ taskId: 'e'.repeat(32), userHash: USER, batchId: 'f'.repeat(32) });
    const source = store([
      { task: a, statuses: ['COMPLETED'] },
      { task: earlier, statuses: ['QUEUED', 'FAILED'] },
    ]);
    const report = await monitorTasks(
      source,
      [
        { path: 'a.png', taskId: a.taskId, inBatch: true },
        { path: 'earlier.png', taskId: earlier.taskId, inBatch: false },
      ],
      { batch: { userHash: USER, batchId: BATCH }, intervalMs: 1 },
    );
    expect(new Set(source.reads)).toEqual(new Set([earlier.taskId]));
    expect(report).toMatchObject({ tasks: 2, completed: 1, failedCount: 1 });
    expect(report.failed.map((f) => f.path)).toEqual(['earlier.png']);
  });

  it('gives up on a task that never appears once nothing has changed for stallMs', async () => {
    const report = await monitorTasks(store([]), [{ path: 'lost.png', taskId: '0'.repeat(32) }], { intervalMs: 5, stallMs: 50 });
    expect(report).toMatchObject({ tasks: 1, completed: 0, failedCount: 0, unfinished: 1 });
  });
});
