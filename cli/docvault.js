#!/usr/bin/env node
// The `docvault` executable. Plain JavaScript on purpose: the first TypeScript file a process loads
// costs Node ~0.15-0.3 s of type-stripping set-up, so `--version` and a help page that was already
// shown once answer from here without loading any TypeScript; everything else runs ./docvault.ts.
//
// What the CLI keeps between runs lives in the user's cache folder (cacheDir: $XDG_CACHE_HOME/docvault/cli, else
// ~/.cache/docvault/cli), never in the install: node_modules may be read-only, or shared by several checkouts through
// hard links. A folder that cannot be written is no error: the command runs as it would with nothing kept.
//
// Every other command runs the TypeScript CLI with the checkout's TypeScript files kept with their types stripped
// (stripped/, keyed like the help pages, by each file's path, size and time): Node strips a file's types each time it
// loads it, ~0.3 s of a short command's start (`docvault ocr` of one image) for the ~150 files it loads.
//
// The code V8 compiles from those files (and from the packages they load, in this thread and in the OCR worker's) is
// kept too, in compile/ (Node's module compile cache): `docvault ocr` of one image spent ~0.1 s of its main thread's
// CPU compiling the same ~500 modules on every run.
//
// A help page is shown by the TypeScript CLI the first time and kept (help-*.txt), under a key made of the arguments,
// the terminal's width and the size and time of every file the help is made from (the CLI's sources, the format list,
// package.json, commander): an edit shows the new help at once.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const CACHE = cacheDir(process.env);

// Imported as a namespace so that an older Node (the system's, when the file is run by its path or after
// `npm link`) gets this line rather than a SyntaxError naming a function it lacks.
if (typeof nodeModule.registerHooks !== 'function') {
  process.stderr.write(
    `UNSUPPORTED_RUNTIME: docvault needs Node.js 22.15 or later (this is ${process.version}); ` +
      'run `npx docvault` in the project folder, which uses the project\'s own Node.\n',
  );
  process.exit(2);
}

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
} else if (isHelpOnly(args)) {
  const cacheFile = helpCacheFile(args);
  const cached = cacheFile && readOrNull(cacheFile);
  if (cached !== null && cached !== undefined) process.stdout.write(cached);
  else await runAndKeepHelp(cacheFile);
} else {
  // Only where Node reads TypeScript itself: with type stripping off, TypeScript stays unloadable.
  if (process.features.typescript) keepStrippedTypeScript();
  if (CACHE) keepCompiledCode(CACHE);
  await import('./docvault.ts');
}

/**
 * The folder the CLI keeps things in between runs: `$XDG_CACHE_HOME/docvault/cli`, else `~/.cache/docvault/cli`; null
 * when there is neither (no home), and nothing is kept. Not created here: each writer creates it when it first writes.
 */
function cacheDir(env) {
  // The XDG base directory rules: a relative path in the variable is ignored.
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : null;
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home directory for this user
  }
  const base = xdg ?? (home && isAbsolute(home) ? join(home, '.cache') : null);
  return base && join(base, 'docvault', 'cli');
}

/** Node's module compile cache, for this thread and (through the environment) the worker threads it starts. */
function keepCompiledCode(cache) {
  const { status, directory } = nodeModule.enableCompileCache(join(cache, 'compile'));
  // Disabled (NODE_DISABLE_COMPILE_CACHE) or failed (a folder that cannot be written): every run compiles, as before.
  if (status === nodeModule.constants.compileCacheStatus.ENABLED && directory) process.env.NODE_COMPILE_CACHE ??= directory;
}

/** Loads the checkout's own .ts files (not node_modules') from the kept stripped copies, making any that is missing. */
function keepStrippedTypeScript() {
  const root = pathToFileURL(ROOT + '/').href;
  const dir = CACHE && join(CACHE, 'stripped');
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith(root) || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
      const path = fileURLToPath(url);
      const info = statSync(path);
      const file = dir && join(dir, `${createHash('sha256').update(`${process.version}\n${path}\n${info.size}\n${info.mtimeMs}`).digest('hex').slice(0, 32)}.js`);
      let source = file ? readOrNull(file) : null;
      if (source === null) {
        source = stripQuietly(readFileSync(path, 'utf8'));
        // A folder that cannot be written: the types are stripped each time.
        if (file) keepFile(file, source);
      }
      return { format: 'module', source, shortCircuit: true };
    },
  });
}

/** `--help`, `-h`, `COMMAND --help`, `COMMAND SUB --help`, `help [COMMAND]`: nothing runs, a page is printed. */
function isHelpOnly(argv) {
  if (argv.length === 0 || argv.length > 3) return false;
  const words = argv.filter((a) => !a.startsWith('-'));
  const flags = argv.filter((a) => a.startsWith('-'));
  if (words.every((w) => /^[a-z][a-z-]*$/.test(w)) === false) return false;
  if (flags.length === 1 && (flags[0] === '--help' || flags[0] === '-h') && argv.at(-1) === flags[0]) return true;
  return flags.length === 0 && words[0] === 'help' && words.length <= 2;
}

function helpCacheFile(argv) {
  if (!CACHE) return undefined;
  try {
    // Commander wraps help to the terminal's width: a page kept for a pipe is not shown on a terminal.
    const width = process.stdout.isTTY ? process.stdout.columns : 'not a terminal';
    const hash = createHash('sha256').update(`${process.version}\n${width}\n${argv.join('\n')}\n`);
    const sources = [
      ...sourcesUnder(join(ROOT, 'cli')),
      join(ROOT, 'shared/core/document-type.ts'),
      join(ROOT, 'package.json'),
      join(ROOT, 'node_modules/commander/package.json'),
    ];
    for (const file of sources) {
      const info = statSync(file);
      hash.update(`${file}\n${info.size}\n${info.mtimeMs}\n`);
    }
    return join(CACHE, `help-${hash.digest('hex').slice(0, 32)}.txt`);
  } catch {
    return undefined; // a file missing: no cache, the TypeScript CLI answers
  }
}

function sourcesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Node's own type stripping, without its experimental-feature warning on stderr (where a command's errors go). */
function stripQuietly(source) {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return nodeModule.stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

function readOrNull(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Runs the TypeScript CLI, keeping what it prints on stdout; kept only when it exits 0. */
async function runAndKeepHelp(cacheFile) {
  const printed = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return write(chunk, ...rest);
  };
  try {
    await import('./docvault.ts');
  } finally {
    process.stdout.write = write;
  }
  if (!cacheFile || (process.exitCode ?? 0) !== 0 || printed.length === 0) return;
  // A folder that cannot be written: every help page comes from the TypeScript CLI.
  keepFile(cacheFile, printed.join(''));
}

/**
 * Writes a kept file whole or not at all (a temporary file renamed into place), so that a run beside this one never
 * reads half of it. A folder that cannot be written keeps nothing, silently.
 */
function keepFile(file, content) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nowhere it could have been written
    }
  }
}
