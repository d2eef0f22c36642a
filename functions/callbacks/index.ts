/**
 * callbacks: a Pub/Sub push (as a CloudEvent) from the ocr-events topic → one attempt at the
 * task's callback. Its own function, so a receiver that never answers holds no OCR slot.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { notifySettings } from '../../shared/lifecycle/notify.ts';
import { deliverCallback, type CallbackOutcome } from '../../shared/services/callbacks.ts';
import { appContext } from '../../shared/services/context.ts';

const PubsubPush = z.object({ message: z.object({ data: z.string().optional() }) });

function messageData(event: CloudEvent<unknown>): unknown {
  const push = PubsubPush.safeParse(event.data);
  if (!push.success || !push.data.message.data) return undefined;
  try {
    return JSON.parse(Buffer.from(push.data.message.data, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

export async function callbacks(event: CloudEvent<unknown>): Promise<CallbackOutcome> {
  const { config, tasks, queue, log } = appContext('callbacks');
  return deliverCallback(messageData(event), {
    tasks,
    log,
    publishDeadLetter: (e, reason) => queue.publishCallbackDeadLetter(e, reason),
    ...notifySettings(config),
  });
}
