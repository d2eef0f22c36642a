import { describe, expect, it } from 'vitest';
import { detectDocumentType } from '../../../shared/core/document-type.ts';
import { DocVaultError } from '../../../shared/core/errors.ts';
import { fixture } from '../../support/fixtures.ts';

describe('detectDocumentType', () => {
  it.each([
    ['ocrmypdf_tagged.pdf', 'pdf'],
    ['tessjs_simple_png.png', 'png'],
    ['tessjs_simple_jpg.jpg', 'jpeg'],
    ['tess_phototest.tif', 'tiff'],
    ['tessjs_simple_webp.webp', 'webp'],
    ['tessjs_simple_gif.gif', 'gif'],
    ['tessjs_simple_bmp.bmp', 'bmp'],
    ['tessjs_simple_pbm.pbm', 'pnm'],
  ])('%s is %s by its content', async (name, type) => {
    expect(await detectDocumentType(fixture(name))).toBe(type);
  });

  it('ignores the name: a PNG called .pdf is a PNG', async () => {
    expect(await detectDocumentType(fixture('tessjs_simple_png.png'))).toBe('png');
  });

  it('names what is accepted when it rejects a file', async () => {
    const err = await detectDocumentType(new TextEncoder().encode('just some text, not a document')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocVaultError);
    expect((err as DocVaultError).message).toMatch(/Accepted: PDF, PNG, JPEG, TIFF/);
  });

  it.each([
    ['zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['text', new TextEncoder().encode('hello world, this is plain text and not a document')],
    ['ELF', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
  ])('rejects %s as UNSUPPORTED_TYPE', async (_, bytes) => {
    await expect(detectDocumentType(bytes)).rejects.toMatchObject({ code: 'UNSUPPORTED_TYPE' });
  });

  it('rejects an empty file as EMPTY_FILE', async () => {
    await expect(detectDocumentType(new Uint8Array())).rejects.toMatchObject({ code: 'EMPTY_FILE' });
  });
});
