/** Header text: download names and Content-Disposition for names in any script (RFC 6266 / 8187). */
import { describe, expect, it } from 'vitest';
import { contentDisposition, downloadName } from '../../../shared/core/header-text.ts';

describe('downloadName', () => {
  it.each([
    ['Invoice 7.pdf', 'txt', 'Invoice_7.txt'],
    ['scans/報告.png', 'txt', '報告.txt'],
    ['été résumé العربية.png', 'hocr.html', 'été_résumé_العربية.hocr.html'],
    ['a\u202Eevil.png', 'txt', 'a_evil.txt'],
    ['!!!.png', 'json', 'document.json'],
  ])('%s as %s → %s', (name, extension, expected) => {
    expect(downloadName(name, extension)).toBe(expected);
  });
});

describe('contentDisposition', () => {
  it('an ASCII name is filename="…" alone', () => {
    expect(contentDisposition('inline', 'Invoice_7.txt')).toBe('inline; filename="Invoice_7.txt"');
  });
  it('a non-ASCII name adds filename*=UTF-8\'\'… with an ASCII fallback', () => {
    expect(contentDisposition('attachment', '報告.pdf')).toBe(`attachment; filename="document.pdf"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf`);
    expect(contentDisposition('inline', 'été_résumé.txt')).toBe(`inline; filename="ete_resume.txt"; filename*=UTF-8''%C3%A9t%C3%A9_r%C3%A9sum%C3%A9.txt`);
  });
  it('the value is a valid header value that decodes back to the name', () => {
    const name = "l'été (v2)*.txt";
    const header = contentDisposition('inline', name);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    const ext = /filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$/.exec(header)![1]!;
    expect(decodeURIComponent(ext)).toBe(name);
  });
});
