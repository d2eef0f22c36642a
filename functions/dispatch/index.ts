/** dispatch: Eventarc storage trigger (object finalized on the uploads bucket) → task + priority topic. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { dispatchObject, StorageObject } from '../../shared/services/dispatch.ts';
import { appContext } from '../../shared/services/context.ts';
import { notifySettings } from '../../shared/lifecycle/notify.ts';

export const FINALIZED = 'google.cloud.storage.object.v1.finalized';

export async function dispatch(event: CloudEvent<unknown>): Promise<void> {
  const { config, tasks, admission, queue, log } = appContext('dispatch');
  if (event.type !== FINALIZED) {
    log.debug('event type ignored', { type: event.type });
    return;
  }
  const object = StorageObject.safeParse(event.data);
  if (!object.success) {
    // Redelivery cannot fix a malformed event: acknowledge it and say so.
    log.error('storage event without a readable object; ignored', { id: event.id });
    return;
  }
  // Errors from Firestore or Pub/Sub propagate: a 5xx makes Eventarc deliver the event again.
  await dispatchObject(object.data, {
    tasks,
    admission,
    fairness: config.fairness,
    queue,
    log,
    uploadsBucket: config.UPLOADS_BUCKET,
    maxAttempts: config.MAX_ATTEMPTS,
    priorityRules: config.PRIORITY_RULES,
    maxBytes: config.limits.maxBytes,
    retentionMs: config.retentionMs,
    notify: notifySettings(config),
  });
}
