/**
 * Queue care for QUEUED tasks: held tasks whose admission was missed (a worker that died before
 * it admitted the user's next, a cancel that freed a place) are admitted, and admitted tasks
 * that no worker took up within REPUBLISH_QUEUED_MINUTES (a message lost or dropped after its
 * delivery attempts, or never sent by a process that died after admitting it) are published again. A second message for a task is harmless: the worker's
 * lease makes it a no-op. Behind POST /maintenance/recover-stale and `docvault queue release-queued`.
 */
import type { FairnessSettings } from '../core/fairness.ts';
import type { AdmissionStore } from '../adapters/firestore-admission.ts';
import { admitAndPublish, publishAdmitted, type AdmissionDeps } from './admission.ts';
import { eachLimited, PAGE_SIZE } from './deps.ts';

export interface ReleaseDeps extends AdmissionDeps {
  admission: Pick<AdmissionStore, 'admit' | 'unadmit' | 'heldUsers' | 'admittedBefore' | 'restamp'>;
  fairness: FairnessSettings;
}

export interface ReleaseReport {
  /** Tasks admitted from users' held backlogs. */
  admitted: string[];
  /** Tasks published again. */
  republished: string[];
}

/** Held tasks younger than this are left to dispatch, which is admitting them right now (options.heldGraceMs). */
export const HELD_GRACE_MS = 30_000;
/** Held tasks scanned for their users per run (the oldest first). */
const HELD_SCAN = 2_000;

export async function releaseQueued(deps: ReleaseDeps, options: { now?: Date; limit?: number; heldGraceMs?: number } = {}): Promise<ReleaseReport> {
  const now = options.now ?? new Date();
  const users = await deps.admission.heldUsers(new Date(now.getTime() - (options.heldGraceMs ?? HELD_GRACE_MS)), HELD_SCAN);
  const admitted = (await eachLimited(users, (userHash) => admitAndPublish(deps, userHash, now))).flat();
  const lost = await deps.admission.admittedBefore(new Date(now.getTime() - deps.fairness.republishAfterMs), options.limit ?? PAGE_SIZE);
  const republished = await eachLimited(lost, async (task) => {
    const stamped = await deps.admission.restamp(task, now);
    if (stamped) await publishAdmitted(deps, stamped, now);
    return stamped?.taskId;
  });
  return { admitted: admitted.map((t) => t.taskId), republished: republished.filter((id): id is string => id !== undefined) };
}
