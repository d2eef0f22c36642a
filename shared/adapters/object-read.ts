/**
 * Reading an object with @google-cloud/storage, without its "MaxListenersExceededWarning: Possible EventEmitter
 * memory leak detected. 11 error listeners added to [PassThrough]" on every download (a non-JSON line in a
 * function's log, two per document read by the worker).
 *
 * Not a leak, and not ours: the PassThrough is the one HTTP response body of a download, made by node-fetch 3 inside
 * teeny-request 11 (storage 8's stream transport), which that body reaches with 11 error and 11 close listeners, all
 * released when it ends: node-fetch's own `pipeline(response, body)` (3) and its Body (1), teeny-request's error
 * forwarding (1) and its `pipeline(body, requestStream)` once read (3), and `File.createReadStream`'s
 * `pipeline(body, validation…, throughStream)` (3). Node's default limit is 10. Reported upstream as
 * googleapis/google-cloud-node#9185 (open; the proposed fix raises the limit on that body in teeny-request).
 *
 * The limit is raised here on that body only, when the client hands it over (the read stream's `response` event,
 * before the two pipelines that pass 10), and only to what a download needs: a listener beyond that still warns.
 */
import type { CreateReadStreamOptions, File } from '@google-cloud/storage';
import type { Readable } from 'node:stream';

/** The listeners a download's response body carries (11), with room for a consumer's own. */
export const RESPONSE_BODY_MAX_LISTENERS = 16;

function roomForDownload(body: unknown): void {
  const emitter = body as { getMaxListeners?: () => number; setMaxListeners?: (n: number) => void } | null;
  if (typeof emitter?.getMaxListeners !== 'function' || typeof emitter.setMaxListeners !== 'function') return;
  const current = emitter.getMaxListeners();
  if (current !== 0 && current < RESPONSE_BODY_MAX_LISTENERS) emitter.setMaxListeners(RESPONSE_BODY_MAX_LISTENERS);
}

/** `file.createReadStream(options)`, its response body given room for the client's own listeners. */
export function objectReadStream(file: File, options?: CreateReadStreamOptions): Readable {
  const stream = file.createReadStream(options);
  stream.on('response', roomForDownload);
  return stream;
}

/** `file.download()` (the whole object in memory, checked against its hashes), through `objectReadStream`. */
export async function downloadObject(file: File, options?: CreateReadStreamOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of objectReadStream(file, options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
