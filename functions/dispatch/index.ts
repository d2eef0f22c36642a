/** dispatch: Eventarc storage trigger (object finalized on the uploads bucket) → task + priority topic. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import { setTimeout as sleep } from 'node:timers/promises';
import { dispatchObject, dispatchSettings, StorageObject, uploadGraceMs } from '../../shared/lifecycle/dispatch-object.ts';
import { appContext } from '../../shared/services/context.ts';

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
  // upload dispatches its multipart documents itself: their events, given it a moment, find the task dispatched (a no-op).
  const grace = uploadGraceMs(object.data, new Date());
  if (grace > 0) await sleep(grace);
  await dispatchObject(object.data, { ...dispatchSettings(config), tasks, admission, queue, log });
}
