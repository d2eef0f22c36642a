/** How the task list takes in a live change: replaced where shown, new tasks on top, the status filter kept. */
import { describe, expect, it } from 'vitest';
import { mergeTasks } from '../../console/src/merge-tasks.ts';
import type { TaskView } from '../../shared/services/api.ts';

const view = (taskId: string, status: TaskView['status'], createdAt: string, progress = 0): TaskView => ({ taskId, status, createdAt, progress }) as TaskView;

describe('mergeTasks', () => {
  const shown = [view('b', 'PROCESSING', '2026-12-02T00:00:02Z', 40), view('a', 'QUEUED', '2026-12-02T00:00:01Z')];

  it('replaces a shown task with its newer state and puts a new one on top', () => {
    const next = mergeTasks(shown, [view('b', 'COMPLETED', '2026-12-02T00:00:02Z', 100), view('c', 'QUEUED', '2026-12-02T00:00:03Z')], '');
    expect(next.map((t) => [t.taskId, t.status])).toEqual([
      ['c', 'QUEUED'],
      ['b', 'COMPLETED'],
      ['a', 'QUEUED'],
    ]);
  });

  it('under a status filter, drops a task that left the status and adds only matching new ones', () => {
    const next = mergeTasks(shown, [view('a', 'PROCESSING', '2026-12-02T00:00:01Z'), view('c', 'COMPLETED', '2026-12-02T00:00:03Z')], 'QUEUED');
    expect(next.map((t) => t.taskId)).toEqual(['b']);
  });

  it('does not add an older task that belongs on a later page', () => {
    expect(mergeTasks(shown, [view('old', 'COMPLETED', '2026-12-01T00:00:00Z')], '').map((t) => t.taskId)).toEqual(['b', 'a']);
  });
});
