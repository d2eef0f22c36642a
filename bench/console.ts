/**
 * bench:console — the web console in headless Chromium against the emulator suite and a real api
 * function: the shipped bundle's size (raw, gzip, brotli), how soon the first page is usable, and how
 * the task list holds up with 10,000 tasks of one user (first page, paging with the api's cursor, a
 * live change arriving through the tab's one event stream). The peer is the api call the page waits
 * on, timed from Node in the same run: the ratio is the console's own cost over the data it shows.
 *
 *   npm run bench:console -- [--tasks 10000] [--runs 5]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Timestamp } from '@google-cloud/firestore';
import pLimit from 'p-limit';
import { ensureConsoleBuilt } from '../emulators/console-build.ts';
import { startFunction } from '../emulators/functions.ts';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { COLLECTIONS } from '../shared/names.ts';
import { userHashOf } from '../shared/core/task.ts';
import { consoleDir } from '../shared/services/console.ts';
import { launchChromium } from '../test/support/browser.ts';
import { startSuite, TEST_SECRET } from '../test/support/suite.ts';
import { makeTask } from '../test/support/tasks.ts';

const { values: args } = parseArgs({ options: { tasks: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } } });
const N = Number(args.tasks);
const RUNS = Number(args.runs);
const USER = 'bench-console@example.com';
const say = (line: string) => process.stdout.write(line + '\n');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

await ensureConsoleBuilt();
const dir = consoleDir();
const files = [join(dir, 'index.html'), ...readdirSync(join(dir, 'assets')).map((f) => join(dir, 'assets', f))];
let raw = 0;
let gz = 0;
let br = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
  br += brotliCompressSync(bytes).length;
}
say(`bundle: ${files.length} files, ${kb(raw)} raw, ${kb(gz)} gzip, ${kb(br)} brotli`);

const suite = await startSuite();
const api = await startFunction({ target: 'api', env: suite.env });
const firestore = createFirestore(suite.projectId);
const store = new TaskStore(firestore);
const userHash = userHashOf(USER, TEST_SECRET);
const seeded = Date.now();
const limit = pLimit(64);
const base = Date.now() - N * 1000;
await Promise.all(
  Array.from({ length: N }, (_, i) =>
    limit(() => {
      const at = new Date(base + i * 1000);
      return store.createIfAbsent(makeTask({ userHash, fileName: `scan-${String(i).padStart(5, '0')}.pdf`, createdAt: at, updatedAt: at }));
    }),
  ),
);
say(`seeded ${N} tasks for one user in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

// The peer: the first page of tasks straight from the api, as the page asks for it.
const apiMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const res = await fetch(`${api.url}/tasks?limit=50`, { headers: { 'x-user-email': USER } });
  await res.json();
  apiMs.push(performance.now() - t);
}

const browser = await launchChromium();
const signInMs: number[] = [];
const listMs: number[] = [];
/** From the api's answer arriving to its 50 rows on screen: the console's own share. */
const listRenderMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let t = performance.now();
  await page.goto(`${api.url}/`);
  await page.getByLabel('Act as user (email)').waitFor();
  signInMs.push(performance.now() - t);
  await context.addInitScript(`sessionStorage.setItem('docvault-console-identity', JSON.stringify({ kind: 'local', email: '${USER}' }))`);
  t = performance.now();
  const answered = page.waitForResponse((r) => /\/tasks\?/.test(r.url())).then(() => performance.now());
  await page.goto(`${api.url}/?signed-in`);
  await page.locator('.task').nth(49).waitFor();
  const shown = performance.now();
  listMs.push(shown - t);
  listRenderMs.push(shown - (await answered));
  await context.close();
}
say(`first page usable (sign-in form, cold context): median ${median(signInMs).toFixed(0)} ms of ${RUNS} (${signInMs.map((m) => m.toFixed(0)).join(', ')})`);
say(`task list, signed in, ${N} tasks: first 50 shown in median ${median(listMs).toFixed(0)} ms; the api call alone: ${median(apiMs).toFixed(0)} ms (×${(median(listMs) / median(apiMs)).toFixed(1)}); answer → rows on screen ${median(listRenderMs).toFixed(0)} ms`);

// Paging: 20 more pages (1,050 rows on screen), each through the api's cursor.
const context = await browser.newContext();
await context.addInitScript(`sessionStorage.setItem('docvault-console-identity', JSON.stringify({ kind: 'local', email: '${USER}' }))`);
const page = await context.newPage();
const streams: string[] = [];
page.on('request', (r) => new URL(r.url()).pathname === '/events' && streams.push(r.url()));
await page.goto(`${api.url}/`);
await page.locator('.task').nth(49).waitFor();
const pageMs: number[] = [];
const pageRenderMs: number[] = [];
for (let p = 2; p <= 21; p++) {
  const t = performance.now();
  const answered = page.waitForResponse((r) => /\/tasks\?/.test(r.url())).then(() => performance.now());
  await page.getByRole('button', { name: 'Load older documents' }).click();
  await page.locator('.task').nth(p * 50 - 1).waitFor();
  const shown = performance.now();
  pageMs.push(shown - t);
  pageRenderMs.push(shown - (await answered));
}
const nodes = await page.evaluate<number>('document.getElementsByTagName("*").length');
const heap = await page.evaluate<number>('performance.memory ? performance.memory.usedJSHeapSize : 0');
say(`paging: 20 more pages of 50, median ${median(pageMs).toFixed(0)} ms a page (max ${Math.max(...pageMs).toFixed(0)} ms), answer → rows ${median(pageRenderMs).toFixed(0)} ms (max ${Math.max(...pageRenderMs).toFixed(0)} ms); 1,050 rows: ${nodes} elements, JS heap ${kb(heap)}`);

// A live change: the newest task moves on; the page shows it without a request of its own.
const newest = (await firestore.collection(COLLECTIONS.tasks).where('userHash', '==', userHash).orderBy('createdAt', 'desc').limit(1).get()).docs[0]!;
const liveMs: number[] = [];
for (let i = 1; i <= RUNS; i++) {
  const t = performance.now();
  await newest.ref.update({ status: 'PROCESSING', progress: i * 10, message: `page ${i}/10`, updatedAt: Timestamp.now() });
  await page.locator(`.task[data-task-id="${newest.id}"] progress[value="${i * 10}"]`).waitFor();
  liveMs.push(performance.now() - t);
}
say(`live change to screen: median ${median(liveMs).toFixed(0)} ms of ${RUNS}; event streams opened by the tab: ${streams.length}`);

await browser.close();
await api.stop();
await suite.stop();
process.exit(0);
