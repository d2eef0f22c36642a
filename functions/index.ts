/**
 * Every function of the system, registered with the functions framework under its deploy name
 * (the name of its folder). Each implementation is imported on its first call, so an instance
 * deployed as `upload` never loads the OCR engine.
 */
// First: the framework's body parsers must be limited before it builds its server.
import './request-limits.ts';
// and the requests Node refuses before any handler answered in JSON (a 100 KB header: 431).
import './header-limits.ts';
import { cloudEvent, http, type CloudEvent, type HttpFunction } from '@google-cloud/functions-framework';

type Lazy<F> = () => Promise<F>;

function lazyHttp(load: Lazy<HttpFunction>): HttpFunction {
  let fn: Promise<HttpFunction> | undefined;
  return async (req, res) => (await (fn ??= load()))(req, res);
}

function lazyEvent(load: Lazy<(event: CloudEvent<unknown>) => Promise<unknown>>) {
  let fn: ReturnType<typeof load> | undefined;
  return async (event: CloudEvent<unknown>): Promise<void> => {
    await (await (fn ??= load()))(event);
  };
}

http('upload', lazyHttp(async () => (await import('./upload/index.ts')).upload));
http('api', lazyHttp(async () => (await import('./api/index.ts')).api));
cloudEvent('dispatch', lazyEvent(async () => (await import('./dispatch/index.ts')).dispatch));
cloudEvent('callbacks', lazyEvent(async () => (await import('./callbacks/index.ts')).callbacks));
cloudEvent(
  'ocr-worker',
  lazyEvent(async () => {
    const worker = await import('./ocr-worker/index.ts');
    return worker.ocrWorker;
  }),
);

// An instance started for the OCR worker warms its engine at cold start, not on the first task.
if (process.env.FUNCTION_TARGET === 'ocr-worker') {
  void import('./ocr-worker/index.ts').then((worker) => worker.warmUp());
}
