/**
 * upload (HTTP): `POST /` multipart/form-data with one or more files → 202 and a task id per
 * file (207 when some files were refused, 4xx when none was taken); `POST /uploads` JSON
 * {fileName, size, contentType, …} → a V4 signed URL for one large document. Thin: identify the caller, hand the request to the upload service, map errors.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { IdentifyOptions } from '../../shared/adapters/auth.ts';
import { appContext } from '../../shared/services/context.ts';
import { acceptUpload, createSignedUpload, type UploadDeps } from '../../shared/services/upload/index.ts';
import { corsForUpload } from '../../shared/services/console.ts';
import { DocVaultError } from '../../shared/core/errors.ts';
import { httpFunction } from '../http-function.ts';

export type UploadContext = UploadDeps & { identity?: IdentifyOptions };

export function createUploadHandler(context: () => UploadContext): HttpFunction {
  return httpFunction('upload', context, async (deps, req, res) => {
    // The web console, served by the api on another origin, posts here from the browser.
    const cors = corsForUpload(deps.config, req.method, req.get('origin'));
    res.set(cors.headers);
    if (cors.preflight) {
      res.status(204).end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new DocVaultError('METHOD_NOT_ALLOWED', 'Upload with POST (multipart/form-data), or POST /uploads for a signed upload URL.');
    }
    // Counted against the caller's limit before a byte of the body is read.
    const caller = await deps.caller();
    if (/\/uploads\/?$/.test(req.path)) {
      if (!req.is('application/json')) throw new DocVaultError('INVALID_REQUEST', 'POST /uploads takes a JSON body: {"fileName", "size", "contentType"}.');
      res.status(200).json(await createSignedUpload(deps, caller, req.body));
      return;
    }
    // A multipart body is left unread by the framework (functions/request-limits.ts): it is
    // streamed now that the caller is known. Any other body was buffered into rawBody.
    const accepted = await acceptUpload(deps, caller, { headers: req.headers, body: req.rawBody ?? req });
    // 207: some files were taken and some refused; `files` says which, each with its code.
    res.status(accepted.files.every((f) => f.accepted) ? 202 : 207).json(accepted);
  });
}

export const upload: HttpFunction = createUploadHandler(() => appContext('upload'));
