/**
 * The upload service: a multipart request carrying the files (accept-upload.ts), or, for files
 * over the request limit, a V4 signed URL for a resumable upload (signed-upload.ts).
 */
export { acceptUpload, MAX_FILES_PER_REQUEST, type UploadInput } from './accept-upload.ts';
export { createSignedUpload } from './signed-upload.ts';
export type { AcceptedTask, FileOutcome, SignedUpload, UploadAccepted, UploadDeps } from './deps.ts';
