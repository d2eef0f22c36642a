/**
 * `docvault ingest DIR --user EMAIL`: every supported file under DIR into the user's prefix of the
 * uploads bucket (what a gsutil drop becomes), resumable through a state file; `--monitor` follows
 * the tasks to the end. Progress goes to stderr (a bar on a terminal, plain lines otherwise); the
 * result to stdout (`--json` for machines). The email is only turned into its hash, never printed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { createStorage } from '../shared/adapters/storage.ts';
import { ConfigError, loadConfig } from '../shared/config.ts';
import { Languages } from '../shared/core/options.ts';
import { Priority, userHashOf } from '../shared/core/task.ts';
import { DEFAULT_CONCURRENCY, ingest, monitorTasks, type IngestProgress, type IngestReport, type MonitorReport } from '../shared/ops/ingest.ts';
import { localSuiteEnv, reachable } from './queue-command.ts';

export interface IngestFlags {
  user: string;
  concurrency: number;
  priority?: Priority;
  language?: string[];
  include?: string[];
  exclude?: string[];
  monitor?: boolean;
  dryRun?: boolean;
  json?: boolean;
  state?: string;
  local?: boolean;
}

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** Plain periodic lines when stderr is not a terminal. */
const LINE_INTERVAL_MS = 5_000;

const mb = (bytes: number) => bytes / (1024 * 1024);
const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);

function progressLine(p: IngestProgress): string {
  const eta = p.total !== null && p.done > 0 ? ((p.total - p.done) * p.elapsedMs) / p.done / 1000 : null;
  return (
    `ingest ${p.done}/${p.total ?? `${p.found}+`} files, ${p.uploaded} uploaded, ${p.skipped} skipped, ${p.failed} failed; ` +
    `${rate(p.done, p.elapsedMs).toFixed(1)} files/s, ${rate(mb(p.bytes), p.elapsedMs).toFixed(2)} MB/s` +
    (eta !== null ? `, ETA ${Math.round(eta)} s` : '')
  );
}

/** A progress sink for the terminal (cli-progress) or for logs (a line every few seconds). */
function progressReporter(io: Io): { update(p: IngestProgress): void; stop(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  if (!tty) {
    let last = 0;
    let unprinted: IngestProgress | null = null;
    return {
      update(p) {
        unprinted = p;
        if (Date.now() - last < LINE_INTERVAL_MS) return;
        last = Date.now();
        io.stderr.write(progressLine(p) + '\n');
        unprinted = null;
      },
      stop() {
        if (unprinted) io.stderr.write(progressLine(unprinted) + '\n');
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
  if (r.dryRun) io.stdout.write(`dry run: ${o['would-upload']} of ${r.files} files would be uploaded, ${o.unchanged} unchanged; nothing sent\n`);
  else
    io.stdout.write(
      `${o.uploaded} uploaded (${mb(r.bytes).toFixed(1)} MB), ${o.unchanged} unchanged, ${o.present} already in the bucket, ` +
        `${o.conflict} conflicts, ${o.failed} failed — ${r.files} files in ${s.toFixed(1)} s (${rate(r.files, r.elapsedMs).toFixed(1)} files/s)` +
        (r.ignored ? `; ${r.ignored} other files ignored` : '') +
        (r.aborted ? '; interrupted, run again to resume' : '') +
        '\n',
    );
  for (const f of r.failures) io.stdout.write(`failed    ${f.path}  ${f.error}\n`);
  for (const c of r.conflicts) io.stdout.write(`conflict  ${c}  (another object with different content has this name; left alone)\n`);
  if (!r.dryRun && r.outcomes.uploaded > 0) io.stdout.write(`batch ${r.batchId}: its progress at GET /batches/${r.batchId}\n`);
  if (!monitor) return;
  io.stdout.write(
    `tasks: ${monitor.completed} completed, ${monitor.failedCount} failed` + (monitor.cancelled ? `, ${monitor.cancelled} cancelled` : '') + ` of ${monitor.tasks} (${(monitor.elapsedMs / 1000).toFixed(1)} s)\n`,
  );
  for (const f of monitor.failed) io.stdout.write(`FAILED    ${f.path}  ${f.taskId}  ${f.code}  ${f.message}\n`);
  if (monitor.unfinished) io.stdout.write(`${monitor.unfinished} tasks had not finished when no task had changed for a long while; see GET /batches/${r.batchId}\n`);
}

export async function runIngestCommand(dir: string, flags: IngestFlags, io: Io, signal?: AbortSignal): Promise<number> {
  let firestore: ReturnType<typeof createFirestore> | undefined;
  try {
    const config = loadConfig(flags.local ? Object.assign(process.env, localSuiteEnv()) : process.env);
    if (!flags.dryRun && config.STORAGE_EMULATOR_HOST && !(await reachable(config.STORAGE_EMULATOR_HOST.replace(/^https?:\/\//, '').replace(/\/.*$/, '')))) {
      io.stderr.write(`the storage emulator at ${config.STORAGE_EMULATOR_HOST} does not answer: is the local suite running (npm start)?\n`);
      return 2;
    }
    const userHash = userHashOf(flags.user, config.USER_HASH_SECRET);
    const reporter = progressReporter(io);
    let report: IngestReport;
    try {
      report = await ingest(createStorage(config.GOOGLE_CLOUD_PROJECT), {
        dir,
        bucket: config.UPLOADS_BUCKET,
        userHash,
        concurrency: flags.concurrency,
        ...(flags.priority ? { priority: flags.priority } : {}),
        ...(flags.language?.length ? { languages: flags.language } : {}),
        ...(flags.include ? { include: flags.include } : {}),
        ...(flags.exclude ? { exclude: flags.exclude } : {}),
        ...(flags.state ? { statePath: flags.state } : {}),
        ...(signal ? { signal } : {}),
        dryRun: Boolean(flags.dryRun),
        trackSubmitted: Boolean(flags.monitor) && !flags.dryRun,
        onProgress: (p) => reporter.update(p),
      });
    } finally {
      reporter.stop();
    }
    let monitor: MonitorReport | null = null;
    if (flags.monitor && !flags.dryRun && !report.aborted) {
      firestore = createFirestore(config.GOOGLE_CLOUD_PROJECT);
      let last = 0;
      monitor = await monitorTasks(new TaskStore(firestore), report.submitted, {
        batch: { userHash, batchId: report.batchId },
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          if (Date.now() - last < LINE_INTERVAL_MS && p.finished < p.tasks) return;
          last = Date.now();
          io.stderr.write(`monitor ${p.finished}/${p.tasks} tasks finished: ${p.completed} completed, ${p.failed} failed\n`);
        },
      });
    }
    if (flags.json) {
      const { submitted, ...rest } = report;
      io.stdout.write(JSON.stringify({ ...rest, userHash, tasks: submitted.length, ...(monitor ? { monitor } : {}) }, null, 2) + '\n');
    } else printReport(io, report, monitor);
    const failed = report.outcomes.failed + report.outcomes.conflict + (monitor ? monitor.failedCount + monitor.unfinished : 0);
    return failed > 0 || report.aborted ? 1 : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n(against the local suite of npm start, add --local)\n`);
      return 2;
    }
    io.stderr.write(`error: ${String((err as Error)?.message ?? err)}\n`);
    return 2;
  } finally {
    await firestore?.terminate();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
  return n;
}

function priority(value: string): Priority {
  const parsed = Priority.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`priorities are ${Priority.options.join(', ')}`);
  return parsed.data;
}

function languages(value: string, previous: string[] | undefined): string[] {
  const parsed = Languages.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('a language is a tesseract code such as eng, deu or chi_sim (eng+deu for several)');
  return [...(previous ?? []), ...parsed.data];
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('upload every supported file under DIR into a user\'s prefix of the uploads bucket (each becomes a task, as a gsutil drop does); resumable')
    .argument('<dir>', 'folder to ingest, recursively')
    .requiredOption('--user <email>', 'the user the documents belong to')
    .option('--concurrency <n>', 'uploads at once', positiveInt, DEFAULT_CONCURRENCY)
    .option('--priority <p>', `${Priority.options.join(', ')} (default: by size, as for any upload)`, priority)
    .option('--language <lang>', 'document language(s), e.g. eng or eng+deu; repeatable (default: eng)', languages)
    .option('--include <glob>', 'only matching files (a glob without / matches the file name); repeatable', collect)
    .option('--exclude <glob>', 'leave matching files out; repeatable', collect)
    .option('--monitor', 'follow the submitted tasks until each is COMPLETED or FAILED; exit code 1 if any failed')
    .option('--dry-run', 'say what would be uploaded, send nothing')
    .option('--json', 'machine-readable result on stdout')
    .option('--state <file>', 'the resumable state file (default: DIR/.docvault-ingest.jsonl)')
    .option('--local', 'against the local suite of npm start: its emulator ports, buckets and secret for whatever is not set')
    .action(async (dir: string, flags: IngestFlags) => {
      const abort = new AbortController();
      // Ctrl-C stops taking new files; what is in flight finishes and is recorded, so a rerun resumes.
      process.once('SIGINT', () => abort.abort());
      process.exitCode = await runIngestCommand(dir, flags, { stdout: process.stdout, stderr: process.stderr }, abort.signal);
    });
}
