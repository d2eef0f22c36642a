/**
 * Page previews for the web console: each page as a small WebP (longest side PREVIEW_MAX_PX), turned
 * upright the way the page was read, stored beside the task's results in the user's own prefix. The
 * console draws the word boxes over it, scaling the page's coordinates to the preview's size.
 * An OCRed page's preview is cut from the image the pipeline read (pagePreview); only pages it has no
 * image of (a PDF's text-layer pages) are rendered again here.
 */
import sharp, { type Sharp } from 'sharp';
import type { BlobStore } from '../core/blob-store.ts';
import type { PipelineOutput } from '../core/pipeline.ts';
import type { GreyImage } from '../core/ports.ts';
import { userPrefix } from '../core/task.ts';
import { documentOpener } from '../engines/document-opener.ts';

/** Longest side of a preview: sharp enough to read the boxes, ~30–80 KB a page. */
export const PREVIEW_MAX_PX = 1000;
/** Pages of a document that get a preview; later pages are read in the text pane only. */
export const MAX_PREVIEW_PAGES = 100;
/** PDF pages are rendered at this resolution for their preview (a Letter page is 850 px wide). */
const PREVIEW_DPI = 100;
export const PREVIEW_CONTENT_TYPE = 'image/webp';
/** Preview objects written at once. */
const PREVIEW_WRITES_AT_ONCE = 6;

/** Where page `number`'s preview of a task is stored in the results bucket. */
export function previewObjectName(userHash: string, taskId: string, number: number): string {
  return `${userPrefix(userHash)}${taskId}/preview-${number}.webp`;
}

/** The preview of a page the pipeline read, from its upright grey image (a PipelineDeps.preview). */
export async function pagePreview(image: GreyImage, pageNumber: number): Promise<Uint8Array | undefined> {
  if (pageNumber > MAX_PREVIEW_PAGES) return undefined;
  return toPreview(sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } }));
}

async function toPreview(image: Sharp): Promise<Uint8Array> {
  const webp = await image.resize({ width: PREVIEW_MAX_PX, height: PREVIEW_MAX_PX, fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer();
  return new Uint8Array(webp);
}

/**
 * One preview per page (up to MAX_PREVIEW_PAGES), upright as the page was read: the pipeline's own where it made
 * one, the rest rendered from the original (the document is opened only when some page needs it).
 */
export async function renderPreviews(original: Uint8Array, output: Pick<PipelineOutput, 'result'> & Partial<Pick<PipelineOutput, 'artifacts'>>, maxPixelsPerPage: number): Promise<Map<number, Uint8Array>> {
  const { result } = output;
  const previews = new Map<number, Uint8Array>();
  const made = new Map((output.artifacts ?? []).flatMap((a) => (a.preview ? [[a.number, a.preview] as const] : [])));
  // By page number, not position: a shard's result holds pages 21–40, say, and those get none.
  const previewed = result.pages.filter((p) => p.number <= MAX_PREVIEW_PAGES);
  const missing = previewed.filter((p) => !made.has(p.number));
  for (const page of previewed) if (made.has(page.number)) previews.set(page.number, made.get(page.number)!);
  if (missing.length === 0) return previews;
  const source = await documentOpener.open(original, result.type, { dpi: PREVIEW_DPI, defaultImageDpi: 300, maxPixelsPerPage });
  try {
    for (const page of missing) {
      const shown = await (await source.page(page.number - 1)).displayImage(page.rotation.orientation);
      previews.set(page.number, await toPreview(sharp(shown.bytes)));
    }
  } finally {
    await source.close();
  }
  return new Map([...previews].sort(([a], [b]) => a - b));
}

/** Renders and stores a task's previews. A preview is a convenience: the caller logs a failure and completes the task anyway. */
export async function storePreviews(
  blobs: Pick<BlobStore, 'writeOnce'>,
  bucket: string,
  task: { userHash: string; taskId: string },
  original: Uint8Array,
  output: Pick<PipelineOutput, 'result'> & Partial<Pick<PipelineOutput, 'artifacts'>>,
  maxPixelsPerPage: number,
): Promise<number> {
  const previews = [...(await renderPreviews(original, output, maxPixelsPerPage))];
  // A few writes at a time: one after another, a 10-page document's previews took longer than its read.
  const write = async (): Promise<void> => {
    for (let next = previews.shift(); next; next = previews.shift()) {
      const [number, bytes] = next;
      await blobs.writeOnce({ bucket, name: previewObjectName(task.userHash, task.taskId, number) }, bytes, PREVIEW_CONTENT_TYPE, { 'docvault-task-id': task.taskId });
    }
  };
  const count = previews.length;
  await Promise.all(Array.from({ length: Math.min(PREVIEW_WRITES_AT_ONCE, count) }, write));
  return count;
}
