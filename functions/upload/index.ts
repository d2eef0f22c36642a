/**
 * upload (HTTP): `POST /` multipart/form-data with one or more files → 202 and a task id per
 * file; `POST /uploads` JSON {fileName, size, contentType, …} → a V4 signed URL for one large
 * document. Thin: identify the caller, hand the request to the upload service, map errors.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { identify, type IdentifyOptions } from '../../shared/adapters/auth.ts';
import { appContext } from '../../shared/services/context.ts';
import { acceptUpload, createSignedUpload, type UploadDeps } from '../../shared/services/upload.ts';
import { corsForUpload } from '../../shared/services/console.ts';
import { DocVaultError } from '../../shared/core/errors.ts';
import { httpFunction } from '../http-function.ts';

export type UploadContext = UploadDeps & { identity?: IdentifyOptions };

export function createUploadHandler(context: () => UploadContext): HttpFunction {
  return httpFunction(context, async (deps, req, res) => {
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
    const caller = await identify(req.headers, deps.config, deps.identity);
    if (/\/uploads\/?$/.test(req.path)) {
      if (!req.is('application/json')) throw new DocVaultError('INVALID_REQUEST', 'POST /uploads takes a JSON body: {"fileName", "size", "contentType"}.');
      res.status(200).json(await createSignedUpload(deps, caller, req.body));
      return;
    }
    // The functions framework has already read the body into rawBody (its raw parser takes
    // every content type it does not parse itself, multipart included); else read the stream.
    res.status(202).json(await acceptUpload(deps, caller, { headers: req.headers, body: req.rawBody ?? req }));
  });
}

export const upload: HttpFunction = createUploadHandler(() => appContext('upload'));
