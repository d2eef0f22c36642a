/**
 * manifest.json at the root of a models folder or bucket: every file with its size, sha256 and
 * where it came from. The sync tool writes it; workers verify what they download against it.
 */
import { z } from 'zod';

export const MANIFEST_NAME = 'manifest.json';
export const SHA256_HEX = /^[0-9a-f]{64}$/;
const TRAINEDDATA = /^([A-Za-z0-9_-]+)\.traineddata(?:\.gz)?$/;

export const ManifestEntry = z.object({
  path: z.string().min(1),
  /** `eng` for `tessdata/eng.traineddata` (or `.traineddata.gz`); absent for any other file. */
  lang: z.string().optional(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(SHA256_HEX),
  /** Where the file came from: `npm:@tesseract.js-data/eng`, `debian:tesseract-ocr-deu`, or the folder / gs:// prefix it was found in. */
  source: z.string().min(1),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const ModelManifest = z.object({ v: z.literal(1), files: z.array(ManifestEntry) });
export type ModelManifest = z.infer<typeof ModelManifest>;

/** The language of a traineddata path (`tessdata/eng.traineddata` → `eng`), or null. */
export function langOf(path: string): string | null {
  return TRAINEDDATA.exec(path.split(/[\\/]/).pop() ?? '')?.[1] ?? null;
}
