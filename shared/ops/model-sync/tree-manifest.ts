/** The `manifest.json` at the root of a tree: read, and rebuilt from what the tree holds. */
import type { Storage } from '@google-cloud/storage';
import { langOf, MANIFEST_NAME, ModelManifest, type ManifestEntry } from '../../core/model-manifest.ts';
import { syncError } from './errors.ts';
import { parseLocation } from './locations.ts';
import { buildManifest, manifestText } from './manifest.ts';
import { lazyStorage, openTree } from './open-tree.ts';
import type { FileEntry, Tree } from './tree.ts';

export async function readManifest(tree: Tree): Promise<{ text?: string; manifest?: ModelManifest }> {
  const text = await tree.readText(MANIFEST_NAME);
  if (text === undefined) return {};
  try {
    const parsed = ModelManifest.safeParse(JSON.parse(text));
    return parsed.success ? { text, manifest: parsed.data } : { text };
  } catch {
    return { text }; // unreadable: it is rebuilt
  }
}

/**
 * `known`: entries hashed earlier in this run; a listed file of the same size and time reuses the hash.
 * `listed`: the tree's listing when the caller has just taken it (a bucket listing is a request).
 */
export async function refreshManifest(
  tree: Tree,
  hints: ReadonlyMap<string, { sha256: string; source: string }>,
  known: ReadonlyMap<string, FileEntry> = new Map(),
  listed?: Map<string, FileEntry> | null,
): Promise<{ manifest: ModelManifest; written: boolean }> {
  const files = listed === undefined ? await tree.list() : listed;
  if (files === null) throw syncError('SOURCE_MISSING', tree.url, `${tree.url} does not exist.`);
  const previous = await readManifest(tree);
  const before = new Map((previous.manifest?.files ?? []).map((e) => [e.path, e]));
  const entries: ManifestEntry[] = [];
  for (const [path, entry] of files) {
    const earlier = known.get(path);
    if (!entry.sha256 && earlier?.sha256 && earlier.size === entry.size && earlier.timeMs === entry.timeMs) entry.sha256 = earlier.sha256;
    const sha256 = await tree.sha256(entry);
    const hint = hints.get(path);
    const old = before.get(path);
    const source =
      hint?.sha256 === sha256 ? hint.source : old?.sha256 === sha256 ? old.source : await tree.sourceOf(entry);
    const lang = langOf(path);
    entries.push({ path, ...(lang ? { lang } : {}), size: entry.size, sha256, source });
  }
  const manifest = buildManifest(entries);
  const text = manifestText(manifest);
  if (text === previous.text) return { manifest, written: false };
  await tree.writeText(MANIFEST_NAME, text);
  return { manifest, written: true };
}

export interface WriteManifestOptions {
  storage?: Storage;
  /** `source` to record per path, overriding what the previous manifest or package detection says. */
  sources?: Readonly<Record<string, string>>;
}

/**
 * (Re)builds `manifest.json` at the root of a model folder or gs:// prefix from the files there
 * (sha256 of each: hashed locally, from the object's `sha256` metadata or by download in a bucket).
 * A file's `source` is kept from the previous manifest while its sha256 is unchanged. Writes only
 * when the content differs.
 */
export async function writeManifest(folderOrGsPrefix: string, options: WriteManifestOptions = {}): Promise<{ manifest: ModelManifest; written: boolean; url: string }> {
  const tree = openTree(parseLocation(folderOrGsPrefix), lazyStorage(options.storage));
  const files = await tree.list();
  const hints = new Map<string, { sha256: string; source: string }>();
  for (const [path, source] of Object.entries(options.sources ?? {})) {
    const entry = files?.get(path);
    if (entry) hints.set(path, { sha256: await tree.sha256(entry), source });
  }
  // One listing: its entries keep the hashes taken for the hints, so no file is hashed twice.
  const { manifest, written } = await refreshManifest(tree, hints, new Map(), files);
  return { manifest, written, url: tree.display(MANIFEST_NAME) };
}
