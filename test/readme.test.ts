/**
 * The README's offline commands run as printed: the `sh` block under "OCR of local files", line by
 * line, through `npx` from a folder holding the files it names (scan.pdf of 7 pages, photo.jpg,
 * secret.pdf with the password it gives). A command that stops working, or a file or option the
 * README names that the CLI does not take, fails here.
 */
import { exec } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlock } from './support/readme.ts';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(exec);

/** The lines of the `sh` block under `heading` that run `npx docvault`. */
const readmeCommands = (heading: string): string[] => readmeBlock(heading).filter((line) => line.startsWith('npx docvault '));

/** Seven pages with a text layer (read from it, not OCRed: the test checks the commands, not OCR speed). */
async function sevenPagePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 7; n++) doc.addPage([300, 200]).drawText(`Page ${n} of the scan`, { x: 20, y: 100, size: 14, font });
  return doc.save();
}

let dir: string;
beforeAll(async () => {
  // Under the project (ignored by git), so that npx finds the project's own bin.
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  dir = mkdtempSync(join(ROOT, '.tmp', 'readme-'));
  writeFileSync(join(dir, 'scan.pdf'), await sevenPagePdf());
  copyFileSync(join(ROOT, 'test/fixtures/tessjs_simple_jpg.jpg'), join(dir, 'photo.jpg'));
  copyFileSync(join(ROOT, 'test/fixtures/encrypted_tagged.pdf'), join(dir, 'secret.pdf'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const commands = readmeCommands('OCR of local files');

describe('README: OCR of local files', () => {
  it('names the commands this test runs', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it.each(commands)('%s', async (command) => {
    const { stdout, stderr } = await run(command, { cwd: dir, env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` }, maxBuffer: 64 << 20 });
    if (/ -o out\//.test(command)) {
      for (const name of ['scan.json', 'scan.txt', 'scan.hocr.html', 'scan.searchable.pdf']) expect(existsSync(join(dir, 'out', name)), name).toBe(true);
    } else if (/ -l auto/.test(command)) {
      expect(stderr).toMatch(/photo\.jpg: 1 page \(auto: eng\b/);
      expect(stdout).toMatch(/Tesseract\.js/);
    } else if (/models list/.test(command)) {
      expect(stdout).toMatch(/\beng\b/);
    } else if (/--pages 1-3,7/.test(command)) {
      expect(stdout).toMatch(/Page 7 of the scan/);
      expect(stdout).not.toMatch(/Page 4 of the scan/);
    } else if (/secret\.pdf/.test(command)) {
      expect(stdout).toMatch(/Table of Contents/);
    } else {
      expect(stdout).toMatch(/==> scan\.pdf <==[\s\S]*==> photo\.jpg <==/);
    }
  }, 300_000);
});
