/**
 * bench:hostile — small hostile files through the whole local suite (loopback only), one at a time:
 * how long each holds the worker and how much memory the worker process tree takes while it does;
 * then, while one user uploads the 10-page 14400 pt PDF again and again, how long another user's
 * small PNG takes against its idle time (the peer, measured in the same run). Bounded in time: a
 * file still running after --timeout seconds is recorded as such.
 *
 *   npm run bench:hostile -- --timeout 300 --rounds 5 [--slots 2] [--only ops]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fixture } from '../test/support/fixtures.ts';
import { bmpBomb, contentBombPdf, hugeEmptyPagesPdf, hugeScannedPagePdf, manyOperatorsPdf, netpbmBomb, structureBombPdf } from '../test/support/hostile-files.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { uploadOne } from '../test/support/upload-one.ts';
import { openPdf } from '../shared/engines/pdf-source.ts';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PDFDocument } from 'pdf-lib';

const { values: args } = parseArgs({
  options: { timeout: { type: 'string', default: '300' }, only: { type: 'string' }, rounds: { type: 'string', default: '3' }, slots: { type: 'string', default: '1' }, 'render-only': { type: 'boolean', default: false } },
});
const TIMEOUT_MS = Number(args.timeout) * 1000;

const files: Array<{ label: string; name: string; bytes: () => Promise<Uint8Array> }> = [
  { label: '10 empty pages, 14400 pt', name: 'empty10.pdf', bytes: () => hugeEmptyPagesPdf(10) },
  { label: '3 empty pages, 14400 pt', name: 'empty3.pdf', bytes: () => hugeEmptyPagesPdf(3) },
  { label: '2,000,000 `re f` operators', name: 'ops.pdf', bytes: () => manyOperatorsPdf(2_000_000) },
  { label: 'RLE8 BMP, 16000×16000 header', name: 'bomb16k.bmp', bytes: async () => bmpBomb(16_000, 16_000) },
  { label: 'RLE8 BMP, 24000×24000 header', name: 'bomb24k.bmp', bytes: async () => bmpBomb(24_000, 24_000) },
  { label: 'PGM header 30000×30000, no data', name: 'bomb.pgm', bytes: async () => netpbmBomb(30_000, 30_000) },
  { label: '0.5 MB PDF, object stream inflating to 512 MB', name: 'objstm-bomb.pdf', bytes: () => structureBombPdf({ objStmPaddingBytes: 512 << 20 }) },
  { label: '0.5 MB PDF, cross-reference stream inflating to 512 MB', name: 'xref-bomb.pdf', bytes: () => structureBombPdf({ xrefPaddingBytes: 512 << 20 }) },
  { label: '1 MB PDF, page content inflating to 1 GB of spaces', name: 'content-bomb.pdf', bytes: () => contentBombPdf(1 << 30) },
  {
    label: '8400 pt page, 35000² 1-bit scan, one line of 12 pt text',
    name: 'bigscan.pdf',
    bytes: () => hugeScannedPagePdf({ sizePt: 8400, pixels: 35_000, text: 'The quick brown fox jumps over the lazy dog', textPt: 12, at: { x: 1000, y: 2000 } }),
  },
];

/** RSS of a process and all its descendants, in MB, from /proc (Linux). */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let kb = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
    stack.push(...(children.get(p) ?? []));
  }
  return Math.round(kb / 1024);
}

/**
 * A normal page's render, open to pixels: in a render thread (ours) against pdfjs in the calling
 * thread (how it was rendered before, the peer), alternating, 300 dpi, the first of each dropped.
 */
async function renderComparison(file: string, rounds: number): Promise<string> {
  const bytes = fixture(file);
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    let t0 = performance.now();
    const source = await openPdf(bytes, { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 100_000_000 });
    await (await source.page(0)).render();
    await source.close();
    if (i > 0) ours.push(performance.now() - t0);
    t0 = performance.now();
    const task = pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0, disableFontFace: true });
    const doc = await task.promise;
    const page = await doc.getPage(1);
    const viewport = page.getViewport({ scale: 300 / 72 });
    const factory = (doc as unknown as { canvasFactory: { create(w: number, h: number): { canvas: unknown; context: { getImageData(x: number, y: number, w: number, h: number): unknown } } } }).canvasFactory;
    const target = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    await page.render({ canvas: target.canvas, canvasContext: target.context, viewport } as unknown as Parameters<typeof page.render>[0]).promise;
    const rgba = (target.context.getImageData(0, 0, Math.ceil(viewport.width), Math.ceil(viewport.height)) as { data: Uint8ClampedArray }).data;
    const grey = new Uint8Array(rgba.length / 4);
    for (let j = 0, k = 0; j < grey.length; j++, k += 4) grey[j] = (rgba[k]! * 299 + rgba[k + 1]! * 587 + rgba[k + 2]! * 114) / 1000;
    await task.destroy();
    if (i > 0) peer.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return `A normal page (${file}, 300 dpi), open → grey pixels, median of ${rounds}: render thread ${Math.round(median(ours))} ms, pdfjs in the calling thread (peer) ${Math.round(median(peer))} ms, ratio **${(median(ours) / median(peer)).toFixed(2)}×**.`;
}

const renderLine = await renderComparison('ocrmypdf_c02-22.pdf', 10);
process.stderr.write(`${renderLine}\n`);
if (args['render-only']) process.exit(0);

const pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1', WORKER_SLOTS: args.slots } } });
const workerPid = pipeline.functions['ocr-worker']!.child.pid!;
const upload = pipeline.functions.upload!.url;
const api = pipeline.functions.api!.url;

/** One upload; a connection the loaded machine dropped mid-request (EPIPE, seen once) is tried once more. */
const send = (user: string, name: string, bytes: Uint8Array) =>
  uploadOne(upload, user, name, bytes).catch(async (err: unknown) => {
    if (!(err instanceof TypeError)) throw err;
    await new Promise((r) => setTimeout(r, 1000));
    return uploadOne(upload, user, name, bytes);
  });

interface Finished {
  status: string;
  code?: string;
  ms: number;
}

async function finish(user: string, taskId: string, t0: number, timeoutMs = TIMEOUT_MS): Promise<Finished> {
  for (;;) {
    const left = t0 + timeoutMs - Date.now();
    if (left <= 0) return { status: 'STILL RUNNING', ms: Date.now() - t0 };
    const view = await fetch(`${api}/tasks/${taskId}?wait=${Math.max(1, Math.min(30, Math.floor(left / 1000)))}`, { headers: { 'x-user-email': user } });
    const body = (await view.json()) as { status: string; error?: { code: string } };
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.status)) return { status: body.status, ...(body.error ? { code: body.error.code } : {}), ms: Date.now() - t0 };
  }
}

async function timed(user: string, name: string, bytes: Uint8Array, timeoutMs = TIMEOUT_MS): Promise<Finished & { peakMb: number; taskId: string }> {
  let peakMb = treeRssMb(workerPid);
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, treeRssMb(workerPid))), 100);
  try {
    const t0 = Date.now();
    const taskId = await send(user, name, bytes);
    return { ...(await finish(user, taskId, t0, timeoutMs)), peakMb, taskId };
  } finally {
    clearInterval(sampler);
  }
}

const small = fixture('tessjs_simple_png.png');
const rows: string[] = [];
try {
  // Warm the functions and engines.
  await timed('bench-b@example.com', 'warm.png', small);
  const idleRssMb = treeRssMb(workerPid);
  for (const file of files) {
    if (args.only && !file.name.includes(args.only)) continue;
    const bytes = await file.bytes();
    const r = await timed('bench-a@example.com', file.name, bytes);
    rows.push(`| ${file.label} | ${bytes.length} | ${r.status}${r.code ? ` ${r.code}` : ''} | ${(r.ms / 1000).toFixed(1)} | ${r.peakMb} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
    if (r.status === 'STILL RUNNING') await finish('bench-a@example.com', r.taskId, Date.now(), 30 * 60_000); // let the worker drain before the next file
  }

  // Another user's small upload, idle and while the 10-page 14400 pt PDF is uploaded again and
  // again, in pairs: each busy run right after its idle peer, so that both meet the same load of
  // a shared machine (measured one phase after the other, the ratio swung from 0.5× to 3×). Twice:
  // the same bytes each time (as in the issue: after the first, each is a copy of the first's
  // result, services/dedupe.ts), then new bytes each time (a title per upload), read every time.
  const rounds = Number(args.rounds);
  const hostile = await hugeEmptyPagesPdf(10);
  const titled = async (n: number) => {
    const doc = await PDFDocument.load(hostile);
    doc.setTitle(`flood ${n}`);
    return doc.save();
  };
  let floodCount = 0;
  const pairs = async (floodBytes: (n: number) => Promise<Uint8Array>) => {
    const idle: number[] = [];
    const busy: number[] = [];
    for (let i = 0; i < rounds; i++) {
      idle.push((await timed('bench-b@example.com', `idle${floodCount}-${i}.png`, small)).ms);
      let flooding = true;
      const flood = (async () => {
        while (flooding) {
          const t0 = Date.now();
          const n = floodCount++;
          const taskId = await send('bench-a@example.com', `flood${n}.pdf`, await floodBytes(n));
          await finish('bench-a@example.com', taskId, t0);
        }
      })();
      await new Promise((r) => setTimeout(r, 1500));
      const r = await timed('bench-b@example.com', `busy${floodCount}-${i}.png`, small);
      busy.push(r.status === 'COMPLETED' ? r.ms : Number.POSITIVE_INFINITY);
      flooding = false;
      await flood;
      process.stderr.write(`pair ${i}: idle ${(idle[i]! / 1000).toFixed(1)} s, busy ${(busy[i]! / 1000).toFixed(1)} s\n`);
    }
    return { idle, busy };
  };
  const same = await pairs(async () => hostile);
  const sameFloods = floodCount;
  const distinct = await pairs(titled);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const secs = (xs: number[]) => xs.map((ms) => (ms / 1000).toFixed(1)).join(', ');
  const pairLine = (label: string, r: { idle: number[]; busy: number[] }, floods: number) =>
    `- ${label} (${floods} uploads): idle ${secs(r.idle)} s; busy ${secs(r.busy)} s; median ${(median(r.idle) / 1000).toFixed(1)} → ${(median(r.busy) / 1000).toFixed(1)} s, ` +
    `ratio of medians **${(median(r.busy) / median(r.idle)).toFixed(2)}×**, median of the pairs' ratios **${median(r.busy.map((b, i) => b / r.idle[i]!)).toFixed(2)}×**`;
  process.stdout.write(`### bench:hostile — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:hostile -- --timeout ${args.timeout}\`. Each file uploaded alone through the local suite (upload → dispatch →
worker → api, one OCR worker, WORKER_SLOTS=${args.slots}); time = upload request until the api reports the task finished; peak RSS = the ocr-worker
process tree, sampled every 100 ms (idle after warm-up: ${idleRssMb} MB).

| file | bytes | outcome | s | peak RSS MB |
|---|---|---|---|---|
${rows.join('\n')}

Another user's ${small.length}-byte PNG, idle and while user A uploads the 10-page 14400 pt PDF again and again, in
${rounds} pairs (each busy run right after its idle peer); target ≤ 2×:
${pairLine('the same bytes each time', same, sameFloods)}
${pairLine('new bytes each time (a title per upload: no result to reuse)', distinct, floodCount - sameFloods)}
${renderLine}
`);
} finally {
  await pipeline.stop();
  process.stderr.write(`function logs: ${pipeline.logDir}\n`);
}
