/** Pure: a manifest's canonical form and where a packaged model file came from. */
import { langOf, ManifestEntry, type ModelManifest } from '../../core/model-manifest.ts';

/** Pure: the manifest of these files, sorted by path. */
export function buildManifest(entries: readonly ManifestEntry[]): ModelManifest {
  // Parsed: a fixed key order, so the same files always give the same text.
  const files = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((e) => ManifestEntry.parse(e));
  return { v: 1, files };
}

export function manifestText(manifest: ModelManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Where a local model file came from, by where it really lives (symlinks followed). */
export function packageSourceOf(realPath: string): string | undefined {
  const npm = /[\\/]node_modules[\\/](@tesseract\.js-data[\\/][^\\/]+)[\\/]/.exec(realPath);
  if (npm) return `npm:${(npm[1] as string).replace(/\\/g, '/')}`;
  if (/^\/usr\/share\/tesseract-ocr\//.test(realPath)) {
    const lang = langOf(realPath);
    return lang ? `debian:tesseract-ocr-${lang.toLowerCase().replace(/_/g, '-')}` : 'debian';
  }
  return undefined;
}
