/**
 * The web console in real headless Chromium against the emulator suite and the real functions (as
 * `npm start` runs them): a user signs in locally, drops three files (one bad), watches them complete
 * without reloading, reads one over its page image and downloads its text; another user sees none
 * of it; hostile names and text stay text; axe-core finds no serious violation on any page.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../emulators/console-build.ts';
import { startFunction, type FunctionProcess } from '../../emulators/functions.ts';
import { freePort } from '../../emulators/gcloud.ts';
import { chromiumAvailable, launchChromium, screenshot, seriousViolations } from '../support/browser.ts';
import { fixture } from '../support/fixtures.ts';
import { asUser } from '../support/http.ts';
import { FUNCTION_READY_TIMEOUT_MS } from '../support/pipeline.ts';
import { startSuite, TEST_BUCKETS, type Suite } from '../support/suite.ts';
import { ALICE, BOB } from '../support/users.ts';

const XSS_NAME = '<img src=x onerror=alert(1)>.png';
/** Named in the api's MAINTENANCE_CALLERS: sees the lanes and every user's backlog. */
const OPERATOR = 'ops@example.com';
/** The console sends files over this many bytes through a signed URL's resumable session. */
const API_MAX_REQUEST_BYTES = 300_000;

let suite: Suite;
let functions: FunctionProcess[] = [];
let apiUrl: string;
let uploadUrl: string;
let browser: Browser;

/** A PNG whose text is markup: it must be shown as text, never run. */
async function hostilePng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1400" height="260"><rect width="100%" height="100%" fill="#fff"/>
    <text x="40" y="110" font-family="DejaVu Sans" font-size="56">&lt;script&gt;alert(1)&lt;/script&gt;</text>
    <text x="40" y="200" font-family="DejaVu Sans" font-size="56">Hello from the console test</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe.skipIf(!chromiumAvailable)('web console in Chromium', () => {
  beforeAll(async () => {
    const [built, started] = await Promise.all([ensureConsoleBuilt(), startSuite()]);
    void built;
    suite = started;
    const [apiPort, uploadPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    uploadUrl = `http://127.0.0.1:${uploadPort}`;
    const env = { ...suite.env, UPLOAD_URL: uploadUrl, CONSOLE_ORIGINS: apiUrl };
    const logs = mkdtempSync(join(tmpdir(), 'console-test-logs-'));
    const logFile = (name: string) => join(logs, `${name}.log`);
    functions = await Promise.all([
      startFunction({ target: 'upload', env, port: uploadPort, logFile: logFile('upload'), readyTimeoutMs: FUNCTION_READY_TIMEOUT_MS }),
      startFunction({ target: 'api', env: { ...env, MAX_REQUEST_BYTES: String(API_MAX_REQUEST_BYTES), MAINTENANCE_CALLERS: OPERATOR }, port: apiPort, logFile: logFile('api'), readyTimeoutMs: FUNCTION_READY_TIMEOUT_MS }),
      startFunction({ target: 'dispatch', env, logFile: logFile('dispatch'), readyTimeoutMs: FUNCTION_READY_TIMEOUT_MS }),
      startFunction({ target: 'ocr-worker', env: { ...env, OCR_WORKERS: '1' }, logFile: logFile('ocr-worker'), readyTimeoutMs: FUNCTION_READY_TIMEOUT_MS }),
    ]);
    const dispatch = functions[2]!;
    const worker = functions[3]!;
    suite.storage.addEventTarget({ url: dispatch.url, eventTypes: ['finalized'], buckets: [TEST_BUCKETS.uploads] });
    await suite.provision({
      workerUrls: { high: worker.url, normal: worker.url, low: worker.url },
      maxDeliveryAttempts: 10,
      minimumBackoffSeconds: 1,
      maximumBackoffSeconds: 3,
      browserUploads: { bucket: TEST_BUCKETS.uploads, origins: [apiUrl] },
    });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled(functions.map((f) => f.stop()));
    await suite?.stop();
  });

  /** A fresh browser context (no cookies, no storage), signed in as `email` on the local suite. */
  async function signedIn(email: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; errors: string[]; dialogs: string[] }> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${apiUrl}/`);
    await page.getByLabel('Act as user (email)').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'My documents' }).waitFor();
    return { context, page, errors, dialogs };
  }

  let photoTaskId = '';

  it('serves the page with a strict CSP; a user signs in locally, drops three files (one bad) and watches two complete live', async () => {
    const res = await fetch(`${apiUrl}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain(new URL(uploadUrl).origin);
    const config = await (await fetch(`${apiUrl}/config`)).json();
    expect(config).toMatchObject({ emulators: true, uploadUrl, googleClientId: null });

    const signInPage = await browser.newPage();
    await signInPage.goto(`${apiUrl}/`);
    await signInPage.getByLabel('Act as user (email)').waitFor();
    expect(await seriousViolations(signInPage)).toEqual([]);
    await screenshot(signInPage, 'sign-in');
    await signInPage.close();

    const { page, errors, dialogs, context } = await signedIn(ALICE);
    const polls: string[] = [];
    const streams: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (/^\/tasks\/[^/]+$/.test(path)) polls.push(path);
      if (path === '/events') streams.push(path);
    });
    // One file dropped on the drop zone, as a person drags it there; two picked with the file chooser.
    const dropped = await page.evaluateHandle(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['just some words, not a document'], 'notes.txt', { type: 'text/plain' }));
      return data;
    })()`);
    await page.dispatchEvent('.drop', 'drop', { dataTransfer: dropped });
    await page.locator('#files').setInputFiles([
      { name: 'photo test.tif', mimeType: 'image/tiff', buffer: Buffer.from(fixture('tess_phototest.tif')) },
      { name: XSS_NAME, mimeType: 'image/png', buffer: await hostilePng() },
    ]);
    // The bad file is refused on its own, with its code and a fix in plain words.
    const refused = page.locator('.job[data-state=refused]');
    await refused.waitFor();
    await expect.poll(() => refused.textContent()).toMatch(/UNSUPPORTED_TYPE.*Send a PDF or an image/s);
    await expect.poll(() => page.locator('.job[data-state=sent]').count(), { timeout: 30_000 }).toBe(2);
    await screenshot(page, 'uploading');

    // Both appear and complete without a reload, through the tab's one event stream.
    const completed = page.locator('.task[data-status=COMPLETED]');
    // Generous: on a loaded machine one worker reading both pages may take minutes.
    await expect.poll(() => completed.count(), { timeout: 360_000, interval: 500 }).toBe(2);
    expect(polls).toEqual([]);
    expect(streams.length).toBeLessThanOrEqual(6);
    await expect.poll(() => page.locator('.task').count()).toBe(2);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'documents');

    // The hostile name is text: no element was made from it, no script ran.
    expect(await page.getByText(XSS_NAME).count()).toBeGreaterThan(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors.filter((e) => /Content.Security.Policy/i.test(e))).toEqual([]);

    photoTaskId = (await page.locator('.task', { hasText: 'photo test.tif' }).getAttribute('data-task-id')) ?? '';
    expect(photoTaskId).toMatch(/^[0-9a-f]{32}$/);
    await context.close();
  }, 480_000);

  it('shows a result over its page image: boxes coloured by confidence, hover linking image and text, and downloads the text', async () => {
    const { page, context, dialogs } = await signedIn(ALICE);
    await page.getByRole('link', { name: 'photo test.tif' }).click();
    const image = page.locator('.page-image img');
    await image.waitFor();
    await expect.poll(() => image.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete ? i.naturalWidth : 0; })).toBeGreaterThan(300);
    const boxes = page.locator('svg rect.box');
    expect(await boxes.count()).toBeGreaterThan(20);
    expect(await page.locator('svg rect.box.high').count()).toBeGreaterThan(10);
    // The boxes lie over the image: the first word's box is inside the picture.
    const [imageBox, firstBox] = [await image.boundingBox(), await boxes.first().boundingBox()];
    expect(firstBox!.x).toBeGreaterThanOrEqual(imageBox!.x);
    expect(firstBox!.y + firstBox!.height).toBeLessThanOrEqual(imageBox!.y + imageBox!.height);

    await boxes.nth(3).hover();
    const hovered = (await page.locator('.hover-info strong').textContent()) ?? '';
    expect(hovered.length).toBeGreaterThan(0);
    expect(await page.locator('.text-pane .word.active').textContent()).toBe(hovered);
    await expect.poll(() => page.locator('.hover-info').textContent()).toMatch(/confidence \d+%/);
    await page.locator('.text-pane .word').nth(8).hover();
    expect(await page.locator('svg rect.box.active').count()).toBe(1);
    await expect.poll(() => page.locator('.facts').first().textContent()).toMatch(/Read by.*OCR.*Rotation.*turned 0°.*skew/s);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'viewer');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Text$/ }).click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toMatch(/quick brown dog/);
    expect(download.suggestedFilename()).toBe('photo_test.txt');

    // The hostile document: its name and its text are shown as text.
    await page.goto(`${apiUrl}/#/`);
    await page.getByRole('link', { name: XSS_NAME }).click();
    await page.locator('.text-pane .word').first().waitFor();
    expect(await page.locator('h1.file-name').textContent()).toBe(XSS_NAME);
    expect(await page.locator('.text-pane').textContent()).toMatch(/script/);
    expect(await page.locator('.text-pane script, .text-pane img, main img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await context.close();
  }, 120_000);

  it('a multi-page scan: each page over its own image, page by page', async () => {
    // Two scanned pages in one PDF (page images only, no text layer), as a scanner makes them.
    const pdf = await PDFDocument.create();
    for (const png of [await sharp(fixture('tess_phototest.tif')).png().toBuffer(), await hostilePng()]) {
      const image = await pdf.embedPng(png);
      pdf.addPage([image.width * 0.36, image.height * 0.36]).drawImage(image, { x: 0, y: 0, width: image.width * 0.36, height: image.height * 0.36 });
    }
    const { page, context } = await signedIn(ALICE);
    await page.locator('#files').setInputFiles([{ name: 'two pages.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdf.save()) }]);
    const row = page.locator('.task', { hasText: 'two pages.pdf' });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 300_000, interval: 500 }).toBe('COMPLETED');
    await row.getByRole('link', { name: 'two pages.pdf' }).click();
    await page.getByText('Page 1 of 2').waitFor();
    await expect.poll(() => page.locator('.text-pane').textContent()).toMatch(/quick brown dog/);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await expect.poll(() => page.locator('.text-pane').textContent()).toMatch(/Hello from the console test/);
    const image = page.locator('.page-image img');
    await expect.poll(() => image.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete ? i.naturalWidth : 0; })).toBeGreaterThan(300);
    expect(await page.locator('svg rect.box').count()).toBeGreaterThan(3);
    await screenshot(page, 'viewer-page-2');
    await context.close();
  }, 420_000);

  it('the queue page charts the caller’s figures', async () => {
    const { page, context } = await signedIn(ALICE);
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByText('completed today').waitFor();
    await expect.poll(() => page.locator('.bars tr', { hasText: 'completed today' }).locator('.value').textContent()).toBe('3');
    await page.getByRole('heading', { name: 'Model cache' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'queue');
    // A user sees only their own queue.
    expect(await page.getByRole('heading', { name: 'Lanes and backlogs (all users)' }).count()).toBe(0);
    await context.close();
  });

  it('an operator\'s queue page shows the lanes and the users with held-back work', async () => {
    const { page, context } = await signedIn(OPERATOR);
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByRole('heading', { name: 'Lanes and backlogs (all users)' }).waitFor();
    await expect.poll(() => page.locator('.bars tr', { hasText: 'interactive, published' }).locator('.value').textContent()).toMatch(/^\d+$/);
    expect(await page.locator('.bars tr', { hasText: 'bulk, held back' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'queue-operator');
    await context.close();
  });

  it('a batch (one request of several files) shows its counts and its documents', async () => {
    const form = new FormData();
    for (const name of ['one.png', 'two.png']) form.append('file', new Blob([Buffer.from(fixture('tessjs_simple_png.png'))], { type: 'image/png' }), name);
    const res = await fetch(`${uploadUrl}/`, { method: 'POST', body: form, headers: asUser(ALICE) });
    const { batchId } = (await res.json()) as { batchId: string };
    const { page, context } = await signedIn(ALICE);
    await page.getByLabel('Batch').fill(batchId);
    await page.getByRole('button', { name: 'Show batch' }).click();
    await page.getByRole('heading', { name: /^Batch/ }).waitFor();
    const completed = page.locator('.count.s-completed dd');
    await expect.poll(() => completed.textContent(), { timeout: 300_000, interval: 500 }).toBe('2');
    expect(await page.locator('.task').count()).toBe(2);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'batch');
    await context.close();
  }, 420_000);

  it('an encrypted PDF: its password typed in the failed row reads it; the upload\'s password field reads the next one at once', async () => {
    const owner = 'pdf-owner@example.com';
    const { page, context, errors } = await signedIn(owner);
    const encrypted = { name: 'secret.pdf', mimeType: 'application/pdf', buffer: Buffer.from(fixture('encrypted_tagged.pdf')) };
    await page.locator('#files').setInputFiles([encrypted]);
    const row = page.locator('.task', { hasText: 'secret.pdf' });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000, interval: 500 }).toBe('FAILED');
    expect(await row.textContent()).toMatch(/ENCRYPTED_PDF.*Give the PDF's password below/s);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'password-asked');
    await row.getByLabel('Password of secret.pdf').fill('s3cret');
    await row.getByRole('button', { name: 'Read with this password' }).click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 180_000, interval: 500 }).toBe('COMPLETED');

    // Given with the upload: read at once, never asked for (a document read with a password is never a copy of an
    // earlier result, so only the password sent with this upload can complete it).
    await page.getByLabel('PDF password (if encrypted)').fill('s3cret');
    await page.locator('#files').setInputFiles([{ ...encrypted, name: 'secret-2.pdf' }]);
    const second = page.locator('.task', { hasText: 'secret-2.pdf' });
    await expect.poll(() => second.getAttribute('data-status'), { timeout: 180_000, interval: 500 }).toMatch(/COMPLETED|FAILED/);
    expect(await second.getAttribute('data-status'), (await second.textContent()) ?? '').toBe('COMPLETED');
    expect(errors).toEqual([]);
    await context.close();
  }, 420_000);

  it('language "auto": a German and English page is read in the Latin languages installed, which the viewer names', async () => {
    const { page, context, errors } = await signedIn('auto-language@example.com');
    await page.getByLabel('Language').selectOption('auto');
    await page.locator('#files').setInputFiles([{ name: 'eurotext.tif', mimeType: 'image/tiff', buffer: Buffer.from(fixture('tess_eurotext.tif')) }]);
    expect(await page.getByLabel('Language').inputValue()).toBe('auto');
    const row = page.locator('.task', { hasText: 'eurotext.tif' });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 240_000, interval: 500 }).toMatch(/COMPLETED|FAILED/);
    expect(await row.getAttribute('data-status'), (await row.textContent()) ?? '').toBe('COMPLETED');
    // Read as English alone had "eng" chosen: the two languages are auto's choice, by the page's script.
    await row.getByRole('link', { name: 'eurotext.tif' }).click();
    const languages = page.locator('.facts dt', { hasText: 'Languages' }).locator('xpath=following-sibling::dd[1]');
    await expect.poll(() => languages.textContent(), { timeout: 30_000 }).toBe('eng, deu');
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);

  it('another user sees none of it, in the page or through the api', async () => {
    const { page, context } = await signedIn(BOB);
    await page.getByText('No documents yet').waitFor();
    expect(await page.locator('.task').count()).toBe(0);
    await page.goto(`${apiUrl}/#/tasks/${photoTaskId}`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/NOT_FOUND/);
    await context.close();

    const preview = (email: string) => fetch(`${apiUrl}/tasks/${photoTaskId}/pages/1/preview`, { headers: asUser(email) });
    const mine = await preview(ALICE);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toBe('image/webp');
    expect((await preview(BOB)).status).toBe(404);
    // CORS on upload answers the console's origin only.
    const preflight = (origin: string) => fetch(`${uploadUrl}/`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight(apiUrl)).headers.get('access-control-allow-origin')).toBe(apiUrl);
    expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('works at 375 px: no sideways scrolling on the list and the viewer', async () => {
    const { page, context } = await signedIn(ALICE, { width: 375, height: 812 });
    await expect.poll(() => page.locator('.task').count()).toBe(5);
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    // What sticks out, named in the failure message.
    const wide = () => page.evaluate<string[]>('[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > innerWidth + 1).map((e) => e.tagName + "." + e.className).slice(0, 5)');
    expect(await overflow(), (await wide()).join(' ')).toBeLessThanOrEqual(0);
    await screenshot(page, 'documents-375');
    await page.getByRole('link', { name: 'photo test.tif' }).click();
    await page.locator('svg rect.box').first().waitFor();
    expect(await overflow(), (await wide()).join(' ')).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'viewer-375');
    await context.close();
  });

  it('sends a file over the request limit through the resumable session, and resumes after a dropped connection', async (ctx) => {
    // The browser talks to the storage emulator directly: that needs CORS there.
    const probe = await fetch(`${suite.storage.url}/upload/storage/v1/b/${TEST_BUCKETS.uploads}/o`, {
      method: 'OPTIONS',
      headers: { origin: apiUrl, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-range' },
    });
    if (!probe.headers.get('access-control-allow-origin')) ctx.skip('the storage emulator answers no CORS preflight');
    const big = await sharp(fixture('tess_phototest.tif')).png({ compressionLevel: 0 }).toBuffer();
    expect(big.length).toBeGreaterThan(API_MAX_REQUEST_BYTES);
    const { page, context } = await signedIn(ALICE);
    let dropped = 0;
    await page.route(/[?&]upload_id=/, async (route) => {
      if (route.request().method() === 'PUT' && dropped === 0 && route.request().headers()['content-range']?.startsWith('bytes 0-')) {
        dropped += 1;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await page.locator('#files').setInputFiles([{ name: 'big scan.png', mimeType: 'image/png', buffer: big }]);
    await expect.poll(() => page.locator('.job[data-state=sent]').count(), { timeout: 60_000 }).toBe(1);
    expect(dropped).toBe(1);
    expect(await page.locator('.job').textContent()).toMatch(/resumable/);
    await expect.poll(() => page.locator('.task[data-status=COMPLETED]', { hasText: 'big scan.png' }).count(), { timeout: 300_000, interval: 500 }).toBe(1);
    await context.close();
  }, 420_000);
});
