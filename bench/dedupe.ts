/**
 * bench:dedupe — the same 10-page scan twice through the whole local suite (issue 15, item 2).
 * Per run: user A uploads a scan no one has sent before (read by OCR: the peer figure), A uploads
 * the same bytes again (completed from the first: the figure), and user B uploads them too
 * (shared computation, kept at the first reading's pace so that B cannot tell). Each time is from
 * the upload request until the client reads COMPLETED (`GET /tasks/{id}?wait=30`).
 *
 *   npm run bench:dedupe -- --runs 2
 *   npm run bench:dedupe -- --runs 1 --same-user-only   # without user B (whose upload takes as long as the first)
 */
import { parseArgs } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { fixture } from '../test/support/fixtures.ts';
import { startPipeline } from '../test/support/pipeline.ts';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '2' }, pages: { type: 'string', default: '10' }, 'same-user-only': { type: 'boolean', default: false } },
});
const RUNS = Number(args.runs);
const PAGES = Number(args.pages);
const SCANS = ['ocrmypdf_c02-22.pdf', 'ocrmypdf_skew.pdf'];

/** A scanned PDF of PAGES pages (the two scanned samples in turn), made unique by its title. */
async function scan(run: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const sources = await Promise.all(SCANS.map((name) => PDFDocument.load(fixture(name))));
  for (let i = 0; i < PAGES; i++) {
    const source = sources[i % sources.length]!;
    doc.addPage((await doc.copyPages(source, [0]))[0]!);
  }
  doc.setTitle(`bench:dedupe run ${run} ${Date.now()}`);
  return doc.save();
}

// A loaded machine reads a page in minutes: the budgets only decide failures (they are not part of the result key).
const pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { DOCUMENT_TIMEOUT_MS: '3600000', PAGE_TIMEOUT_MS: '900000' } } });
const api = pipeline.functions.api!.url;

interface Timed {
  e2eMs: number;
  processingMs: number;
  dedupedFrom: string | null;
}

async function timedUpload(user: string, bytes: Uint8Array, name: string): Promise<Timed> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)], { type: 'application/pdf' }), name);
  const t0 = performance.now();
  const res = await fetch(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: { 'x-user-email': user } });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  const taskId = ((await res.json()) as { tasks: Array<{ taskId: string }> }).tasks[0]!.taskId;
  for (;;) {
    const view = await fetch(`${api}/tasks/${taskId}?wait=30`, { headers: { 'x-user-email': user } });
    if (view.status !== 200) throw new Error(`api answered ${view.status}: ${await view.text()}`);
    const task = (await view.json()) as { status: string; processingMs: number; error: unknown; summary: { dedupedFrom?: string } | null };
    if (task.status === 'FAILED' || task.status === 'CANCELLED') throw new Error(`task ${taskId} ${task.status}: ${JSON.stringify(task.error)}`);
    if (task.status === 'COMPLETED') return { e2eMs: Math.round(performance.now() - t0), processingMs: task.processingMs, dedupedFrom: task.summary?.dedupedFrom ?? null };
  }
}

const OTHER = !args['same-user-only'];
const rows: Array<{ first: Timed; again: Timed; other: Timed | null }> = [];
try {
  // Warm-up: the functions and engines start (cold starts are their own benchmark).
  await timedUpload('warm@example.com', fixture('tessjs_testocr.png'), 'warm.png');
  for (let run = 0; run < RUNS; run++) {
    const bytes = await scan(run);
    const first = await timedUpload('a@example.com', bytes, `scan-${run}.pdf`);
    const again = await timedUpload('a@example.com', bytes, `scan-${run} copy.pdf`);
    const other = OTHER ? await timedUpload('b@example.com', bytes, `mine-${run}.pdf`) : null;
    if (first.dedupedFrom || !again.dedupedFrom || other?.dedupedFrom) throw new Error(`unexpected reuse: ${JSON.stringify({ first, again, other })}`);
    rows.push({ first, again, other });
    process.stderr.write(`run ${run + 1}/${RUNS}: ${JSON.stringify({ first, again, other })}\n`);
  }
} finally {
  await pipeline.stop();
  process.stderr.write(`function logs: ${pipeline.logDir}\n`);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const pct = (a: number, b: number) => ((100 * a) / b).toFixed(1);
const line = (label: string, pick: (r: (typeof rows)[number]) => Timed | null) =>
  rows.some((r) => !pick(r)) ? `| ${label} | not run (--same-user-only) | | |` : lineOf(label, (r) => pick(r)!);
const lineOf = (label: string, pick: (r: (typeof rows)[number]) => Timed) =>
  `| ${label} | ${rows.map((r) => pick(r).e2eMs).join(' / ')} | ${rows.map((r) => pick(r).processingMs).join(' / ')} | ${pct(sum(rows.map((r) => pick(r).e2eMs)), sum(rows.map((r) => r.first.e2eMs)))}% |`;
process.stdout.write(`### bench:dedupe — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:dedupe -- --runs ${RUNS} --pages ${PAGES}${OTHER ? '' : ' --same-user-only'}\`. A ${PAGES}-page scanned PDF (${SCANS.join(' and ')} in turn, a new
title each run so the first upload is a real reading) through the local suite, after one warm-up task. End to end = from
the upload request until the client reads COMPLETED; worker = the task's processingMs.

| upload | end to end, ms (each run) | worker, ms | of the first (end to end, all runs) |
|---|---|---|---|
${line('user A, first upload (OCR: the peer)', (r) => r.first)}
${line('user A, same bytes again (completed from the first)', (r) => r.again)}
${line('user B, same bytes (shared computation, paced)', (r) => r.other)}

Target: the same user's second upload in under 5% of the first's time; another user's upload no quicker than a reading.
`);
