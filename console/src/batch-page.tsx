/** One batch: its counts by status and its tasks, a page at a time. */
import { useEffect, useState } from 'preact/hooks';
import { getBatch, type ApiError, type BatchView } from './api.ts';
import { watchTasks } from './live.ts';
import { href } from './route.ts';
import { STATUSES, StatusFilter, TaskRows } from './task-list.tsx';

export function BatchPage({ batchId }: { batchId: string }) {
  const [batch, setBatch] = useState<BatchView | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [tasks, setTasks] = useState<BatchView['tasks']>([]);

  const load = (more = false) =>
    getBatch(batchId, { status, cursor: more ? cursor : null })
      .then((b) => {
        setBatch(b);
        setTasks((shown) => (more ? [...shown, ...b.tasks] : b.tasks));
        setCursor(b.nextCursor);
        setError(null);
      })
      .catch((err: ApiError) => setError(err));

  useEffect(() => void load(), [batchId, status]);
  // Counts come from the server: any change to one of this batch's tasks reloads them.
  useEffect(() => watchTasks((changed) => changed.some((t) => t.batchId === batchId) && void load(), () => undefined), [batchId, status]);

  return (
    <section class="card">
      <p><a href={href.tasks}>← All documents</a></p>
      <h1>Batch <code>{batchId.slice(0, 12)}</code></h1>
      {error && <p role="alert" class="error">{error.code}: {error.message}</p>}
      {batch && (
        <>
          <p>
            {batch.total} document{batch.total === 1 ? '' : 's'} · {batch.progress}% {batch.done ? '· done' : ''}
          </p>
          <progress max={100} value={batch.progress} aria-label="Batch progress" class="wide" />
          <dl class="counts">
            {STATUSES.map((s) => (
              <div class={`count s-${s.toLowerCase()}`}>
                <dt>{s.toLowerCase()}</dt>
                <dd>{batch.byStatus[s]}</dd>
              </div>
            ))}
          </dl>
          <StatusFilter status={status} onChange={setStatus} />
          <TaskRows tasks={tasks} />
          {cursor && (
            <button type="button" onClick={() => void load(true)}>
              Load more
            </button>
          )}
        </>
      )}
    </section>
  );
}
