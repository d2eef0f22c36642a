/** The `docvault ocr` command as a user runs it: a child process on Node 22, real files, real engines. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../shared/core/text-metrics.ts';
import { FIXTURES_DIR, groundTruth } from '../support/fixtures.ts';
import { canIsolateNetwork } from '../support/network.ts';

const run = promisify(execFile);
const CLI = ['node_modules/.bin/node', 'cli/docvault.ts'];
/** Debian's tessdata_fast, which the model store offers as eng_fast: the line cascade is on by default where it is. */
const DEBIAN_FAST_ENG = '/usr/share/tesseract-ocr/5/tessdata/eng.traineddata';

describe('docvault ocr', () => {
  it('prints the text of a file and a one-line summary', async () => {
    const { stdout, stderr } = await run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'tessjs_testocr.png', '--workers', '1']);
    expect(characterErrorRate(groundTruth('tessjs_testocr.png'), stdout)).toBeLessThanOrEqual(0.02);
    expect(stderr).toMatch(/tessjs_testocr\.png: 1 page, mean confidence \d+\.\d, \d+\.\d\d s/);
  });

  it('-l auto reads the languages of the first page\'s script among the installed ones, and says which', async () => {
    const { stdout, stderr } = await run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'tess_eurotext.tif', '-l', 'auto', '--workers', '1', '-f', 'json']);
    // Latin: English and German are installed here (@tesseract.js-data/eng and /deu).
    expect(stderr).toMatch(/tess_eurotext\.tif: 1 page \(auto: eng\+deu\)/);
    expect(JSON.parse(stdout)).toMatchObject({ languages: ['eng', 'deu'] });
    expect(characterErrorRate(groundTruth('tess_eurotext.tif'), JSON.parse(stdout).text)).toBeLessThanOrEqual(0.1);
  });

  it('writes every format to --out, and the searchable PDF carries the text', async () => {
    const out = await mkdtemp(join(tmpdir(), 'docvault-cli-'));
    await run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'tess_phototest.tif', FIXTURES_DIR + 'ocrmypdf_tagged.pdf', '-f', 'json,txt,hocr,pdf', '-o', out]);
    expect((await readdir(out)).sort()).toEqual([
      'ocrmypdf_tagged.hocr.html',
      'ocrmypdf_tagged.json',
      'ocrmypdf_tagged.searchable.pdf',
      'ocrmypdf_tagged.txt',
      'tess_phototest.hocr.html',
      'tess_phototest.json',
      'tess_phototest.searchable.pdf',
      'tess_phototest.txt',
    ]);
    const json = JSON.parse(await readFile(join(out, 'tess_phototest.json'), 'utf8'));
    expect(json.v).toBe(2);
    expect(json.pages[0].words.find((w: { text: string }) => w.text === 'quick').bbox.x1).toBeGreaterThan(0);
    expect(await readFile(join(out, 'tess_phototest.hocr.html'), 'utf8')).toMatch(/<span class="ocrx_word"[^>]*title="bbox \d+ \d+ \d+ \d+; x_wconf \d+">quick<\/span>/);

    // The searchable PDF: the page text can be extracted again, where the words are.
    const pdfText = await extractPdfText(join(out, 'tess_phototest.searchable.pdf'));
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), pdfText)).toBeLessThanOrEqual(0.05);
    expect(await extractPdfText(join(out, 'ocrmypdf_tagged.searchable.pdf'))).toMatch(/Table of Contents/);
  });

  it('leaves no model folder behind: a second run reuses the first one\'s folders of links in the temp folder', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'docvault-cli-tmp-'));
    const modelFolders = async () => (await readdir(tmp)).filter((name) => name.startsWith('docvault-models')).sort();
    const ocr = () => run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'tessjs_simple_png.png', '--workers', '1'], { env: { ...process.env, TMPDIR: tmp } });
    try {
      expect((await ocr()).stdout).toMatch(/Tesseract\.js/);
      const first = await modelFolders();
      // One folder per set of models the run read with (the text's, orientation detection's), none staged left over.
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first.length).toBeLessThanOrEqual(2);
      expect((await ocr()).stdout).toMatch(/Tesseract\.js/);
      expect(await modelFolders()).toEqual(first);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it.runIf(existsSync(DEBIAN_FAST_ENG))('--no-cascade reads with the own model only, where the fast model of the line cascade is installed', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'docvault-cli-tmp-'));
    // The models a run read with are the links in its model folders (named by what they hold) in its temp folder.
    const modelsRead = async () => (await Promise.all((await readdir(tmp)).filter((name) => name.startsWith('docvault-models')).map((name) => readdir(join(tmp, name))))).flat().sort();
    const ocr = (...extra: string[]) => run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'tessjs_testocr.png', '--workers', '1', ...extra], { env: { ...process.env, TMPDIR: tmp } });
    try {
      const off = await ocr('--no-cascade');
      expect(characterErrorRate(groundTruth('tessjs_testocr.png'), off.stdout)).toBeLessThanOrEqual(0.02);
      expect(await modelsRead()).not.toContain('eng_fast.traineddata');
      await ocr();
      expect(await modelsRead()).toContain('eng_fast.traineddata');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('exits 1 and names the code when a file cannot be read, still doing the others', async () => {
    const result = await run(CLI[0]!, [CLI[1]!, 'ocr', FIXTURES_DIR + 'ocrmypdf_invalid.pdf', FIXTURES_DIR + 'tessjs_simple_png.png']).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect(result.stderr).toMatch(/ocrmypdf_invalid\.pdf: error CORRUPT_DOCUMENT/);
    expect(result.stdout).toMatch(/Tesseract\.js/);
  });

  it.runIf(canIsolateNetwork())('reads documents with no network at all (own network namespace)', async () => {
    const { stdout } = await run('unshare', ['-n', CLI[0]!, CLI[1]!, 'ocr', FIXTURES_DIR + 'tessjs_testocr.png', '-l', 'eng']);
    expect(characterErrorRate(groundTruth('tessjs_testocr.png'), stdout)).toBeLessThanOrEqual(0.02);
  });
});

async function extractPdfText(path: string): Promise<string> {
  const task = pdfjs.getDocument({ data: new Uint8Array(await readFile(path)), verbosity: 0 });
  const doc = await task.promise;
  let text = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    text += content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : '')).join('') + '\n';
  }
  await task.destroy();
  return text;
}

describe('warmPdfReader', () => {
  it('starts the PDF reader thread ahead only when the first file is a PDF by its content; a missing file is left to the read', async () => {
    const { warmPdfReader } = await import('../../cli/ocr-command.ts');
    expect(await warmPdfReader(FIXTURES_DIR + 'ocrmypdf_skew.pdf')).toBe(true);
    expect(await warmPdfReader(FIXTURES_DIR + 'tessjs_testocr.png')).toBe(false);
    expect(await warmPdfReader(undefined)).toBe(false);
    await expect(warmPdfReader(FIXTURES_DIR + 'no-such-file.pdf')).rejects.toThrow(/ENOENT/);
  });
});
