/**
 * `docvault ingest DIR --user EMAIL`: every supported file under DIR into the user's prefix of the
 * uploads bucket (what a gsutil drop becomes), resumable through a state file; `--monitor` follows
 * the tasks to the end. Progress goes to stderr (a bar on a terminal, plain lines otherwise); the
 * result to stdout (`--json` for machines). The email is only turned into its hash, never printed.
 */
import { Presets, SingleBar } from 'cli-progress';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { createStorage } from '../shared/adapters/storage.ts';
import { loadConfig } from '../shared/config.ts';
import { Languages } from '../shared/core/options.ts';
import { sealedPasswordFor } from '../shared/core/sealed-password.ts';
import { Email, Priority, userHashOf } from '../shared/core/task.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { reportCliError } from './cli-errors.ts';
import { DEFAULT_CONCURRENCY, ingest, monitorTasks, type IngestProgress, type IngestReport, type MonitorReport } from '../shared/ops/ingest.ts';
import { operatorEnv, reachable } from './target.ts';

export interface IngestFlags {
  user: string;
  concurrency?: number;
  priority?: string;
  language?: string[];
  include?: string[];
  exclude?: string[];
  monitor?: boolean;
  dryRun?: boolean;
  json?: boolean;
  state?: string;
  local?: boolean;
  password?: string;
}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** Plain periodic lines when stderr is not a terminal. */
const LINE_INTERVAL_MS = 5_000;

const mb = (bytes: number) => bytes / (1024 * 1024);
const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);

/** `n things`, or `1 thing`. */
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** In a dry run nothing is sent: the files that would be uploaded are counted as such, not as skipped. */
function progressLine(p: IngestProgress, dryRun: boolean): string {
  const eta = p.total !== null && p.done > 0 ? ((p.total - p.done) * p.elapsedMs) / p.done / 1000 : null;
  return (
    `ingest ${p.done}/${p.total ?? `${p.found}+`} files, ${p.uploaded} ${dryRun ? 'would be uploaded' : 'uploaded'}, ${p.skipped} ${dryRun ? 'unchanged' : 'skipped'}, ${p.failed} failed; ` +
    `${rate(p.done, p.elapsedMs).toFixed(1)} files/s, ${rate(mb(p.bytes), p.elapsedMs).toFixed(2)} MB/s` +
    (eta !== null ? `, ETA ${Math.round(eta)} s` : '')
  );
}

/** A progress sink for the terminal (cli-progress) or for logs (a line every few seconds). */
function progressReporter(io: Io, dryRun: boolean): { update(p: IngestProgress): void; stop(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  if (!tty) {
    let last = 0;
    let unprinted: IngestProgress | null = null;
    return {
      update(p) {
        unprinted = p;
        if (Date.now() - last < LINE_INTERVAL_MS) return;
        last = Date.now();
        io.stderr.write(progressLine(p, dryRun) + '\n');
        unprinted = null;
      },
      stop() {
        if (unprinted) io.stderr.write(progressLine(unprinted, dryRun) + '\n');
      },
    };
  }
  const bar = new SingleBar(
    {
      stream: io.stderr as NodeJS.WriteStream,
      format: '{bar} {value}/{totalText} files | {files} files/s | {mbs} MB/s | {failed} failed | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 200,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        totalText: p.total ?? `${p.found}+`,
        files: rate(p.done, p.elapsedMs).toFixed(1),
        mbs: rate(mb(p.bytes), p.elapsedMs).toFixed(2),
        failed: p.failed,
      };
      const total = p.total ?? Math.max(p.found, 1);
      if (!started) {
        bar.start(total, p.done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function printReport(io: Io, r: IngestReport, monitor: MonitorReport | null): void {
  const o = r.outcomes;
  const s = r.elapsedMs / 1000;
  const ignored = r.ignored ? `; ${count(r.ignored, 'other file')} ignored` : '';
  if (r.dryRun) io.stdout.write(`dry run: ${o['would-upload']} of ${r.files} files would be uploaded, ${o.unchanged} unchanged${ignored}; nothing sent\n`);
  else
    io.stdout.write(
      `${o.uploaded} uploaded (${mb(r.bytes).toFixed(1)} MB), ${o.unchanged} unchanged, ${o.present} already in the bucket, ` +
        `${o.conflict} conflicts, ${o.failed} failed — ${r.files} files in ${s.toFixed(1)} s (${rate(r.files, r.elapsedMs).toFixed(1)} files/s)` +
        ignored +
        (r.aborted ? '; interrupted, run again to resume' : '') +
        '\n',
    );
  for (const f of r.failures) io.stdout.write(`failed    ${f.path}  ${f.error}\n`);
  for (const c of r.conflicts) io.stdout.write(`conflict  ${c}  (another object with different content has this name; left alone)\n`);
  if (!r.dryRun && r.outcomes.uploaded > 0) io.stdout.write(`batch ${r.batchId}: its progress at GET /batches/${r.batchId}\n`);
  if (!monitor) return;
  if (monitor.tasks === 0) {
    // A rerun over unchanged files submits nothing: their tasks are the earlier runs' (not "0 completed of 0").
    io.stdout.write(`tasks: none submitted by this run${o.unchanged ? ` (${count(o.unchanged, 'file')} unchanged since an earlier run, whose tasks GET /tasks shows)` : ''}\n`);
    return;
  }
  io.stdout.write(
    `tasks: ${monitor.completed} completed, ${monitor.failedCount} failed` + (monitor.cancelled ? `, ${monitor.cancelled} cancelled` : '') + ` of ${monitor.tasks} (${(monitor.elapsedMs / 1000).toFixed(1)} s)\n`,
  );
  for (const f of monitor.failed) io.stdout.write(`FAILED    ${f.path}  ${f.taskId}  ${f.code}  ${f.message}\n`);
  if (monitor.unfinished) io.stdout.write(`${monitor.unfinished} tasks had not finished when no task had changed for a long while; see GET /batches/${r.batchId}\n`);
}

/** The flags that need a schema, checked before anything is sent: the same email, priority and language rules as the API's. */
function checkedFlags(flags: IngestFlags): { user: string; priority?: Priority; languages?: string[] } {
  const problem = (what: string) => new DocVaultError('INVALID_ARGUMENT', what);
  const user = Email.safeParse(flags.user);
  if (!user.success) throw problem(`--user: "${flags.user}" is not an email address the service accepts (ASCII only).`);
  const priority = flags.priority === undefined ? undefined : Priority.safeParse(flags.priority);
  if (priority && !priority.success) throw problem(`--priority: priorities are ${Priority.options.join(', ')}.`);
  const languages = flags.language?.length ? Languages.safeParse(flags.language.join('+')) : undefined;
  if (languages && !languages.success) throw problem('--language: a language is a tesseract code such as eng, deu or chi_sim (eng+deu for several).');
  return { user: user.data, ...(priority?.data ? { priority: priority.data } : {}), ...(languages?.data ? { languages: languages.data } : {}) };
}

/** --password sealed as upload seals its field; without the service's PASSWORD_KEY it is a usage error. */
function sealedIngestPassword(password: string, passwordKey: string | undefined): string {
  if (!passwordKey) throw new DocVaultError('INVALID_ARGUMENT', '--password: set PASSWORD_KEY to the service\'s (a running local suite\'s is found by itself).');
  try {
    return sealedPasswordFor(password, passwordKey);
  } catch (err) {
    throw new DocVaultError('INVALID_ARGUMENT', `--password: ${(err as Error).message}`);
  }
}

/** One file's outcome as --json lists it. */
type FileOutcome = { path: string; outcome: string; taskId?: string };

/** Sends the folder's files (or, with --dry-run, names them), with a progress line on stderr. */
async function ingestFiles(
  dir: string,
  flags: IngestFlags,
  checked: ReturnType<typeof checkedFlags>,
  config: ReturnType<typeof loadConfig>,
  userHash: string,
  io: Io,
  signal?: AbortSignal,
): Promise<{ report: IngestReport; files: FileOutcome[] }> {
  const reporter = progressReporter(io, Boolean(flags.dryRun));
  // --json maps each file to its outcome and task; --dry-run names each file it would send.
  const files: FileOutcome[] = [];
  const onFile = (f: FileOutcome) => {
    if (flags.json) files.push({ path: f.path, outcome: f.outcome, ...(f.taskId ? { taskId: f.taskId } : {}) });
    else if (f.outcome === 'would-upload') io.stdout.write(`would upload  ${f.path}\n`);
  };
  let report: IngestReport;
  try {
    report = await ingest(createStorage(config.GOOGLE_CLOUD_PROJECT), {
      dir,
      bucket: config.UPLOADS_BUCKET,
      userHash,
      concurrency: flags.concurrency ?? DEFAULT_CONCURRENCY,
      ...(checked.priority ? { priority: checked.priority } : {}),
      ...(checked.languages ? { languages: checked.languages } : {}),
      ...(flags.password !== undefined ? { sealedPassword: sealedIngestPassword(flags.password, config.PASSWORD_KEY) } : {}),
      ...(flags.include ? { include: flags.include } : {}),
      ...(flags.exclude ? { exclude: flags.exclude } : {}),
      ...(flags.state ? { statePath: flags.state } : {}),
      ...(signal ? { signal } : {}),
      dryRun: Boolean(flags.dryRun),
      trackSubmitted: Boolean(flags.monitor) && !flags.dryRun,
      onProgress: (p) => reporter.update(p),
      onFile,
    });
  } finally {
    reporter.stop();
  }
  return { report, files };
}

/** Follows the run's tasks until they finish (--monitor), a progress line on stderr now and then. */
function monitorIngested(tasks: TaskStore, report: IngestReport, userHash: string, io: Io, signal?: AbortSignal): Promise<MonitorReport> {
  let last = 0;
  return monitorTasks(tasks, report.submitted, {
    batch: { userHash, batchId: report.batchId },
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      if (Date.now() - last < LINE_INTERVAL_MS && p.finished < p.tasks) return;
      last = Date.now();
      io.stderr.write(`monitor ${p.finished}/${p.tasks} tasks finished: ${p.completed} completed, ${p.failed} failed\n`);
    },
  });
}

export async function runIngestCommand(dir: string, flags: IngestFlags, io: Io, signal?: AbortSignal): Promise<number> {
  let firestore: ReturnType<typeof createFirestore> | undefined;
  try {
    const checked = checkedFlags(flags);
    const config = loadConfig(await operatorEnv({ local: Boolean(flags.local) }, io.stderr));
    if (!flags.dryRun && config.STORAGE_EMULATOR_HOST && !(await reachable(config.STORAGE_EMULATOR_HOST.replace(/^https?:\/\//, '').replace(/\/.*$/, '')))) {
      io.stderr.write(`the storage emulator at ${config.STORAGE_EMULATOR_HOST} does not answer: is the local suite running (npm start)?\n`);
      return 2;
    }
    const userHash = userHashOf(checked.user, config.USER_HASH_SECRET);
    const { report, files } = await ingestFiles(dir, flags, checked, config, userHash, io, signal);
    let monitor: MonitorReport | null = null;
    if (flags.monitor && !flags.dryRun && !report.aborted) {
      firestore = createFirestore(config.GOOGLE_CLOUD_PROJECT);
      monitor = await monitorIngested(new TaskStore(firestore), report, userHash, io, signal);
    }
    if (flags.json) {
      const { submitted, ...rest } = report;
      io.stdout.write(JSON.stringify({ ...rest, userHash, tasks: submitted.length, files, ...(monitor ? { monitor } : {}) }, null, 2) + '\n');
    } else printReport(io, report, monitor);
    const failed = report.outcomes.failed + report.outcomes.conflict + (monitor ? monitor.failedCount + monitor.unfinished : 0);
    return failed > 0 || report.aborted ? 1 : 0;
  } catch (err) {
    return reportCliError(err, io.stderr);
  } finally {
    await firestore?.terminate();
  }
}
