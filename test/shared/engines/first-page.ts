/** A fixture's first page rendered as the pipeline renders it (300 dpi), for the engine tests. */
import { detectDocumentType } from '../../../shared/core/document-type.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { documentOpener } from '../../../shared/engines/document-opener.ts';
import { fixture } from '../../support/fixtures.ts';

export async function firstPage(name: string): Promise<GreyImage> {
  return renderedFirstPage(fixture(name));
}

/** A document's first page as the pipeline renders it (a corpus file's bytes, say). */
export async function renderedFirstPage(bytes: Uint8Array): Promise<GreyImage> {
  const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
  try {
    return await (await source.page(0)).render();
  } finally {
    await source.close();
  }
}
