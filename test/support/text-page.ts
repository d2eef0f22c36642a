/**
 * A page of OCR words laid out from text, as an engine would report it: one line per text line,
 * each word boxed where a monospaced printer puts it (10 px a character, 30 px a line).
 */
import type { PageResult, Word } from '../../shared/core/result.ts';

export interface TextPageOptions {
  number?: number;
  /** Confidence of every word, or of the words on given lines. */
  confidence?: number | ((line: number) => number);
  /**
   * Read right-hand amounts as a separate block, as an engine splitting a price column does: a
   * word starting at or after this column gets a line number of its own (its box stays in place).
   */
  splitColumn?: number;
}

export function textPage(text: string, options: TextPageOptions = {}): Pick<PageResult, 'number' | 'words' | 'text'> {
  const words: Word[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\S+/g)) {
      const col = m.index;
      const confidence = typeof options.confidence === 'function' ? options.confidence(i) : (options.confidence ?? 92);
      const split = options.splitColumn !== undefined && col >= options.splitColumn;
      words.push({
        text: m[0],
        confidence,
        bbox: { x0: col * 10, y0: i * 30, x1: (col + m[0].length) * 10, y1: i * 30 + 20 },
        line: split ? lines.length + i : i,
      });
    }
  });
  return { number: options.number ?? 1, words, text };
}

/** Classifications to hand to extractFields, as the classifier would decide them. */
export const AS_RECEIPT = { category: 'receipt', scores: { receipt: 9 } } as const;
export const AS_INVOICE = { category: 'invoice', scores: { invoice: 9 } } as const;
export const AS_LETTER = { category: 'letter', scores: { letter: 8 } } as const;
