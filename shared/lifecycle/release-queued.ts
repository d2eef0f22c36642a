/**
 * Queue care for QUEUED tasks: held tasks whose admission was missed (a worker that died before
 * it admitted the user's next, a cancel that freed a place) are admitted; admitted tasks never
 * published (their admitter died between the admission and the publish: a worker killed as it
 * admitted its user's next task) are published once UNSENT_GRACE_MS has passed; and admitted tasks
 * that no worker took up within REPUBLISH_QUEUED_MINUTES (a message lost or dropped after its
 * delivery attempts) are published again. Until then each of them holds a place under its user's
 * cap. A second message for a task is harmless: the worker's lease makes it a no-op. Behind
 * POST /maintenance/recover-stale and `docvault queue release-queued`.
 */
import type { FairnessSettings } from '../core/fairness.ts';
import type { AdmissionStore } from '../adapters/firestore-admission.ts';
import { admitAndPublish, publishAdmitted, type AdmissionDeps } from './admission.ts';
import { eachLimited, PAGE_SIZE } from './deps.ts';

export interface ReleaseDeps extends AdmissionDeps {
  admission: Pick<AdmissionStore, 'admit' | 'unadmit' | 'heldUsers' | 'admittedBefore' | 'unsentBefore' | 'restamp'>;
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
/**
 * Admitted tasks never published and younger than this are left to their admitter, which is publishing them right now
 * (options.unsentGraceMs); older ones are published at once, not after REPUBLISH_QUEUED_MINUTES.
 */
export const UNSENT_GRACE_MS = 30_000;
/** Held tasks scanned for their users per run (the oldest first). */
const HELD_SCAN = 2_000;

export async function releaseQueued(deps: ReleaseDeps, options: { now?: Date; limit?: number; heldGraceMs?: number; unsentGraceMs?: number } = {}): Promise<ReleaseReport> {
  const now = options.now ?? new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const limit = options.limit ?? PAGE_SIZE;
  const users = await deps.admission.heldUsers(ago(options.heldGraceMs ?? HELD_GRACE_MS), HELD_SCAN);
  const admitted = (await eachLimited(users, (userHash) => admitAndPublish(deps, userHash, now))).flat();
  const [unsent, lost] = await Promise.all([deps.admission.unsentBefore(ago(options.unsentGraceMs ?? UNSENT_GRACE_MS), limit), deps.admission.admittedBefore(ago(deps.fairness.republishAfterMs), limit)]);
  // An unsent task admitted long ago is in both: published once.
  const again = [...new Map([...unsent, ...lost].map((task) => [task.taskId, task])).values()];
  const republished = await eachLimited(again, async (task) => {
    const stamped = await deps.admission.restamp(task, now);
    if (stamped) await publishAdmitted(deps, stamped);
    return stamped?.taskId;
  });
  return { admitted: admitted.map((t) => t.taskId), republished: republished.filter((id): id is string => id !== undefined) };
}
