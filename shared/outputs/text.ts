import type { OcrResult } from '../core/result.ts';

/** Plain text, one form feed between pages (as the tesseract CLI and pdftotext write it). */
export function toPlainText(result: OcrResult): string {
  return result.pages.map((p) => (p.text.trimEnd() ? p.text.trimEnd() + '\n' : '')).join('\f');
}
