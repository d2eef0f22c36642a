/**
 * The functions framework parses every request body before a handler runs (body-parser: limit
 * 1024 MB, gzip and deflate inflated), so a 1 MB gzip body becomes about 1 GB in memory before
 * anyone has signed in. The framework has no setting for it: its body parsers are given ours
 * instead — compressed bodies refused (415) and a limit just above Cloud Run's own 32 MiB per
 * request. Imported before anything else by functions/index.ts, ahead of the framework building
 * its server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { MAX_HTTP_BODY_BYTES } from '../shared/config.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { toHttpError } from '../shared/http-errors.ts';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
type Parser = (options?: Record<string, unknown>) => Middleware;
type BodyParser = Record<'json' | 'raw' | 'text' | 'urlencoded', Parser> & { docvaultLimits?: true };

// The body-parser the framework itself loads (resolved from the framework's own location).
const fromFramework = createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'));
const bodyParser = fromFramework('body-parser') as BodyParser;

if (!bodyParser.docvaultLimits) {
  for (const kind of ['json', 'raw', 'text', 'urlencoded'] as const) {
    const original = bodyParser[kind];
    // Above the platform's 32 MiB, so upload's own limit (MAX_REQUEST_BYTES) answers first, with advice.
    bodyParser[kind] = (options = {}) => answeringInJson(original({ ...options, inflate: false, limit: MAX_HTTP_BODY_BYTES }));
  }
  bodyParser.docvaultLimits = true;
}

/** A body the parser refuses is answered in the service's own error shape, with a code, not Express's HTML page. */
function answeringInJson(parser: Middleware): Middleware {
  return (req, res, next) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status;
      const answer = toHttpError(
        status === 413
          ? new DocVaultError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_HTTP_BODY_BYTES} bytes: upload large files with a signed URL (POST /uploads).`)
          : status === 415
            ? new DocVaultError('UNSUPPORTED_ENCODING', 'Compressed request bodies (Content-Encoding) are not accepted: send the bytes as they are.')
            : new DocVaultError('INVALID_REQUEST', 'The request body could not be read (malformed JSON or form data).'),
      );
      res.statusCode = answer.status;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(answer.body));
    });
}
