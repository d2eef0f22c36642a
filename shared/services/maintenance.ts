/**
 * The scheduled maintenance the api runs for Cloud Scheduler: stale-task recovery every few
 * minutes, cleanup daily. Only the callers named in MAINTENANCE_CALLERS get in; to anyone else
 * the routes do not exist (404, as for any other thing a caller may not see).
 */
import type { Caller } from '../adapters/auth.ts';
import { FirestoreContentIndex } from '../adapters/content-index.ts';
import { DocVaultError } from '../core/errors.ts';
import { notifySettings } from '../lifecycle/notify.ts';
import { recoverStale, type RecoverReport } from '../lifecycle/recover-stale.ts';
import { cleanupTasks, type CleanupReport } from '../lifecycle/cleanup.ts';
import { releaseQueued, type ReleaseReport } from '../lifecycle/release-queued.ts';
import type { ApiDeps } from './api.ts';

export type MaintenanceDeps = ApiDeps;

/**
 * A named service account with a Google ID token, not a Firebase user who happens to carry that
 * email (the local header, the other kind, exists only against the emulators).
 */
export function isMaintenanceCaller(deps: Pick<MaintenanceDeps, 'config'>, caller: Caller): boolean {
  return caller.via !== 'firebase' && deps.config.MAINTENANCE_CALLERS.includes(caller.email.toLowerCase());
}

function allow(deps: MaintenanceDeps, caller: Caller): void {
  if (!isMaintenanceCaller(deps, caller)) throw new DocVaultError('NOT_FOUND', 'No such route.');
}

function careDeps(deps: MaintenanceDeps) {
  return {
    tasks: deps.tasks,
    admission: deps.admission,
    fairness: deps.config.fairness,
    queue: deps.queue,
    blobs: deps.blobs,
    resultsBucket: deps.config.RESULTS_BUCKET,
    index: new FirestoreContentIndex(deps.firestore),
    retentionMs: deps.config.retentionMs,
    notify: { log: deps.log, ...notifySettings(deps.config) },
  };
}

/** The scheduler's queue care every few minutes: expired leases, then QUEUED tasks held back or never taken up. */
export async function runRecoverStale(deps: MaintenanceDeps, caller: Caller): Promise<RecoverReport & { released: ReleaseReport }> {
  allow(deps, caller);
  const report = await recoverStale(careDeps(deps));
  const released = await releaseQueued(careDeps(deps));
  deps.log.info('maintenance: stale tasks recovered, queued tasks released', {
    requeued: report.requeued.length,
    failed: report.failed.length,
    skipped: report.skipped,
    admitted: released.admitted.length,
    republished: released.republished.length,
  });
  return { ...report, released };
}

export async function runCleanup(deps: MaintenanceDeps, caller: Caller, body: unknown): Promise<CleanupReport> {
  allow(deps, caller);
  const dryRun = typeof body === 'object' && body !== null && (body as { dryRun?: unknown }).dryRun === true;
  const report = await cleanupTasks(careDeps(deps), { days: deps.config.CLEANUP_COMPLETED_DAYS, failedDays: deps.config.CLEANUP_FAILED_DAYS, dryRun });
  deps.log.info('maintenance: cleanup', { dryRun, tasks: report.tasks, resultObjects: report.resultObjects, uploads: report.uploads });
  return report;
}
