/**
 * Who holds a lease: a worker id. A worker instance with a stable name (WORKER_INSTANCE: a
 * supervisor's slot, started again under the same name after a crash) holds its leases as
 * `name/incarnation`, the incarnation new at every start. Its next start can then tell its dead
 * predecessor's leases from everyone else's and free them at once, instead of leaving their tasks
 * to wait out the lease (lifecycle/recover-stale.ts releasePredecessors).
 */
const SEPARATOR = '/';
/** The character after SEPARATOR: every `name/…` id sorts in [`name/`, `name0`). */
const AFTER_SEPARATOR = String.fromCharCode(SEPARATOR.charCodeAt(0) + 1);

/** A stable instance name holds no separator (checked in config.ts). */
export const INSTANCE_NAME = /^[A-Za-z0-9._:-]{1,100}$/;

export function holderId(instance: string, incarnation: string): string {
  return `${instance}${SEPARATOR}${incarnation}`;
}

/** The ids of every incarnation of `instance`, as a half-open range of strings (one range query finds their leases). */
export function holderRange(instance: string): { from: string; to: string } {
  return { from: `${instance}${SEPARATOR}`, to: `${instance}${AFTER_SEPARATOR}` };
}

/** The stable name of the instance holding as `workerId`, or null for a holder without one. */
export function instanceOf(workerId: string): string | null {
  const at = workerId.lastIndexOf(SEPARATOR);
  return at > 0 ? workerId.slice(0, at) : null;
}

/** Whether `holder` is an earlier incarnation of the instance `self` is now: dead, since an instance runs once at a time. */
export function isPredecessor(holder: string, self: string): boolean {
  const instance = instanceOf(self);
  return instance !== null && holder !== self && instanceOf(holder) === instance;
}
