import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, StorageError } from '../errors.ts';
import type { StorageCore } from '../storage.ts';
import * as buckets from './buckets.ts';
import { type Ctx, errorMessages, type Handler, methodNotAllowed, type Params, redact, sendError } from './context.ts';
import { preflight } from './cors.ts';
import { download } from './downloads.ts';
import * as objects from './objects.ts';
import { postPolicyUpload } from './post-policy.ts';
import { aclRoutes } from './acl.ts';
import * as iam from './iam.ts';
import { upload } from './uploads.ts';
import { xmlListObjects, xmlObject, xmlRoot } from './xml.ts';

/** Which API a request addresses, from its path prefix. */
type Api = 'json' | 'upload' | 'download' | 'xml';

/** `[method, path pattern, handler]`: `{name}` is one segment, `{name...}` one or more (object names with raw slashes). */
type Route = readonly [method: string, pattern: string, handler: Handler];

const bucketAcl = aclRoutes('acl');
const defaultObjectAcl = aclRoutes('defaultObjectAcl');
const objectAcl = aclRoutes('object');

/** The JSON API, after its prefix (`/storage/v1`, or none: the form `STORAGE_EMULATOR_HOST` clients use). */
const JSON_ROUTES: Route[] = [
  ['GET', '/b', buckets.listBuckets],
  ['POST', '/b', buckets.insertBucket],
  ['GET', '/b/{bucket}', buckets.getBucket],
  ['PATCH', '/b/{bucket}', buckets.updateBucket],
  ['PUT', '/b/{bucket}', buckets.updateBucket],
  ['DELETE', '/b/{bucket}', buckets.deleteBucket],
  ['GET', '/b/{bucket}/storageLayout', buckets.storageLayout],
  ['GET', '/b/{bucket}/iam', iam.getIamPolicy],
  ['PUT', '/b/{bucket}/iam', iam.setIamPolicy],
  ['GET', '/b/{bucket}/iam/testPermissions', iam.testIamPermissions],
  ['POST', '/b/{bucket}/lockRetentionPolicy', buckets.lockRetentionPolicy],
  ['GET', '/b/{bucket}/managedFolders', buckets.emptyFolders('storage#managedFolders')],
  ['GET', '/b/{bucket}/folders', buckets.emptyFolders('storage#folders')],
  ['GET', '/b/{bucket}/notificationConfigs', buckets.listNotifications],
  ['POST', '/b/{bucket}/notificationConfigs', buckets.insertNotification],
  ['GET', '/b/{bucket}/notificationConfigs/{id}', buckets.getNotification],
  ['DELETE', '/b/{bucket}/notificationConfigs/{id}', buckets.deleteNotification],
  ...aclTable('/b/{bucket}/acl', bucketAcl),
  ...aclTable('/b/{bucket}/defaultObjectAcl', defaultObjectAcl),
  ['GET', '/b/{bucket}/o', objects.listObjects],
  ['POST', '/b/{bucket}/o', upload],
  ['POST', '/b/{bucket}/o/{object...}/rewriteTo/b/{destBucket}/o/{destObject...}', objects.copyObject],
  ['POST', '/b/{bucket}/o/{object...}/copyTo/b/{destBucket}/o/{destObject...}', objects.copyObject],
  ['POST', '/b/{bucket}/o/{object...}/moveTo/o/{destObject...}', objects.moveObject],
  ['POST', '/b/{bucket}/o/{object...}/compose', objects.composeObject],
  ['POST', '/b/{bucket}/o/{object...}/restore', objects.restoreObject],
  ...aclTable('/b/{bucket}/o/{object...}/acl', objectAcl),
  ['GET', '/b/{bucket}/o/{object...}', objects.getObject],
  ['HEAD', '/b/{bucket}/o/{object...}', objects.getObject],
  ['PATCH', '/b/{bucket}/o/{object...}', objects.updateObject],
  ['PUT', '/b/{bucket}/o/{object...}', objects.updateObject],
  ['DELETE', '/b/{bucket}/o/{object...}', objects.deleteObject],
  ['GET', '/projects/{id}/serviceAccount', iam.serviceAccount],
  ['POST', '/channels/stop', iam.stopChannel],
];

function aclTable(base: string, h: ReturnType<typeof aclRoutes>): Route[] {
  return [
    ['GET', base, h.list],
    ['POST', base, h.insert],
    ['GET', `${base}/{entity}`, h.get],
    ['PUT', `${base}/{entity}`, h.update],
    ['PATCH', `${base}/{entity}`, h.update],
    ['DELETE', `${base}/{entity}`, h.remove],
  ];
}

const ROUTES: Record<Api, Route[]> = {
  json: JSON_ROUTES,
  upload: [['*', '/b/{bucket}/o', upload]],
  download: [
    ['GET', '/b/{bucket}/o/{object...}', download],
    ['HEAD', '/b/{bucket}/o/{object...}', download],
  ],
  // path-style: signed URLs, their resumable sessions, HTML form uploads
  xml: [
    ['GET', '/', xmlRoot],
    ['POST', '/', postPolicyUpload],
    ['GET', '/{bucket}', xmlListObjects],
    ['POST', '/{bucket}', postPolicyUpload],
    ['*', '/{bucket}/{object...}', xmlObject],
  ],
};

/** Longest first. An API prefix counts only when `/b` follows it, so a bucket named "upload" still works path-style. */
const API_PREFIXES: [string, Api][] = [
  ['/resumable/upload/storage/v1', 'upload'],
  ['/upload/storage/v1', 'upload'],
  ['/download/storage/v1', 'download'],
  ['/storage/v1', 'json'],
  ['/upload', 'upload'],
  ['/download', 'download'],
  ['', 'json'],
];

/** JSON API paths outside `/b`; with no prefix they would read as a bucket named "projects" or "channels". */
const JSON_ROOTS = /^\/(?:projects\/[^/]+\/serviceAccount|channels\/stop)$/;

function splitApi(pathname: string): { api: Api; path: string } {
  for (const [prefix, api] of API_PREFIXES) {
    const rest = pathname.slice(prefix.length);
    if (pathname.startsWith(prefix) && (rest === '/b' || rest.startsWith('/b/') || (api === 'json' && JSON_ROOTS.test(rest)))) return { api, path: rest };
  }
  return { api: 'xml', path: pathname };
}

const compiled = new Map<string, string[]>();
const segmentsOf = (pattern: string): string[] => {
  let s = compiled.get(pattern);
  if (!s) compiled.set(pattern, (s = pattern.split('/').slice(1)));
  return s;
};

/** Matches decoded path segments against a pattern; `{x...}` takes the fewest segments that let the rest match. */
export function matchPath(pattern: string[], seg: string[], params: Record<string, string> = {}): Record<string, string> | undefined {
  if (pattern.length === 0) return seg.length === 0 ? params : undefined;
  const [p, ...restPattern] = pattern as [string, ...string[]];
  const m = /^\{(\w+)(\.\.\.)?\}$/.exec(p);
  if (!m) return seg[0] === p ? matchPath(restPattern, seg.slice(1), params) : undefined;
  const [, name, many] = m as unknown as [string, string, string | undefined];
  if (!many) return seg[0] ? matchPath(restPattern, seg.slice(1), { ...params, [name]: seg[0] }) : undefined;
  for (let k = 1; k <= seg.length; k++) {
    const found = matchPath(restPattern, seg.slice(k), { ...params, [name]: seg.slice(0, k).join('/') });
    if (found) return found;
  }
  return undefined;
}

const EMPTY: Params = { bucket: '', object: '', id: '', entity: '', destBucket: '', destObject: '' };

async function route(ctx: Ctx, pathname: string): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const { api, path } = splitApi(pathname);
  ctx.api = api === 'xml' ? 'xml' : 'json';
  let seg: string[];
  try {
    seg = path === '/' ? [] : path.split('/').slice(1).map((s) => decodeURIComponent(s));
    // `POST /BUCKET/` (a form upload's URL) addresses the bucket, not an object with an empty name
    if (api === 'xml' && seg.length === 2 && seg[1] === '') seg.pop();
  } catch {
    throw badRequest(`Malformed percent-encoding in ${pathname}`);
  }
  let pathMatched = false;
  for (const [m, pattern, handler] of ROUTES[api]) {
    const found = pattern === '/' ? (seg.length === 0 ? {} : undefined) : matchPath(segmentsOf(pattern), seg);
    if (!found) continue;
    pathMatched = true;
    const params: Params = { ...EMPTY, ...found };
    if (params.bucket) ctx.bucket = params.bucket;
    if (method === 'OPTIONS') return preflight(ctx);
    if (m === '*' || m === method) return handler(ctx, params);
  }
  if (method === 'OPTIONS') return preflight(ctx);
  if (pathMatched) throw methodNotAllowed();
  throw new StorageError('notFound', `Not Found: ${pathname}`);
}

/** The emulator's HTTP entry: the JSON API, uploads, downloads and path-style (XML API) requests. */
export function createRequestHandler(
  core: StorageCore,
  projectId: string,
  trace?: (entry: Record<string, unknown>) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (trace) {
      const started = Date.now();
      res.on('finish', () =>
        trace({
          severity: 'DEBUG',
          message: 'request',
          method: req.method,
          url: redact(req.url ?? ''),
          contentRange: req.headers['content-range'],
          range: req.headers.range,
          acceptEncoding: req.headers['accept-encoding'],
          contentType: req.headers['content-type'],
          status: res.statusCode,
          ...(errorMessages.has(res) ? { error: errorMessages.get(res) } : {}),
          durationMs: Date.now() - started,
        }),
      );
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ctx: Ctx = { req, res, query: url.searchParams, base: `http://${req.headers.host ?? 'localhost'}`, core, projectId, api: 'json' };
    route(ctx, url.pathname).catch((err: unknown) => sendError(ctx, err));
  };
}
