/**
 * `docvault models sync SRC DEST`: copies a model folder (`tessdata/{lang}.traineddata` plus a root
 * `manifest.json`) between local folders and `gs://bucket/prefix` locations with rsync -u semantics:
 *
 * - a file missing at DEST is copied;
 * - identical content (same md5 when both sides have one, else same sha256) is never re-copied;
 * - otherwise a file newer at DEST is kept (an operator's change survives a redeploy) unless `force`;
 * - otherwise SRC's version replaces DEST's.
 *
 * Times: a local file's mtime; an object's `customTime` when set, else its `updated`. Writes carry
 * the source's time (utimes locally, `customTime` in the bucket), so a copy is never "newer" than
 * what it was copied from and a round trip comes back `unchanged`. Times are compared in whole
 * milliseconds.
 *
 * Writes are atomic: locally a temp name in the same folder, then rename; in a bucket an upload with
 * a generation precondition (0 for a new object, the listed generation for a replacement), so a
 * concurrent change is reported, never clobbered. The root `manifest.json` is not synced as a file:
 * DEST's is rebuilt from what DEST holds after a run.
 *
 * The parts live in `model-sync/`: locations, errors, the manifest, the two trees (local, bucket), the plan and the sync.
 */
export { langOf, MANIFEST_NAME, ManifestEntry, ModelManifest } from '../core/model-manifest.ts';
export { describeWriteError, SyncProblem, syncProblemOf } from './model-sync/errors.ts';
export { LocationArg, overlaps, parseLocation, type Location } from './model-sync/locations.ts';
export { buildManifest, manifestText, packageSourceOf } from './model-sync/manifest.ts';
export { decide, SyncAction } from './model-sync/plan.ts';
export { summaryLine, syncModels, type SyncFileResult, type SyncOptions, type SyncReport } from './model-sync/sync.ts';
export { writeManifest, type WriteManifestOptions } from './model-sync/tree-manifest.ts';
