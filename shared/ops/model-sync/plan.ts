/** Pure decisions of a sync: what to do with one file (rsync -u semantics). */
import { z } from 'zod';
import type { FileEntry, Tree } from './tree.ts';

export const SyncAction = z.enum(['copied', 'updated', 'skipped', 'unchanged', 'deleted']);
export type SyncAction = z.infer<typeof SyncAction>;

/**
 * Pure: what to do with one file. `sameContent` is only consulted when both sides have the file.
 * Order: missing → copied; same content → unchanged (even with force); force → updated; DEST newer
 * → skipped; otherwise (SRC newer, or same time and different content, as rsync -u) → updated.
 */
export function decide(srcTimeMs: number, dstTimeMs: number | undefined, sameContent: boolean, force: boolean): { action: SyncAction; reason?: string } {
  if (dstTimeMs === undefined) return { action: 'copied' };
  if (sameContent) return { action: 'unchanged' };
  if (force) return { action: 'updated' };
  if (Math.floor(dstTimeMs) > Math.floor(srcTimeMs)) return { action: 'skipped', reason: 'destination newer' };
  return { action: 'updated' };
}

export async function sameContent(src: Tree, s: FileEntry, dst: Tree, d: FileEntry): Promise<boolean> {
  if (s.size !== d.size) return false;
  const [ms, md] = [await src.md5(s), await dst.md5(d)];
  if (ms && md) return ms === md;
  return (await src.sha256(s)) === (await dst.sha256(d));
}
