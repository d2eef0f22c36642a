/**
 * ocr-worker: a Pub/Sub push (as a CloudEvent) from one of the priority topics → the OCR of one
 * task. Deployed once per lane (priority topic); locally one process takes all three, and the
 * gate shares its slots between lanes and users fairly. A delivery's end admits its user's next held task.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { Priority } from '../../shared/core/task.ts';
import { appContext } from '../../shared/services/context.ts';
import { handleOcrMessage, lifecycle, RedeliverError, type WorkerOutcome } from '../../shared/services/ocr-worker.ts';
import { logEntry } from '../../shared/log.ts';
import { releasePredecessors } from '../../shared/lifecycle/recover-stale.ts';
import { warmRenderThread } from '../../shared/engines/index.ts';
import { engine, workerDeps } from './wiring.ts';
import { PriorityGate } from '../../shared/services/priority-gate.ts';
import { admitWithin, NEXT_ADMISSION_WAIT_MS } from '../../shared/lifecycle/admission.ts';

const PubsubPush = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().optional(),
  }),
  subscription: z.string().optional(),
});

let gate: PriorityGate | undefined;

export async function ocrWorker(event: CloudEvent<unknown>): Promise<WorkerOutcome | undefined> {
  const { config } = appContext('ocr-worker');
  const push = PubsubPush.safeParse(event.data);
  let data: unknown;
  try {
    data = push.success && push.data.message.data ? JSON.parse(Buffer.from(push.data.message.data, 'base64').toString('utf8')) : undefined;
  } catch {
    data = undefined;
  }
  const attributes = push.success ? push.data.message.attributes : undefined;
  const lane = Priority.catch('normal').parse(attributes?.priority);
  const userHash = attributes?.userHash;
  gate ??= new PriorityGate(config.WORKER_SLOTS, { agingMs: config.fairness.agingMs });
  try {
    // The slot is left as soon as the read is over: the task's completion and announcement need none.
    return await gate.run({ lane, userHash }, (leave) => handleOcrMessage(data, workerDeps(), leave));
  } catch (err) {
    // The framework answers a thrown error with a 5xx and prints its stack to stderr as it stands: a redelivery asked
    // for is no crash, and its line is a Cloud Logging entry like every other.
    if (err instanceof RedeliverError) err.stack = logEntry('ocr-worker', 'WARNING', `delivered again later: ${err.message}`, { userHash });
    throw err;
  } finally {
    if (userHash) await admitNext(userHash);
  }
}

/**
 * The task has left its slot (finished, or back for a retry): the user's next held task may go. The push is answered
 * after NEXT_ADMISSION_WAIT_MS at most: a push left open holds one of the few its subscription delivers at once.
 */
async function admitNext(userHash: string): Promise<void> {
  const { config, admission, tasks, queue, log } = appContext('ocr-worker');
  // Another delivery's admission of this user waits to begin here: it will count this task as left, and its own push
  // waits for it. This push is answered at once, free for the next document (a push held open is one fewer at the gate).
  if (admission.waitsToBegin(userHash)) return;
  const failed = (err: unknown) => log.warn('admission of the next held task failed', { userHash, error: err });
  // Not fatal to this delivery: queue care admits whatever is missed here.
  const admitted = await admitWithin({ admission, tasks, queue, fairness: config.fairness }, userHash, NEXT_ADMISSION_WAIT_MS, (late) => {
    if (late.status === 'rejected') failed(late.reason);
    else log.info('next held task admitted behind the answer', { userHash, admitted: late.value.length });
  }).catch((err: unknown) => (failed(err), []));
  if (!admitted) log.info("admission of the next held task goes on behind the answer (the user's admission document is held)", { userHash, waitedMs: NEXT_ADMISSION_WAIT_MS });
}

/** Starts the OCR workers ahead of the first message, so the first task does not pay for it. */
export function warmUp(): void {
  void releaseLeasesOfPredecessor();
  // The PDF render thread too: its start (pdfjs loaded in a fresh isolate) is not the first PDF's to pay.
  warmRenderThread({ heapMb: appContext('ocr-worker').config.limits.renderHeapMb });
  void engine()
    .warmUp(['eng'])
    .catch(() => undefined);
}

/**
 * An instance started again under its stable name (WORKER_INSTANCE) frees what its killed predecessor held, so its
 * tasks' redeliveries are taken now rather than once their leases run out. Not fatal: the leases still expire.
 */
async function releaseLeasesOfPredecessor(): Promise<void> {
  const { config, log, tasks } = appContext('ocr-worker');
  if (!config.WORKER_INSTANCE) return;
  const deps = workerDeps();
  try {
    const report = await releasePredecessors({ ...lifecycle(deps, log), tasks }, deps.workerId);
    if (report.requeued.length || report.failed.length) log.info('leases of this instance\'s predecessor released', { requeued: report.requeued.length, failed: report.failed.length });
  } catch (err) {
    log.warn('leases of this instance\'s predecessor not released; they expire after LEASE_SECONDS', { error: err });
  }
}
