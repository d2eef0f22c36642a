/**
 * api (HTTP): the caller's tasks, results, batches and queue, under one function with a small
 * route table. Thin: identify the caller, call the api service, write JSON or stream a result.
 */
import { pipeline } from 'node:stream/promises';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Caller, IdentifyOptions } from '../../shared/adapters/auth.ts';
import { DocVaultError } from '../../shared/core/errors.ts';
import { contentDisposition } from '../../shared/core/header-text.ts';
import { VERSION } from '../../shared/version.ts';
import { httpFunction, USER_CONTENT_HEADERS } from '../http-function.ts';
import { OPENAPI } from './openapi.ts';
import {
  cancelTask,
  getBatch,
  getTask,
  health,
  listBatches,
  listTasks,
  openResult,
  queueStatsOf,
  requeueFailedOf,
  retryWithPassword,
  shareReadsPerUser,
  type ApiDeps,
} from '../../shared/services/api.ts';
import { appContext, type AppContext } from '../../shared/services/context.ts';
import { isMaintenanceCaller, runCleanup, runRecoverStale } from '../../shared/services/maintenance.ts';
import { cacheInfoFor, type CacheInfo } from '../../shared/services/models.ts';
import { CONSOLE_ROUTES, serveConsole } from './console-routes.ts';

export type ApiContext = AppContext & { identity?: IdentifyOptions };

export interface Call {
  deps: ApiDeps;
  caller: Caller;
  params: string[];
  req: Request;
  res: Response;
}

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(call: Call): Promise<unknown>;
  /** Only for the maintenance callers: to anyone else the path does not exist, whatever the method. */
  operatorsOnly?: true;
}

const ID = '([^/]+)';
const param = (call: Call, i = 0): string => call.params[i] ?? '';

/** Each route answers 200 with what its handler returns, unless the handler wrote the response itself. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/tasks\/?$/, handle: (c) => listTasks(c.deps, c.caller, c.req.query) },
  { method: 'GET', path: new RegExp(`^/tasks/${ID}/?$`), handle: (c) => getTask(c.deps, c.caller, param(c), c.req.query) },
  { method: 'GET', path: new RegExp(`^/tasks/${ID}/result/?$`), handle: streamResult },
  { method: 'POST', path: new RegExp(`^/tasks/${ID}/cancel/?$`), handle: (c) => cancelTask(c.deps, c.caller, param(c)) },
  { method: 'POST', path: new RegExp(`^/tasks/${ID}/password/?$`), handle: (c) => retryWithPassword(c.deps, c.caller, param(c), c.req.body) },
  { method: 'GET', path: /^\/batches\/?$/, handle: (c) => listBatches(c.deps, c.caller, c.req.query) },
  { method: 'GET', path: new RegExp(`^/batches/${ID}/?$`), handle: (c) => getBatch(c.deps, c.caller, param(c), c.req.query) },
  { method: 'GET', path: /^\/queue\/stats\/?$/, handle: (c) => queueStatsOf(c.deps, c.caller) },
  { method: 'POST', path: /^\/queue\/requeue-failed\/?$/, handle: (c) => requeueFailedOf(c.deps, c.caller, requeueBody(c.req)) },
  { method: 'POST', path: /^\/maintenance\/recover-stale\/?$/, handle: (c) => runRecoverStale(c.deps, c.caller), operatorsOnly: true },
  { method: 'POST', path: /^\/maintenance\/cleanup\/?$/, handle: (c) => runCleanup(c.deps, c.caller, c.req.body), operatorsOnly: true },
  { method: 'GET', path: /^\/cache\/info\/?$/, handle: modelCacheInfo },
  ...CONSOLE_ROUTES,
];

function modelCacheInfo(call: Call): Promise<Partial<CacheInfo>> {
  return cacheInfoFor(call.deps.config, call.deps.storage, isMaintenanceCaller(call.deps, call.caller));
}

function requeueBody(req: Request): unknown {
  // The error code may come as JSON {"code": …} or as ?code=…
  const body: unknown = req.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) return body;
  return typeof req.query.code === 'string' ? { code: req.query.code } : {};
}

async function streamResult(call: Call): Promise<undefined> {
  const result = await openResult(call.deps, call.caller, param(call), call.req.query);
  call.res.status(200);
  call.res.setHeader('content-type', result.contentType);
  call.res.setHeader('content-length', String(result.size));
  call.res.setHeader('content-disposition', contentDisposition(result.contentType === 'application/pdf' ? 'attachment' : 'inline', result.fileName));
  call.res.setHeader('cache-control', 'private, max-age=300');
  for (const [name, value] of Object.entries(USER_CONTENT_HEADERS)) call.res.setHeader(name, value);
  await pipeline(result.stream, call.res);
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes name no task: the handler answers 404
  }
}

type Match = { route: Route; params: string[] } | { wrongMethod: true; operatorsOnly: boolean } | null;

function route(method: string, path: string): Match {
  let pathMatched: Route | null = null;
  for (const r of ROUTES) {
    const m = r.path.exec(path);
    if (!m) continue;
    if (r.method === method) return { route: r, params: m.slice(1).map(decodeSegment) };
    pathMatched = r;
  }
  return pathMatched ? { wrongMethod: true, operatorsOnly: Boolean(pathMatched.operatorsOnly) } : null;
}

export function createApiHandler(context: () => ApiContext): HttpFunction {
  // Each user's reads through one queue per instance (shareReadsPerUser), made once per store.
  const shared = new WeakMap<ApiContext['tasks'], ApiContext['tasks']>();
  const withSharedReads = (): ApiContext => {
    const ctx = context();
    let tasks = shared.get(ctx.tasks);
    if (!tasks) shared.set(ctx.tasks, (tasks = shareReadsPerUser(ctx.tasks)));
    return { ...ctx, tasks };
  };
  return httpFunction('api', withSharedReads, async (ctx, req, res) => {
    if (req.path === '/health' || req.path === '/health/') {
      if (req.method !== 'GET') throw new DocVaultError('METHOD_NOT_ALLOWED', 'GET /health.');
      const h = await health(ctx, VERSION);
      res.status(h.status === 'ok' ? 200 : 503).json(h);
      return;
    }
    if (serveConsole(req, res, ctx.config)) return;
    if (req.path === '/openapi.json') {
      if (req.method !== 'GET') throw new DocVaultError('METHOD_NOT_ALLOWED', 'GET /openapi.json.');
      res.status(200).json(OPENAPI);
      return;
    }
    const found = route(req.method, req.path);
    const noRoute = () => new DocVaultError('NOT_FOUND', `No route for ${req.method} ${req.path}.`);
    if (found === null) throw noRoute();
    if ('wrongMethod' in found) {
      // An operators' path answers a wrong method exactly as a right one: 404 unless the caller is one.
      if (found.operatorsOnly && !isMaintenanceCaller(ctx, await ctx.caller())) throw noRoute();
      throw new DocVaultError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}.`);
    }
    const caller = await ctx.caller();
    if (found.route.operatorsOnly && !isMaintenanceCaller(ctx, caller)) throw noRoute();
    const result = await found.route.handle({ deps: ctx, caller, params: found.params, req, res });
    if (result !== undefined) res.status(200).json(result);
  }, countedPath);
}

/** The routes' paths ask for the caller, and so count; /health, /openapi.json and the console's page do not. */
function countedPath(path: string): boolean {
  return ROUTES.some((r) => r.path.test(path));
}

export const api: HttpFunction = createApiHandler(() => appContext('api'));
