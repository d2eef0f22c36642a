/**
 * What the upload service needs and what it answers. upload puts documents into the uploads bucket,
 * one object per document under `users/{userHash}/{taskId}/{safe name}`, with the task id and the
 * caller's choices in the object's metadata, and writes the task PENDING so the caller can follow
 * it at once. A multipart document's object is there as upload answers: upload moves its task on
 * itself, through dispatch's own step (lifecycle/dispatch-object.ts), so it does not wait behind
 * the bucket's finalize events; the event, which every way into the bucket raises (a signed URL's
 * bytes, a drop with gcloud), then finds it dispatched, or carries on what upload could not.
 */
import type { Storage } from '@google-cloud/storage';
import type { Caller } from '../../adapters/auth.ts';
import type { TaskStore } from '../../adapters/firestore-tasks.ts';
import type { Config } from '../../config.ts';
import type { BlobStore } from '../../core/blob-store.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { TaskStatus } from '../../core/task.ts';
import type { Logger } from '../../log.ts';
import type { DispatchDeps } from '../../lifecycle/dispatch-object.ts';

export type { Caller };

export interface UploadDeps {
  config: Config;
  blobs: Pick<BlobStore, 'writeOnce' | 'delete'>;
  /** Where the PENDING task is written, so GET /tasks shows it at once, and moved on (dispatch's step). */
  tasks: Pick<TaskStore, 'createIfAbsent'> & DispatchDeps['tasks'];
  admission: DispatchDeps['admission'];
  queue: DispatchDeps['queue'];
  /** The Cloud Storage client: the default signer of upload URLs. */
  storage: Storage;
  log: Logger;
  /** Signs upload URLs. Default: the storage client (IAM signBlob in the cloud) or, against the emulator, a local key. */
  signer?: Storage;
  maxFiles?: number;
}

export interface AcceptedTask {
  taskId: string;
  fileName: string;
  status: TaskStatus;
  /** Where to follow the task: the api's URL (API_URL), else a path on it. */
  statusUrl: string;
}

/** One file of a multipart request, accepted (a task) or refused (a code, as an HTTP error would carry it). */
export type FileOutcome =
  | ({ accepted: true } & AcceptedTask)
  | { accepted: false; fileName: string; httpStatus: number; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export interface UploadAccepted {
  /** The accepted files' tasks. */
  tasks: AcceptedTask[];
  /** Every file of the request, in order, with its outcome. */
  files: FileOutcome[];
  batchId?: string;
}

export interface SignedUpload {
  taskId: string;
  /** A V4 signed URL that starts a resumable upload session (not the session itself). */
  uploadUrl: string;
  method: 'POST';
  resumable: true;
  /** Send exactly these headers with the POST (`x-goog-resumable: start` among them): they are part of the signature. */
  headers: Record<string, string>;
  /** The POST must come before this; the session it opens then stays open for a week. */
  expiresAt: string;
  /** The task is there at once, PENDING until the bytes arrive. */
  status: TaskStatus;
  statusUrl: string;
  /** The two steps, in words, for whoever reads the response. */
  howTo: string;
}

/** The api's URL of a task: absolute when API_URL is configured (the api is another function, on another host or port). */
export function statusUrl(config: Pick<Config, 'API_URL'>, taskId: string): string {
  return `${(config.API_URL ?? '').replace(/\/+$/, '')}/tasks/${taskId}`;
}
