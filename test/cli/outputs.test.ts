/** Several files, several pages: outputs that never silently overwrite each other, separators, and --pages. */
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../support/fixtures.ts';
import { docvault, ROOT } from './cli-support.ts';

/** A born-digital PDF (a text layer, so no OCR is needed): "This is page number N of the document." on each page. */
async function textPdf(pages: number, label: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= pages; n++) doc.addPage([612, 792]).drawText(`${label}: this is page number ${n} of the document.`, { x: 72, y: 700, size: 14, font });
  return doc.save();
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docvault-cli-outputs-'));
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
  await writeFile(join(dir, 'a', 'scan.pdf'), await textPdf(2, 'Alpha'));
  await writeFile(join(dir, 'b', 'scan.pdf'), await textPdf(1, 'Beta'));
  await writeFile(join(dir, 'five.pdf'), await textPdf(5, 'Five'));
});

const run = promisify(execFile);
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('docvault ocr outputs', () => {
  it.skipIf(!hasScript)('shows per-page progress on a terminal, and none into a pipe', async () => {
    // script(1) gives the command a terminal, as a user's shell does.
    const command = `${join(ROOT, 'node_modules/.bin/node')} ${join(ROOT, 'cli/docvault.js')} ocr ${join(dir, 'five.pdf')} -o ${join(dir, 'tty-out')}`;
    const { stdout: onTerminal } = await run('script', ['-qec', command, '/dev/null'], { cwd: ROOT });
    for (let n = 1; n <= 5; n++) expect(onTerminal).toContain(`five.pdf: page ${n}/5`);
    const piped = await docvault(['ocr', join(dir, 'five.pdf'), '-o', join(dir, 'pipe-out')]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/page \d\/5/);
  });

  it('a/scan.pdf and b/scan.pdf with -o make two outputs, not one overwritten', async () => {
    const out = join(dir, 'out');
    const run = await docvault(['ocr', join(dir, 'a', 'scan.pdf'), join(dir, 'b', 'scan.pdf'), '-o', out]);
    expect(run.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['a-scan.txt', 'b-scan.txt']);
    expect(await readFile(join(out, 'a-scan.txt'), 'utf8')).toMatch(/Alpha/);
    expect(await readFile(join(out, 'b-scan.txt'), 'utf8')).toMatch(/Beta/);
    expect(run.stderr).toMatch(/a-scan\.\*/);
  });

  it('a name given twice gets a number, not the same file', async () => {
    const out = join(dir, 'twice');
    const five = join(dir, 'five.pdf');
    const copy = join(dir, 'b', 'five.pdf');
    await copyFile(five, copy);
    const run = await docvault(['ocr', five, copy, five, '-o', out]);
    expect(run.code).toBe(0);
    expect(await readdir(out)).toHaveLength(3);
  });

  it('several files on stdout each start with a header line', async () => {
    const run = await docvault(['ocr', join(dir, 'a', 'scan.pdf'), join(dir, 'b', 'scan.pdf')]);
    expect(run.code).toBe(0);
    const headers = run.stdout.split('\n').filter((l) => l.startsWith('==> '));
    expect(headers).toEqual([`==> ${join(dir, 'a', 'scan.pdf')} <==`, `==> ${join(dir, 'b', 'scan.pdf')} <==`]);
    expect(run.stdout.indexOf('Alpha')).toBeLessThan(run.stdout.indexOf(headers[1]!));
  });

  it('one file on stdout has no header, and its pages are separated by a form feed', async () => {
    const run = await docvault(['ocr', join(dir, 'a', 'scan.pdf')]);
    expect(run.stdout).not.toMatch(/==>/);
    expect(run.stdout.split('\f')).toHaveLength(2);
  });

  it('--pages reads only the chosen pages, numbered as in the document', async () => {
    const run = await docvault(['ocr', join(dir, 'five.pdf'), '--pages', '2-3,5', '-f', 'json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.pages.map((p: { number: number }) => p.number)).toEqual([2, 3, 5]);
    expect(result.text).toMatch(/page number 2 /);
    expect(result.text).not.toMatch(/page number (1|4) /);
    expect(run.stderr).toMatch(/five\.pdf: 3 pages \(pages 2-3,5\)/);
  });

  it('--pages reaching past the document reads the pages it has and says which, not the selection as typed', async () => {
    const run = await docvault(['ocr', join(dir, 'five.pdf'), '--pages', '4-6,9', '-f', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).pages.map((p: { number: number }) => p.number)).toEqual([4, 5]);
    expect(run.stderr).toMatch(/five\.pdf: 2 pages \(pages 4,5 of 4-6,9: the document has 5 pages\)/);
  });

  it('--pages beyond the document, or malformed, is INVALID_ARGUMENT', async () => {
    const beyond = await docvault(['ocr', join(dir, 'five.pdf'), '--pages', '9-']);
    expect(beyond.stderr).toMatch(/error INVALID_ARGUMENT: --pages 9-: the document has 5 pages/);
    const bad = await docvault(['ocr', join(dir, 'five.pdf'), '--pages', '3-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error INVALID_ARGUMENT: --pages: "3-1" is not a page or range/);
  });
});

describe('docvault ocr languages', () => {
  it('finds every installed @tesseract.js-data package without --model-dir (-l eng+deu)', async () => {
    const run = await docvault(['ocr', FIXTURES_DIR + 'tessjs_simple_png.png', '-l', 'eng+deu', '--workers', '1'], { MODEL_CACHE_DIR: '' });
    expect(run.stderr).not.toMatch(/LANGUAGE_UNAVAILABLE/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Tesseract\.js/);
  });

  it('models list names them with their source; models add copies one into a folder with its manifest', async () => {
    const list = await docvault(['models', 'list', '--json']);
    const langs = JSON.parse(list.stdout) as Array<{ lang: string; source: string }>;
    expect(langs.find((l) => l.lang === 'deu')?.source).toBe('npm:@tesseract.js-data/deu');
    const dest = join(dir, 'models');
    const add = await docvault(['models', 'add', 'deu', '--to', dest]);
    expect(add.code).toBe(0);
    expect(await readdir(join(dest, 'tessdata'))).toEqual(['deu.traineddata']);
    const manifest = JSON.parse(await readFile(join(dest, 'manifest.json'), 'utf8'));
    expect(manifest.files).toEqual([expect.objectContaining({ path: 'tessdata/deu.traineddata', lang: 'deu' })]);
    const missing = await docvault(['models', 'add', 'xyz', '--to', dest]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error LANGUAGE_UNAVAILABLE/);
  });
});
