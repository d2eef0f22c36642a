/** Drop or pick files; each goes up in its own request with its own progress bar. */
import { useRef, useState } from 'preact/hooks';
import { ApiError, type ConsoleSettings } from './api.ts';
import { adviceFor } from './advice.ts';
import { bytes } from './format.ts';
import { href } from './route.ts';
import { uploadFile, type UploadChoices } from './upload.ts';

interface Job {
  id: number;
  name: string;
  size: number;
  loaded: number;
  state: 'waiting' | 'sending' | 'sent' | 'refused';
  resumable: boolean;
  taskId?: string;
  error?: { code: string; message: string };
}

/** Files sent at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 3;

const LANGUAGES: ReadonlyArray<[string, string]> = [
  ['eng', 'English'],
  // The api reads the first page's script and chooses the installed languages of that script.
  ['auto', 'Detect from the script (auto)'],
  ['deu', 'German'],
  ['eng+deu', 'English and German'],
];

let nextJobId = 1;

export function Uploader({ settings, onUploaded }: { settings: ConsoleSettings; onUploaded: (taskId: string) => void }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [dragging, setDragging] = useState(false);
  const [choices, setChoices] = useState<UploadChoices>({ languages: 'eng', priority: '', password: '' });
  const input = useRef<HTMLInputElement>(null);
  const queue = useRef<Array<{ job: Job; file: File }>>([]);
  const running = useRef(0);
  const chosen = useRef(choices);
  chosen.current = choices;

  const update = (id: number, change: Partial<Job>) => setJobs((all) => all.map((j) => (j.id === id ? { ...j, ...change } : j)));

  const pump = () => {
    while (running.current < PARALLEL_UPLOADS && queue.current.length > 0) {
      const { job, file } = queue.current.shift()!;
      running.current += 1;
      update(job.id, { state: 'sending' });
      uploadFile(settings, file, chosen.current, (loaded) => update(job.id, { loaded }))
        .then((taskId) => {
          update(job.id, { state: 'sent', taskId, loaded: job.size });
          onUploaded(taskId);
        })
        .catch((err: unknown) => {
          const e = err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err));
          update(job.id, { state: 'refused', error: { code: e.code, message: e.message } });
        })
        .finally(() => {
          running.current -= 1;
          pump();
        });
    }
  };

  const add = (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const added = [...files].map((file) => ({ job: { id: nextJobId++, name: file.name, size: file.size, loaded: 0, state: 'waiting' as const, resumable: file.size > settings.maxRequestBytes }, file }));
    setJobs((all) => [...added.map((a) => a.job), ...all]);
    queue.current.push(...added);
    pump();
  };

  return (
    <section class="card upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload documents</h2>
      <div
        class={`drop ${dragging ? 'dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          add(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop PDFs, scans and photos here, or</p>
        <button type="button" class="primary" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          id="files"
          type="file"
          multiple
          class="visually-hidden"
          aria-label="Files to upload"
          tabIndex={-1}
          onChange={(e) => {
            add(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        <p class="muted small">Up to {bytes(settings.maxDocumentBytes)} a file; files over {bytes(settings.maxRequestBytes)} go up in resumable chunks.</p>
      </div>
      <div class="choices">
        <label>
          Language
          <select value={choices.languages} onChange={(e) => setChoices({ ...choices, languages: e.currentTarget.value })}>
            {LANGUAGES.map(([code, name]) => (
              <option value={code}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={choices.priority} onChange={(e) => setChoices({ ...choices, priority: e.currentTarget.value })}>
            <option value="">By size (default)</option>
            {settings.priorities.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          PDF password (if encrypted)
          <input type="password" name="pdf-password" autoComplete="off" value={choices.password} onInput={(e) => setChoices({ ...choices, password: e.currentTarget.value })} />
        </label>
      </div>
      {jobs.length > 0 && (
        <ul class="jobs" aria-label="Uploads">
          {jobs.map((job) => (
            <li key={job.id} class={`job ${job.state}`} data-state={job.state}>
              <div class="job-head">
                <span class="name" title={job.name}>{job.name}</span>
                <span class="muted small">{bytes(job.size)}{job.resumable ? ' · resumable' : ''}</span>
              </div>
              <progress max={job.size || 1} value={job.state === 'refused' ? 0 : job.loaded} aria-label={`Upload of ${job.name}`} />
              <div class="job-state small" role={job.state === 'refused' ? 'alert' : undefined}>
                {job.state === 'waiting' && 'Waiting…'}
                {job.state === 'sending' && `Sending… ${Math.floor((job.loaded / (job.size || 1)) * 100)}%`}
                {job.state === 'sent' && job.taskId && (
                  <>
                    Uploaded · <a href={href.task(job.taskId)}>follow it</a>
                  </>
                )}
                {job.state === 'refused' && job.error && (
                  <>
                    <strong class="code">{job.error.code}</strong> {job.error.message}
                    <br />
                    <span class="advice">{adviceFor(job.error.code)}</span>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
