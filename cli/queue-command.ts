/**
 * `docvault queue stats|requeue-failed|recover-stale|cleanup`: queue care over every user's tasks.
 * The environment is the functions' (shared/config.ts); `--local` fills in what `npm start` uses
 * (its emulator ports, buckets and local secret) for whatever is not set.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { FirestoreContentIndex } from '../shared/adapters/content-index.ts';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { createPubSub, Queue } from '../shared/adapters/pubsub.ts';
import { createStorage, GcsBlobStore } from '../shared/adapters/storage.ts';
import { loadConfig, type Config } from '../shared/config.ts';
import { DocVaultError, ErrorCode, RETRYABLE_CODES } from '../shared/core/errors.ts';
import { reportCliError } from './cli-errors.ts';
import { operatorEnv, reachable } from './target.ts';
import { Email, userHashOf } from '../shared/core/task.ts';
import { createLogger, type Severity } from '../shared/log.ts';
import type { LifecycleDeps } from '../shared/lifecycle/deps.ts';
import { notifySettings } from '../shared/lifecycle/notify.ts';
import { recoverStale } from '../shared/lifecycle/recover-stale.ts';
import { requeueFailed, type RequeueDeps } from '../shared/lifecycle/requeue.ts';
import { operatorQueueStats, queueStats, type QueueStatsView } from '../shared/lifecycle/stats.ts';
import { cleanupTasks, type CleanupDeps } from '../shared/lifecycle/cleanup.ts';
import { releaseQueued, type ReleaseDeps } from '../shared/lifecycle/release-queued.ts';
import { AdmissionStore } from '../shared/adapters/firestore-admission.ts';

/** What queue care works with: the lifecycle's ports and cleanup's. */
export type QueueCareDeps = LifecycleDeps & CleanupDeps;

export interface QueueIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface QueueCareClients extends QueueCareDeps, Pick<ReleaseDeps, 'fairness'> {
  admission: AdmissionStore;
  config: Config;
  close(): Promise<void>;
}

export { localSuiteEnv } from './target.ts';

/** The clients, from the validated environment; the *_EMULATOR_HOST variables reach them through process.env. */
export function queueCareClients(config: Config, io: QueueIo): QueueCareClients {
  const firestore: Firestore = createFirestore(config.GOOGLE_CLOUD_PROJECT);
  const pubsub: PubSub = createPubSub(config.GOOGLE_CLOUD_PROJECT);
  const queue = new Queue(pubsub);
  // Webhook and event troubles are worth a line on stderr; their routine successes are not.
  const quiet = new Set<Severity>(['DEBUG', 'INFO', 'NOTICE']);
  const log = createLogger('queue-care', {}, (line, severity) => {
    if (!quiet.has(severity)) io.stderr.write(line + '\n');
  });
  return {
    config,
    tasks: new TaskStore(firestore),
    admission: new AdmissionStore(firestore),
    fairness: config.fairness,
    queue,
    blobs: new GcsBlobStore(createStorage(config.GOOGLE_CLOUD_PROJECT)),
    resultsBucket: config.RESULTS_BUCKET,
    index: new FirestoreContentIndex(firestore),
    retentionMs: config.retentionMs,
    notify: { log, ...notifySettings(config) },
    async close() {
      await queue.close();
      await Promise.allSettled([pubsub.close(), firestore.terminate()]);
    },
  };
}

async function run(io: QueueIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (err) {
    return reportCliError(err, io.stderr);
  }
}

/** `queue stats` as a table: each label padded to the longest one ("interactive lane") and two spaces. */
export function statsText(s: QueueStatsView): string {
  const rows: Array<[string, string]> = [
    ['pending', String(s.pending)],
    ['processing', String(s.processing)],
    ['failed', String(s.failed)],
    ['completed today', String(s.completedToday)],
    ['average wait', s.averageWaitMs === null ? '-' : `${(s.averageWaitMs / 1000).toFixed(1)} s`],
    ['oldest queued', s.oldestQueuedAt ?? '-'],
    ...Object.entries(s.lanes ?? {}).map(([lane, c]): [string, string] => [`${lane} lane`, `${c.published} published, ${c.held} held back`]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return [
    ...rows.map(([label, value]) => `${label.padEnd(width)}${value}\n`),
    ...(s.backlogs ?? []).map((b) => `user ${b.userHash.slice(0, 12)}…  ${b.inFlight} in flight, ${b.held} held back\n`),
  ].join('');
}

const json = (io: QueueIo, value: unknown) => io.stdout.write(JSON.stringify(value, null, 2) + '\n');
const tasksWord = (n: number) => `${n} ${n === 1 ? 'task' : 'tasks'}`;

export function runQueueStats(deps: Pick<LifecycleDeps, 'tasks'> & Partial<Pick<QueueCareClients, 'admission'>>, flags: { json?: boolean }, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const s = deps.admission ? await operatorQueueStats({ ...deps, admission: deps.admission }) : await queueStats(deps);
    if (flags.json) return void json(io, s);
    io.stdout.write(statsText(s));
  });
}

export interface FailedFlags {
  code?: string;
  limit?: number;
  json?: boolean;
}

/** FAILED tasks with their codes: what `requeue-failed --code C` needs to be told. Never the user's email. */
export function runQueueFailed(deps: Pick<LifecycleDeps, 'tasks'>, flags: FailedFlags, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const ids = await deps.tasks.failedTaskIds({ ...(flags.code ? { code: flags.code } : {}), limit: flags.limit ?? 100 });
    const failed = (await Promise.all(ids.map((id) => deps.tasks.get(id)))).filter((t) => t !== null);
    const rows = failed.map((t) => ({ taskId: t.taskId, code: t.error?.code ?? 'INTERNAL', message: t.error?.message ?? '', attempts: t.attempts, failedAt: t.updatedAt.toISOString() }));
    if (flags.json) return void json(io, rows);
    const byCode = new Map<string, number>();
    for (const r of rows) {
      byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
      io.stdout.write(`${r.taskId}  ${r.code.padEnd(20)} ${r.message.split('\n')[0]!.slice(0, 100)}\n`);
    }
    const counts = [...byCode].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`);
    io.stdout.write(`${tasksWord(rows.length)} failed${counts.length ? `: ${counts.join(', ')}` : ''}${ids.length === (flags.limit ?? 100) ? ' (limit reached; --limit for more)' : ''}\n`);
  });
}

export interface RequeueFlags {
  code?: string;
  user?: string;
  limit?: number;
  json?: boolean;
}

/** The user is named by email on the command line and by hash everywhere after; the email is never printed. */
export function runRequeueFailed(deps: RequeueDeps, userHashSecret: string, flags: RequeueFlags, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const userHash = flags.user ? userHashOf(flags.user, userHashSecret) : undefined;
    const report = await requeueFailed(deps, { ...(flags.code ? { code: flags.code } : {}), ...(userHash ? { userHash } : {}), limit: flags.limit ?? 10_000 });
    if (flags.json) return void json(io, { ...report, ...(userHash ? { userHash } : {}) });
    for (const t of report.requeued) io.stdout.write(`requeued  ${t.taskId}  ${t.priority}  ${t.code ?? '-'}\n`);
    const scope = [flags.code ? `code ${flags.code}` : `codes ${RETRYABLE_CODES.join(', ')}`, userHash ? `user ${userHash.slice(0, 12)}…` : null].filter(Boolean).join(', ');
    const admitted = new Set(report.admitted);
    const held = report.requeued.filter((t) => !admitted.has(t.taskId)).length;
    io.stdout.write(
      `${tasksWord(report.requeued.length)} requeued${scope ? ` (${scope})` : ''}: ${report.admitted.length} published now` + (held ? `, ${held} held until their user's tasks in flight leave room` : '') + '\n',
    );
  });
}

export function runRecoverStale(deps: LifecycleDeps, flags: { json?: boolean; limit?: number }, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const report = await recoverStale(deps, flags.limit ? { limit: flags.limit } : {});
    if (flags.json) return void json(io, report);
    for (const id of report.requeued) io.stdout.write(`requeued  ${id}  (lease expired)\n`);
    for (const f of report.failed) io.stdout.write(`failed    ${f.taskId}  ${f.code}  (out of attempts)\n`);
    io.stdout.write(
      `${tasksWord(report.requeued.length)} back in the queue, ${tasksWord(report.failed.length)} failed` + (report.skipped ? `, ${report.skipped} alive again and left alone` : '') + '\n',
    );
  });
}

export function runReleaseQueued(deps: ReleaseDeps, flags: { json?: boolean; limit?: number }, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const report = await releaseQueued(deps, flags.limit ? { limit: flags.limit } : {});
    if (flags.json) return void json(io, report);
    for (const id of report.admitted) io.stdout.write(`admitted     ${id}  (held back, its user below the cap)\n`);
    for (const id of report.republished) io.stdout.write(`republished  ${id}  (published, never taken up)\n`);
    io.stdout.write(`${tasksWord(report.admitted.length)} admitted, ${tasksWord(report.republished.length)} published again\n`);
  });
}

export interface QueueCleanupFlags {
  days: number;
  failedDays: number;
  dryRun?: boolean;
  json?: boolean;
  now?: Date;
}

export function runQueueCleanup(deps: CleanupDeps, flags: QueueCleanupFlags, io: QueueIo): Promise<number> {
  return run(io, async () => {
    const report = await cleanupTasks(deps, { days: flags.days, failedDays: flags.failedDays, dryRun: flags.dryRun ?? false, ...(flags.now ? { now: flags.now } : {}) });
    if (flags.json) return void json(io, report);
    const t = report.tasks;
    const verb = report.dryRun ? 'would delete' : 'deleted';
    io.stdout.write(
      `${verb}: ${t.COMPLETED} completed and ${t.CANCELLED} cancelled (finished before ${report.cutoffs.completed.toISOString()}), ` +
        `${t.FAILED} failed (before ${report.cutoffs.failed.toISOString()}); ${report.resultObjects} result objects, ${report.uploads} uploads` +
        (report.skipped ? `; ${report.skipped} changed meanwhile and kept` : '') +
        (report.dryRun ? ' — dry run, nothing changed' : '') +
        '\n',
    );
  });
}

/** Runs one sub-command with clients made from the environment, closing them after; answers the exit code. */
async function withClients(local: boolean, io: QueueIo, body: (clients: QueueCareClients) => Promise<number>): Promise<number> {
  let clients: QueueCareClients | undefined;
  try {
    const config = loadConfig(await operatorEnv({ local }, io.stderr));
    if (config.FIRESTORE_EMULATOR_HOST && !(await reachable(config.FIRESTORE_EMULATOR_HOST))) {
      io.stderr.write(`the Firestore emulator at ${config.FIRESTORE_EMULATOR_HOST} does not answer: is the local suite running (npm start)?\n`);
      return 2;
    }
    clients = queueCareClients(config, io);
    return await body(clients);
  } catch (err) {
    return reportCliError(err, io.stderr);
  } finally {
    await clients?.close();
  }
}

function checkedRequeueFlags(flags: RequeueFlags): RequeueFlags {
  if (flags.code !== undefined && !ErrorCode.safeParse(flags.code).success) {
    throw new DocVaultError('INVALID_ARGUMENT', `--code: codes are ${ErrorCode.options.join(', ')}.`);
  }
  if (flags.user !== undefined && !Email.safeParse(flags.user).success) {
    throw new DocVaultError('INVALID_ARGUMENT', `--user: "${flags.user}" is not an email address the service accepts (ASCII only).`);
  }
  return flags;
}

export type QueueSubcommand = 'stats' | 'failed' | 'requeue-failed' | 'recover-stale' | 'release-queued' | 'cleanup';

/** The entry of `docvault queue SUB`: flags as commander parsed them. */
export async function runQueueSubcommand(name: QueueSubcommand, flags: object, parent: { local?: boolean }, io: QueueIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const local = Boolean(parent.local);
  switch (name) {
    case 'stats':
      return withClients(local, io, (c) => runQueueStats(c, flags, io));
    case 'failed':
    case 'requeue-failed': {
      let checked: RequeueFlags;
      try {
        checked = checkedRequeueFlags(flags);
        if (name === 'failed') return withClients(local, io, (c) => runQueueFailed(c, checked, io));
      } catch (err) {
        return reportCliError(err, io.stderr);
      }
      return withClients(local, io, (c) => runRequeueFailed(c, c.config.USER_HASH_SECRET, checked, io));
    }
    case 'recover-stale':
      return withClients(local, io, (c) => runRecoverStale(c, flags, io));
    case 'release-queued':
      return withClients(local, io, (c) => runReleaseQueued(c, flags, io));
    case 'cleanup':
      return withClients(local, io, (c) => runQueueCleanup(c, flags as QueueCleanupFlags, io));
  }
}

export { registerQueueCommand } from './commands/queue.ts';
