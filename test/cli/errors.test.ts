/** What a user sees when a command goes wrong: a code from the one vocabulary, one line, and an exit code that tells usage from documents. */
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../support/fixtures.ts';
import { docvault } from './cli-support.ts';

const oneLine = (text: string) => text.trim().split('\n').filter(Boolean);

describe('docvault errors', () => {
  it('a missing file is FILE_NOT_FOUND in one line, exit 1, and the other files are still read', async () => {
    const run = await docvault(['ocr', 'no-such-scan.png', FIXTURES_DIR + 'tessjs_simple_png.png', '--workers', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^no-such-scan\.png: error FILE_NOT_FOUND: No such file: no-such-scan\.png$/m);
    expect(run.stderr).not.toMatch(/INTERNAL|ENOENT|\n\s+at /);
    expect(run.stdout).toMatch(/Tesseract\.js/);
  });

  it('a folder is INVALID_ARGUMENT naming it, exit 1', async () => {
    const run = await docvault(['ocr', 'test/fixtures']);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toEqual(['test/fixtures: error INVALID_ARGUMENT: test/fixtures is a folder; give the files in it (e.g. test/fixtures/*).']);
  });

  it('a bad language name is one line with a code, exit 2, before any engine starts', async () => {
    const run = await docvault(['ocr', '-l', 'english!', FIXTURES_DIR + 'tessjs_simple_png.png']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual(['error INVALID_ARGUMENT: -l english!: a language is a tesseract code such as eng, deu or chi_sim (eng+deu for several), or auto alone.']);
  });

  it('a language that is not installed is LANGUAGE_UNAVAILABLE, exit 2', async () => {
    const run = await docvault(['ocr', '-l', 'eng+xyz', FIXTURES_DIR + 'tessjs_simple_png.png']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/^error LANGUAGE_UNAVAILABLE: No traineddata for language "xyz"/);
    // What to do, on the command line (not "add it to the model cache").
    expect(run.stderr).toMatch(/Install it \(npm i @tesseract\.js-data\/xyz, or Debian's tesseract-ocr-xyz\) or give --model-dir a folder holding xyz\.traineddata/);
  });

  it('an encrypted PDF without its password says to give it with --password (not to upload it again), exit 1', async () => {
    const run = await docvault(['ocr', FIXTURES_DIR + 'encrypted_tagged.pdf']);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toEqual([`${FIXTURES_DIR}encrypted_tagged.pdf: error ENCRYPTED_PDF: The PDF is encrypted: give its password with --password.`]);
  });

  it('-f docx prints the error, not the whole help, exit 2', async () => {
    const run = await docvault(['ocr', '-f', 'docx', FIXTURES_DIR + 'tessjs_simple_png.png']);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toEqual(['error INVALID_ARGUMENT: -f docx: formats are json, txt, hocr, pdf.']);
    expect(run.stderr).not.toMatch(/Usage:/);
  });

  it('an unknown option is a usage error with a code, exit 2, without the help', async () => {
    const run = await docvault(['ocr', '--no-such-option', 'x.png']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error INVALID_ARGUMENT: unknown option '--no-such-option'/);
    expect(run.stderr).not.toMatch(/Usage:/);
  });

  it.each([
    ['queue', 'stats'],
    ['ingest', 'test/fixtures', '--user', 'you@example.com'],
  ])('an operator command with no environment and no local suite is one INVALID_ARGUMENT line naming what is missing, exit 2 (%s)', async (...args) => {
    const bare = { GOOGLE_CLOUD_PROJECT: '', FIRESTORE_EMULATOR_HOST: '', PUBSUB_EMULATOR_HOST: '', STORAGE_EMULATOR_HOST: '', RESULTS_BUCKET: '', UPLOADS_BUCKET: '', DOCVAULT_DATA_ROOT: '/nonexistent' };
    const run = await docvault(args, bare);
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/^error INVALID_ARGUMENT: Invalid environment: .*GOOGLE_CLOUD_PROJECT.*\(against the local suite of npm start, add --local\)$/m);
  });

  it('--help and --version exit 0', async () => {
    const [help, version] = await Promise.all([docvault(['--help']), docvault(['--version'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: docvault/);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('ocr --help still names every format it reads', async () => {
    const help = await docvault(['ocr', '--help']);
    expect(help.stdout).toMatch(/PDF, PNG, JPEG/);
  });
});

describe('docvault user-prefix: the API\'s email rule', () => {
  it.each([
    ['a Cyrillic а', '\u0430lice@example.com'],
    ['a fullwidth ａ', '\uff41lice@example.com'],
    ['no @', 'alice.example.com'],
  ])('refuses %s, as the API does, exit 2', async (_label, email) => {
    const run = await docvault(['user-prefix', email]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error INVALID_ARGUMENT: .* is not an email address the service accepts/m);
  });

  it('gives a prefix for a plain address', async () => {
    const run = await docvault(['user-prefix', 'alice@example.com'], { USER_HASH_SECRET: 'x'.repeat(32) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^gs:\/\/[a-z0-9-]+\/users\/[0-9a-f]{64}\/\n$/);
  });
});
