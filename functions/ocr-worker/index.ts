/**
 * ocr-worker: a Pub/Sub push (as a CloudEvent) from one of the priority topics → the OCR of one
 * task. Deployed once per priority topic; locally one process takes all three, and the priority
 * gate lets high-priority deliveries through first.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { Priority } from '../../shared/core/task.ts';
import { createOcr, warmRenderThread, type Ocr } from '../../shared/engines/index.ts';
import { modelSetup } from '../../shared/services/models.ts';
import { appContext } from '../../shared/services/context.ts';
import { withPoisonMarker } from '../../shared/services/faults.ts';
import { handleOcrMessage, type OcrProcessor, type WorkerOutcome } from '../../shared/services/ocr-worker.ts';
import { PriorityGate } from '../../shared/services/priority-gate.ts';

const PubsubPush = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().optional(),
  }),
  subscription: z.string().optional(),
});

const WORKER_ID = `${process.env.K_REVISION ?? 'local'}:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
let ocr: Ocr | undefined;
let gate: PriorityGate | undefined;

function engine(): Ocr {
  const { config, storage } = appContext('ocr-worker');
  ocr ??= createOcr({ modelDirs: modelSetup(config, storage).dirs, workers: config.OCR_WORKERS });
  return ocr;
}

function processor(): OcrProcessor {
  const { config } = appContext('ocr-worker');
  return config.OCR_FAULT_MARKER ? withPoisonMarker(engine(), config.OCR_FAULT_MARKER) : engine();
}

export async function ocrWorker(event: CloudEvent<unknown>): Promise<WorkerOutcome | undefined> {
  const { config, tasks, queue, storage, log } = appContext('ocr-worker');
  const push = PubsubPush.safeParse(event.data);
  let data: unknown;
  try {
    data = push.success && push.data.message.data ? JSON.parse(Buffer.from(push.data.message.data, 'base64').toString('utf8')) : undefined;
  } catch {
    data = undefined;
  }
  const priority = Priority.catch('normal').parse(push.success ? push.data.message.attributes?.priority : undefined);
  gate ??= new PriorityGate(config.WORKER_SLOTS);
  return gate.run(priority, () =>
    handleOcrMessage(data, {
      workerId: WORKER_ID,
      tasks,
      queue,
      storage,
      ocr: processor(),
      log,
      resultsBucket: config.RESULTS_BUCKET,
      limits: config.limits,
      leaseMs: config.LEASE_SECONDS * 1000,
      progressIntervalMs: config.PROGRESS_INTERVAL_MS,
      retentionMs: config.retentionMs,
      deleteUploadOnSuccess: config.DELETE_UPLOAD_ON_SUCCESS,
      webhookSecret: config.WEBHOOK_SECRET,
      allowPrivateCallbacks: config.usingEmulators,
    }),
  );
}

/** Starts the OCR workers ahead of the first message, so the first task does not pay for it. */
export function warmUp(): void {
  // The PDF render thread too: its start (pdfjs loaded in a fresh isolate) is not the first PDF's to pay.
  warmRenderThread({ heapMb: appContext('ocr-worker').config.limits.renderHeapMb });
  void engine()
    .engine.warmUp(['eng'])
    .catch(() => undefined);
}
