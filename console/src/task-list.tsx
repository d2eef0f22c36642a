/**
 * The caller's tasks, newest first, a page at a time with the api's cursor (so 10,000 tasks cost
 * what 50 do), kept current by the tab's one event stream.
 */
import { useEffect, useState } from 'preact/hooks';
import { awaitsPassword } from '../../shared/core/password-failures.ts';
import { ApiError, cancelTask, listTasks, requeueFailed, retryWithPassword, type TaskView } from './api.ts';
import { adviceFor } from './advice.ts';
import { when } from './format.ts';
import { watchTasks } from './live.ts';
import { mergeTasks } from './merge-tasks.ts';
import { href } from './route.ts';

export const STATUSES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
const PAGE = 50;

export function TaskList({ uploaded }: { uploaded: number }) {
  const [status, setStatus] = useState('');
  const [tasks, setTasks] = useState<TaskView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = async (more: boolean) => {
    setLoading(true);
    try {
      const page = await listTasks({ status, cursor: more ? cursor : null, limit: PAGE });
      setTasks((shown) => (more ? [...shown, ...page.tasks] : page.tasks));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => void load(false), [status]);
  // A file just uploaded may not be a task yet: the event stream brings it when dispatch creates it.
  useEffect(() => watchTasks((changed) => setTasks((shown) => mergeTasks(shown, changed, status)), (s) => setLive(s.connected)), [status]);
  useEffect(() => {
    if (uploaded > 0 && tasks.length === 0) void load(false);
  }, [uploaded]);

  const failed = (err: unknown) => setNotice(`${(err as ApiError).code}: ${(err as ApiError).message}`);
  /** One task changed through the api: its row shows the task as the api returns it, the notice says what was done or why not. */
  const change = async (send: () => Promise<TaskView>, done: string) => {
    try {
      const view = await send();
      setTasks((shown) => shown.map((t) => (t.taskId === view.taskId ? view : t)));
      setNotice(done);
    } catch (err) {
      failed(err);
    }
  };
  const cancel = (task: TaskView) => change(() => cancelTask(task.taskId), `Cancelled ${task.fileName}.`);
  const givePassword = (task: TaskView, password: string) => change(() => retryWithPassword(task.taskId, password), `Reading ${task.fileName} again with its password.`);
  const requeue = async () => {
    try {
      const r = await requeueFailed();
      setNotice(r.requeued === 0 ? 'No failed task can be tried again (failures of the document itself are not requeued).' : `Requeued ${r.requeued} failed task${r.requeued === 1 ? '' : 's'}.`);
    } catch (err) {
      failed(err);
    }
  };

  return (
    <section class="card" aria-labelledby="tasks-title">
      <div class="section-head">
        <h2 id="tasks-title">My documents</h2>
        <span class={`live ${live ? 'on' : ''}`} role="status">{live ? 'Live' : 'Connecting…'}</span>
      </div>
      <div class="toolbar">
        <StatusFilter status={status} onChange={setStatus} />
        <form
          class="batch-go"
          onSubmit={(e) => {
            e.preventDefault();
            const id = new FormData(e.currentTarget).get('batch');
            if (typeof id === 'string' && id.trim()) location.hash = href.batch(id.trim());
          }}
        >
          <label>
            Batch
            <input name="batch" placeholder="batch id" pattern="[0-9a-f]{32}" title="A batch id: 32 hexadecimal characters" />
          </label>
          <button type="submit">Show batch</button>
        </form>
        <button type="button" onClick={() => void requeue()}>
          Requeue failed
        </button>
      </div>
      <p role="status" class="notice">{notice}</p>
      {error && <p role="alert" class="error">{error.code}: {error.message}</p>}
      <TaskRows tasks={tasks} onCancel={cancel} onPassword={givePassword} />
      {!loading && tasks.length === 0 && <p class="muted empty">No documents yet. Drop some files above.</p>}
      <div class="more">
        {cursor && (
          <button type="button" onClick={() => void load(true)} disabled={loading}>
            Load older documents
          </button>
        )}
        <span class="muted small" aria-live="polite">{loading ? 'Loading…' : `${tasks.length} shown`}</span>
      </div>
    </section>
  );
}

/** The status filter of a task list ("" = all). */
export function StatusFilter({ status, onChange }: { status: string; onChange: (status: string) => void }) {
  return (
    <label>
      Status
      <select value={status} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">All</option>
        {STATUSES.map((s) => (
          <option value={s}>{s.toLowerCase()}</option>
        ))}
      </select>
    </label>
  );
}

export function TaskRows({
  tasks,
  onCancel,
  onPassword,
}: {
  tasks: Array<Pick<TaskView, 'taskId' | 'fileName' | 'status' | 'progress' | 'error'> & Partial<TaskView>>;
  onCancel?: (t: TaskView) => void;
  onPassword?: (t: TaskView, password: string) => Promise<void>;
}) {
  return (
    <ul class="tasks" aria-label="Documents">
      {tasks.map((t) => (
        <li key={t.taskId} class="task" data-status={t.status} data-task-id={t.taskId}>
          <div class="task-main">
            <a class="name" href={href.task(t.taskId)} title={t.fileName}>{t.fileName || t.taskId}</a>
            <span class={`status s-${t.status.toLowerCase()}`}>{t.status.toLowerCase()}</span>
          </div>
          <div class="task-progress">
            <progress max={100} value={t.progress} aria-label={`Progress of ${t.fileName}`} />
            <span class="small muted">{t.status === 'PROCESSING' && t.message ? t.message : `${Math.round(t.progress)}%`}</span>
          </div>
          <div class="task-meta small muted">
            {t.attempts !== undefined && <span>attempts {t.attempts}{t.maxAttempts ? `/${t.maxAttempts}` : ''}</span>}
            {t.summary && <span>{t.summary.pages} page{t.summary.pages === 1 ? '' : 's'} · {t.summary.category}</span>}
            {t.batchId && <a href={href.batch(t.batchId)}>batch {t.batchId.slice(0, 8)}</a>}
            {t.createdAt && <span>{when(t.createdAt)}</span>}
          </div>
          {t.error && (
            <div class="task-error small">
              <strong class="code">{t.error.code}</strong> {t.error.message} <span class="advice">{adviceFor(t.error.code)}</span>
            </div>
          )}
          {onPassword && awaitsPassword(t) && <PasswordForm task={t as TaskView} onPassword={onPassword} />}
          {onCancel && (t.status === 'QUEUED' || t.status === 'PROCESSING') && (
            <button type="button" class="small-button" onClick={() => onCancel(t as TaskView)} aria-label={`Cancel ${t.fileName}`}>
              Cancel
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A task that failed for want of its PDF's password: the password, sent once (POST /tasks/{id}/password) and not kept in the page. */
function PasswordForm({ task, onPassword }: { task: TaskView; onPassword: (t: TaskView, password: string) => Promise<void> }) {
  const [sending, setSending] = useState(false);
  return (
    <form
      class="password-form small"
      onSubmit={(e) => {
        e.preventDefault();
        const field = e.currentTarget.elements.namedItem('password') as HTMLInputElement;
        if (!field.value) return;
        setSending(true);
        void onPassword(task, field.value).finally(() => {
          field.value = '';
          setSending(false);
        });
      }}
    >
      <label>
        Password of {task.fileName}
        <input type="password" name="password" autoComplete="off" required />
      </label>
      <button type="submit" disabled={sending}>
        Read with this password
      </button>
    </form>
  );
}
