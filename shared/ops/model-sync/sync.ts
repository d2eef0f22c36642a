/** `syncModels`: list both trees, decide per file, copy / delete, then rebuild DEST's manifest. */
import type { Storage } from '@google-cloud/storage';
import { describeReadError, isSourceError, sourceStream, syncError } from './errors.ts';
import { overlaps, parseLocation } from './locations.ts';
import { lazyStorage, openTree } from './open-tree.ts';
import { decide, sameContent, SyncAction } from './plan.ts';
import { readManifest, refreshManifest } from './tree-manifest.ts';
import type { FileEntry, Tree } from './tree.ts';

export interface SyncOptions {
  /** A local folder or gs://bucket/prefix. */
  source: string;
  destination: string;
  dryRun?: boolean;
  force?: boolean;
  delete?: boolean;
  /** The client for gs:// locations; default `new Storage()` (which honours STORAGE_EMULATOR_HOST). */
  storage?: Storage;
  /** One line per file, and a summary line. */
  log: (line: string) => void;
}

export interface SyncFileResult {
  path: string;
  action: SyncAction;
  /** For skipped: `destination newer`, or `destination changed during sync` (a precondition failed). */
  reason?: string;
  /** Bytes transferred (0 unless copied or updated). */
  bytes: number;
}

export interface SyncReport {
  source: string;
  destination: string;
  dryRun: boolean;
  files: SyncFileResult[];
  counts: Record<SyncAction, number>;
  bytes: number;
  seconds: number;
  /** Whether DEST's manifest.json was rewritten. */
  manifest: 'written' | 'unchanged' | 'not-written';
}

function lineOf(result: SyncFileResult): string {
  const label = result.action === 'skipped' ? `skipped: ${result.reason}` : result.action;
  return `${label}  ${result.path}`;
}

export function summaryLine(report: Pick<SyncReport, 'counts' | 'bytes' | 'seconds' | 'dryRun'>): string {
  const c = report.counts;
  return (
    `${report.dryRun ? 'dry run, nothing changed: would have ' : ''}` +
    `${c.copied} copied, ${c.updated} updated, ${c.skipped} skipped, ${c.unchanged} unchanged, ${c.deleted} deleted; ` +
    `${report.bytes} bytes in ${report.seconds.toFixed(2)} s`
  );
}

/** Both sides listed; refuses a missing or empty source and a missing bucket. */
async function listBoth(src: Tree, dst: Tree): Promise<{ srcFiles: Map<string, FileEntry>; dstFiles: Map<string, FileEntry> }> {
  const srcFiles = await src.list();
  if (srcFiles === null) throw syncError('SOURCE_MISSING', src.url, `The source ${src.url} does not exist.`);
  if (srcFiles.size === 0) throw syncError('SOURCE_MISSING', src.url, `The source ${src.url} holds no files: nothing to sync (check the path).`);
  const listed = await dst.list();
  if (listed === null && dst.location.kind === 'gcs') {
    throw syncError('DESTINATION_MISSING', dst.url, `The bucket gs://${dst.location.bucket} does not exist: create it first.`);
  }
  return { srcFiles, dstFiles: listed ?? new Map<string, FileEntry>() };
}

/** One run's two sides, what they held when listed, and where each file's result goes. */
interface Run {
  src: Tree;
  dst: Tree;
  srcFiles: ReadonlyMap<string, FileEntry>;
  dstFiles: ReadonlyMap<string, FileEntry>;
  dryRun: boolean;
  force: boolean;
  record: (result: SyncFileResult) => void;
}

const CHANGED_DURING_SYNC = 'destination changed during sync';

async function copyFiles(run: Run): Promise<void> {
  const { src, dst } = run;
  for (const path of [...run.srcFiles.keys()].sort()) {
    const s = run.srcFiles.get(path) as FileEntry;
    const d = run.dstFiles.get(path);
    const same = d ? await sameContent(src, s, dst, d) : false;
    const { action, reason } = decide(s.timeMs, d?.timeMs, same, run.force);
    if (action !== 'copied' && action !== 'updated') {
      run.record({ path, action, ...(reason ? { reason } : {}), bytes: 0 });
      continue;
    }
    if (!run.dryRun) {
      // A bucket destination stores the sha256 as metadata: know it before the upload starts.
      // Locally, a sha256 known beforehand (from object metadata) is checked against what arrives.
      const sha256 = s.sha256 ?? (dst.location.kind === 'gcs' ? await src.sha256(s) : undefined);
      const outcome = await dst
        .write(path, () => sourceStream(src.read(s)), { timeMs: s.timeMs, sha256, replaces: d })
        .catch((err: unknown) => Promise.reject(isSourceError(err) ? describeReadError(err, src.display(path)) : err));
      if (outcome === 'conflict') {
        run.record({ path, action: 'skipped', reason: CHANGED_DURING_SYNC, bytes: 0 });
        continue;
      }
    }
    run.record({ path, action, bytes: s.size });
  }
}

/** `--delete`: DEST's files that SRC does not have. */
async function deleteExtra(run: Run): Promise<void> {
  for (const path of [...run.dstFiles.keys()].sort()) {
    const d = run.dstFiles.get(path) as FileEntry;
    if (run.srcFiles.has(path)) continue;
    if (!run.dryRun && (await run.dst.remove(d)) === 'conflict') {
      run.record({ path, action: 'skipped', reason: CHANGED_DURING_SYNC, bytes: 0 });
      continue;
    }
    run.record({ path, action: 'deleted', bytes: 0 });
  }
}

/**
 * DEST's manifest follows what DEST holds, kept files and extra files included (the worker checks
 * every file against it): rebuilt after every real run, written only when its text changes.
 */
async function rebuildManifest(run: Run, results: readonly SyncFileResult[]): Promise<SyncReport['manifest']> {
  const { src, dst } = run;
  const srcManifest = (await readManifest(src)).manifest;
  const hints = new Map<string, { sha256: string; source: string }>();
  for (const e of srcManifest?.files ?? []) hints.set(e.path, { sha256: e.sha256, source: e.source });
  const known = new Map<string, FileEntry>(run.dstFiles);
  for (const r of results) {
    const s = run.srcFiles.get(r.path);
    if (!s || (r.action !== 'copied' && r.action !== 'updated')) continue;
    known.set(r.path, s); // DEST now has SRC's content, size and time
    if (hints.has(r.path) || (!s.sha256 && src.location.kind !== 'local')) continue;
    hints.set(r.path, { sha256: await src.sha256(s), source: await src.sourceOf(s) });
  }
  return (await refreshManifest(dst, hints, known)).written ? 'written' : 'unchanged';
}

export async function syncModels(options: SyncOptions): Promise<SyncReport> {
  const started = performance.now();
  const storage = lazyStorage(options.storage);
  const src = openTree(parseLocation(options.source), storage);
  const dst = openTree(parseLocation(options.destination), storage);
  const dryRun = options.dryRun ?? false;
  if (overlaps(src.location, dst.location)) {
    throw syncError('INVALID_LOCATION', dst.url, `${src.url} and ${dst.url} overlap (one holds the other): give two separate places.`);
  }
  const results: SyncFileResult[] = [];
  const run: Run = {
    src,
    dst,
    ...(await listBoth(src, dst)),
    dryRun,
    force: options.force ?? false,
    record: (result) => {
      results.push(result);
      options.log(lineOf(result));
    },
  };
  await copyFiles(run);
  if (options.delete) await deleteExtra(run);

  const counts = Object.fromEntries(SyncAction.options.map((a) => [a, 0])) as Record<SyncAction, number>;
  for (const r of results) counts[r.action] += 1;
  const manifest = dryRun ? 'not-written' : await rebuildManifest(run, results);
  const report: SyncReport = {
    source: src.url,
    destination: dst.url,
    dryRun,
    files: results,
    counts,
    bytes: results.reduce((sum, r) => sum + r.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    manifest,
  };
  options.log(summaryLine(report));
  return report;
}
