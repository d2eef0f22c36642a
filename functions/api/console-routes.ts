/**
 * The api's routes for the web console: the page itself and its settings (no sign-in needed: they
 * hold nothing of anyone's), a stream of the caller's task changes, and a page's preview image.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Config } from '../../shared/config.ts';
import { DocVaultError } from '../../shared/core/errors.ts';
import { TASK_ID } from '../../shared/core/task.ts';
import { PREVIEW_CONTENT_TYPE, previewObjectName } from '../../shared/outputs/preview.ts';
import { consoleHeaders, consoleSettings, loadConsoleFiles, type ConsoleFile } from '../../shared/services/console.ts';
import { EVENT_STREAM_SECONDS, reserveStream, watchTasks } from '../../shared/services/task-events.ts';
import type { Call, Route } from './index.ts';

let files: Map<string, ConsoleFile> | null | undefined;

/**
 * Answers GET / (the page), GET /config and the page's assets; false for every other request.
 * Before sign-in, like /health: the page is what signs people in.
 */
export function serveConsole(req: Request, res: Response, config: Config): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.path === '/config') {
    res.setHeader('cache-control', 'no-cache');
    res.status(200).json(consoleSettings(config));
    return true;
  }
  files ??= loadConsoleFiles();
  const file = files?.get(req.path);
  if (req.path === '/' && !file) {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'The web console is not built: run `npm run build` (npm start builds it).' } });
    return true;
  }
  if (!file) return false;
  res.set({ ...consoleHeaders(config), 'content-type': file.contentType, 'cache-control': file.cacheControl });
  res.status(200).send(file.body);
  return true;
}

/** GET /events: server-sent events, one `tasks` event per change of the caller's tasks, for EVENT_STREAM_SECONDS. */
async function streamEvents(call: Call): Promise<undefined> {
  const release = reserveStream(call.caller);
  if (!release) throw new DocVaultError('UNAVAILABLE', 'Too many open event streams for this user; close a tab or try again shortly.');
  const { res, req } = call;
  res.status(200);
  res.set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  // Tells the page how soon to reconnect when this stream ends.
  res.write('retry: 1000\n\n');
  await new Promise<void>((done) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(keepAlive);
      unsubscribe();
      release();
      res.end();
      done();
    };
    const unsubscribe = watchTasks(
      call.deps.tasks,
      call.caller,
      (tasks) => res.write(`event: tasks\ndata: ${JSON.stringify(tasks)}\n\n`),
      (err) => {
        call.deps.log.warn('task event stream failed', { error: err });
        finish();
      },
    );
    const timer = setTimeout(finish, EVENT_STREAM_SECONDS * 1000);
    // A comment line now and then keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.once('close', finish);
  });
  return undefined;
}

/** GET /tasks/{id}/pages/{n}/preview: the page's preview image, from the caller's own result prefix. */
async function streamPreview(call: Call): Promise<undefined> {
  const [taskId = '', page = ''] = call.params;
  const number = Number(page);
  if (!TASK_ID.test(taskId) || !Number.isInteger(number) || number < 1) throw new DocVaultError('NOT_FOUND', 'No such page.');
  const task = await call.deps.tasks.getForUser(taskId, call.caller.userHash);
  if (!task) throw new DocVaultError('NOT_FOUND', 'No such task.');
  if (task.status !== 'COMPLETED') throw new DocVaultError('NOT_READY', `The task has no result yet (status ${task.status}).`, { status: task.status });
  const ref = { bucket: call.deps.config.RESULTS_BUCKET, name: previewObjectName(call.caller.userHash, taskId, number) };
  if (!(await call.deps.blobs.stat(ref))) throw new DocVaultError('NOT_FOUND', 'This page has no preview.');
  const bytes = await call.deps.blobs.read(ref);
  call.res.set({ 'content-type': PREVIEW_CONTENT_TYPE, 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' });
  call.res.status(200).send(Buffer.from(bytes));
  return undefined;
}

export const CONSOLE_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/events\/?$/, handle: streamEvents },
  { method: 'GET', path: /^\/tasks\/([^/]+)\/pages\/([^/]+)\/preview\/?$/, handle: streamPreview },
];
