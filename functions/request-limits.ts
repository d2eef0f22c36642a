/**
 * The functions framework parses every request body before a handler runs (body-parser: limit
 * 1024 MB, gzip and deflate inflated), so a 1 MB gzip body becomes about 1 GB in memory before
 * anyone has signed in. The framework has no setting for it: its body parsers are given ours
 * instead — compressed bodies refused (415), a limit just above Cloud Run's own 32 MiB per request,
 * a request of a known caller over their per-user limits refused (429) before it is read or parsed
 * (caller-gate.ts) — by the server's request listener, ahead of the framework's Express app —, a body without credentials refused (401) unread by the functions whose callers sign in, and
 * multipart bodies left unread for upload to stream once it knows the caller. Imported before
 * anything else by functions/index.ts, ahead of the framework building its server.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { carriesCredentials } from '../shared/adapters/auth.ts';
import { MAX_HTTP_BODY_BYTES } from '../shared/config.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { toHttpError } from '../shared/http-errors.ts';
import { refuseBeforeReading } from './caller-gate.ts';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
type Parser = (options?: Record<string, unknown>) => Middleware;
type BodyParser = Record<'json' | 'raw' | 'text' | 'urlencoded', Parser> & { docvaultLimits?: true };

/**
 * Functions whose every request names its caller (the event functions take pushes that carry no
 * user's credentials). FUNCTION_TARGET is the deployed function's name, on Cloud Run as locally.
 */
const CALLER_FUNCTIONS: ReadonlySet<string> = new Set(['upload', 'api']);

// The body-parser the framework itself loads (resolved from the framework's own location).
const fromFramework = createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'));
const bodyParser = fromFramework('body-parser') as BodyParser;

if (!bodyParser.docvaultLimits) {
  for (const kind of ['json', 'raw', 'text', 'urlencoded'] as const) {
    const original = bodyParser[kind];
    // Above the platform's 32 MiB, so upload's own limit (MAX_REQUEST_BYTES) answers first, with advice.
    bodyParser[kind] = (options = {}) => guarded(answeringInJson(original({ ...options, inflate: false, limit: MAX_HTTP_BODY_BYTES })));
  }
  bodyParser.docvaultLimits = true;
}

/** Requests the gate has looked at already. */
const looked = new WeakSet<IncomingMessage>();

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * A caller this instance knows, over their per-user limits: refused before anything of the body is
 * read (a request without one, before the handler). Met first by the server's request listener,
 * ahead of the framework's Express app (a refusal then runs none of its routing and middleware),
 * and by the body parsers for a server built otherwise: each request is looked at once. True when
 * the request was answered.
 */
function refusedFirst(req: IncomingMessage, res: ServerResponse): boolean {
  const target = process.env.FUNCTION_TARGET ?? '';
  if (!CALLER_FUNCTIONS.has(target) || looked.has(req)) return false;
  looked.add(req);
  return refuseBeforeReading(target, req, res, hasBody(req));
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
const servers = http as typeof http & { docvaultGateFirst?: true };
if (!servers.docvaultGateFirst) {
  const createServer = http.createServer.bind(http) as (...args: unknown[]) => http.Server;
  // The framework builds its server with http.createServer(app): the app is wrapped, not replaced.
  servers.createServer = ((...args: unknown[]) =>
    createServer(
      ...args.map((arg) => {
        if (typeof arg !== 'function') return arg;
        const listener = arg as Listener;
        return (req: IncomingMessage, res: ServerResponse) => {
          if (!refusedFirst(req, res)) listener(req, res);
        };
      }),
    )) as typeof http.createServer;
  servers.docvaultGateFirst = true;
}

/** A body of a caller who names nobody is never read; a multipart body is left to the handler's stream. */
function guarded(parser: Middleware): Middleware {
  return (req, res, next) => {
    const target = process.env.FUNCTION_TARGET ?? '';
    const withBody = hasBody(req);
    if (refusedFirst(req, res)) return;
    if (!withBody) return parser(req, res, next);
    if (CALLER_FUNCTIONS.has(target) && !carriesCredentials(req.headers)) {
      // Answered at once; the rest of the body is discarded as it comes (Node dumps an unread request), never held.
      return answer(res, new DocVaultError('UNAUTHENTICATED', 'Sign in first: send an Authorization header (Bearer ID token).'));
    }
    if (/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) return next();
    return parser(req, res, next);
  };
}

/** A body the parser refuses is answered in the service's own error shape, with a code, not Express's HTML page. */
function answeringInJson(parser: Middleware): Middleware {
  return (req, res, next) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status;
      answer(
        res,
        status === 413
          ? new DocVaultError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_HTTP_BODY_BYTES} bytes: upload large files with a signed URL (POST /uploads).`)
          : status === 415
            ? new DocVaultError('UNSUPPORTED_ENCODING', 'Compressed request bodies (Content-Encoding) are not accepted: send the bytes as they are.')
            : new DocVaultError('INVALID_REQUEST', 'The request body could not be read (malformed JSON or form data).'),
      );
    });
}

function answer(res: ServerResponse, error: DocVaultError): void {
  const { status, body } = toHttpError(error);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
