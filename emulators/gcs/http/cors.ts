import { StorageError } from '../errors.ts';
import type { CorsRule } from '../types.ts';
import type { Ctx } from './context.ts';

/**
 * CORS as Cloud Storage answers it. The JSON API (`/storage/v1`, `/upload`, `/download`) allows
 * every origin whatever the bucket says; the XML API (path-style requests: signed URLs and their
 * resumable sessions) follows the bucket's `cors` configuration: the first rule whose `origin` and
 * `method` match decides, and without one the browser gets no `Access-Control-Allow-*` header.
 */
export function corsHeaders(ctx: Ctx, method = ctx.req.method ?? 'GET'): Record<string, string> {
  const origin = ctx.req.headers.origin;
  if (!origin) return {};
  if (ctx.api === 'json') {
    return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': JSON_EXPOSED, vary: 'Origin' };
  }
  const rule = matchingRule(ctx, origin, method);
  if (!rule) return { vary: 'Origin' };
  const headers: Record<string, string> = { 'access-control-allow-origin': rule.origin?.includes('*') ? '*' : origin, vary: 'Origin' };
  if (rule.responseHeader?.length) headers['access-control-expose-headers'] = rule.responseHeader.join(', ');
  return headers;
}

/** Headers a browser may read from a JSON API answer (what a resumable upload and a download need). */
const JSON_EXPOSED = 'Location, Range, Content-Range, Content-Length, Content-Type, ETag, X-GUploader-UploadID, X-Goog-Generation, X-Goog-Metageneration, X-Goog-Hash, X-Goog-Stored-Content-Length, X-Goog-Stored-Content-Encoding';

function matchingRule(ctx: Ctx, origin: string, method: string): CorsRule | undefined {
  if (!ctx.bucket) return undefined;
  let rules: CorsRule[];
  try {
    rules = (ctx.core.getBucket(ctx.bucket).metadata.cors as CorsRule[] | undefined) ?? [];
  } catch {
    return undefined;
  }
  const m = method.toUpperCase();
  return rules.find(
    (r) => (r.origin ?? []).some((o) => o === '*' || o === origin) && (r.method ?? []).some((x) => x === '*' || x.toUpperCase() === m),
  );
}

/** `OPTIONS`: a browser's preflight. */
export function preflight(ctx: Ctx): void {
  ctx.req.resume();
  const origin = ctx.req.headers.origin;
  const method = ctx.req.headers['access-control-request-method'];
  if (!origin || typeof method !== 'string') {
    throw new StorageError('badRequest', 'Insufficient information: a CORS preflight needs Origin and Access-Control-Request-Method.');
  }
  const requested = ctx.req.headers['access-control-request-headers'];
  const headers: Record<string, string> = { 'content-length': '0', vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  if (ctx.api === 'json') {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT',
      'access-control-max-age': '3600',
    });
  } else {
    const rule = matchingRule(ctx, origin, method);
    if (!rule) throw new StorageError('forbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
    Object.assign(headers, {
      'access-control-allow-origin': rule.origin?.includes('*') ? '*' : origin,
      'access-control-allow-methods': (rule.method ?? []).join(','),
    });
    if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  }
  // GCS allows whatever request headers the browser names (they are not part of the CORS rule)
  if (typeof requested === 'string' && requested) headers['access-control-allow-headers'] = requested;
  ctx.res.writeHead(200, headers);
  ctx.res.end();
}
