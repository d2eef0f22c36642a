/** The console saves a download under the name the api gives: the UTF-8 one first (RFC 6266), then the ASCII one. */
import { describe, expect, it } from 'vitest';
import { fileNameOf } from '../../console/src/file-name.ts';
import { contentDisposition } from '../../shared/core/header-text.ts';

describe('fileNameOf', () => {
  it.each(['報告.txt', 'été_résumé.hocr.html', 'Invoice_7.pdf'])('reads back %s from the api\'s header', (name) => {
    expect(fileNameOf(contentDisposition('inline', name))).toBe(name);
  });
  it('a malformed UTF-8 form falls back to the ASCII name; no header, no name', () => {
    expect(fileNameOf(`inline; filename="a.txt"; filename*=UTF-8''%E5%A0`)).toBe('a.txt');
    expect(fileNameOf('')).toBeUndefined();
  });
});
