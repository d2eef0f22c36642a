/**
 * The classifier's cheap patterns count exactly what the declared ones (with \p{L} and \p{N}) count: every code
 * point is a letter, a digit or neither to both, and every cue's count is the same on real and made-up texts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallPatterns } from '../../../shared/core/classify-patterns.ts';
import { CUE_SOURCES, cueCounts } from '../../../shared/core/classify.ts';
import { lettersRead } from '../../../shared/core/ocr-lookalikes.ts';
import { FIXTURES_DIR } from '../../support/fixtures.ts';
import { RECEIPT } from '../../support/sample-texts.ts';

const CORPUS = join(import.meta.dirname, '../../../../shared/corpus');

/** Each cue's count with its pattern as declared, up to what classifyDocument counts. */
function declaredCounts(words: string): number[] {
  return CUE_SOURCES.map((cue) => {
    let n = 0;
    for (const _ of words.matchAll(new RegExp(cue.source, cue.flags))) if (++n >= Math.max(cue.cap, cue.min)) break;
    return n;
  });
}

/** A small seeded generator, so a failure can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that sit on the edges of the reasoning: case partners of ASCII letters, letters and digits no cue spells, marks, spaces. */
const TRICKY = ['ſ', 'K', 'ẞ', 'ß', 'É', 'é', 'Ü', 'ı', 'İ', 'я', 'Ж', 'ω', 'ς', 'ͅ', '٣', '²', 'Ⅻ', '𝐀', '𝟏', '😀', '\u00a0', '\u2028', '\u0301', 'ǂ', '¹', '’', '§', '✓', '☐', '_', '.', ':', '\n', '\t', ' ', '12:30', '5', 'x'];

function madeUpText(next: () => number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cased = (s: string) => pick([s, s.toUpperCase(), s[0]!.toUpperCase() + s.slice(1)]);
  let text = '';
  for (let i = 0; i < 60; i++) {
    const r = next();
    if (r < 0.45) text += cased(pick(CUE_SOURCES).label);
    else if (r < 0.85) text += pick(TRICKY);
    else text += pick([' ', '\n', ': ', '[ ] ', '____ ', '...... ']);
  }
  return text;
}

describe('the classifier\'s cheap patterns', () => {
  it('every code point is a letter, a digit or neither to the small classes exactly as to \\p{L} and \\p{N}', () => {
    const { prepare, classes } = smallPatterns(CUE_SOURCES);
    const letter = new RegExp(`^[${classes.letters}]$`, 'iu');
    const digit = new RegExp(`^[${classes.digits}]$`, 'iu');
    const chars: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
    const prepared = [...prepare(chars.join(''))];
    expect(prepared).toHaveLength(chars.length);
    // As the patterns test them: case-insensitive, so a class also holds its members' case partners.
    const wrong = chars.filter((c, i) => letter.test(prepared[i]!) !== /^\p{L}$/iu.test(c) || digit.test(prepared[i]!) !== /^\p{N}$/iu.test(c));
    expect(wrong.map((c) => c.codePointAt(0)!.toString(16))).toEqual([]);
  });

  it('each cue counts the same as its declared pattern, on the fixtures, the corpus and made-up texts', () => {
    const texts = [RECEIPT];
    for (const name of readdirSync(FIXTURES_DIR).filter((n) => n.endsWith('.gt.txt'))) texts.push(readFileSync(join(FIXTURES_DIR, name), 'utf8'));
    for (const kind of ['receipt', 'form']) {
      const dir = join(CORPUS, kind);
      if (existsSync(dir)) for (const name of readdirSync(dir).filter((n) => n.endsWith('.gt.txt'))) texts.push(readFileSync(join(dir, name), 'utf8'));
    }
    const next = random(16);
    for (let i = 0; i < 300; i++) texts.push(madeUpText(next));
    let fired = 0;
    for (const text of texts) {
      const words = lettersRead(text);
      const counts = cueCounts(words);
      expect(counts, text).toEqual(declaredCounts(words));
      fired += counts.filter((n) => n > 0).length;
    }
    expect(fired).toBeGreaterThan(1000); // the texts do exercise the cues
  });

  it('a text whose letters no cue spells still has word boundaries where it had them', () => {
    const count = (text: string, category: string, label: string) => cueCounts(lettersRead(text))[CUE_SOURCES.findIndex((c) => c.category === category && c.label === label)];
    // "Invoice" glued to Cyrillic, a mathematical letter or a superscript digit is no word; beside a space or a mark it is.
    expect(count('счёт invoice', 'invoice', 'invoice')).toBe(1);
    expect(count('invoiceя', 'invoice', 'invoice')).toBe(0);
    expect(count('𝐀invoice', 'invoice', 'invoice')).toBe(0);
    expect(count('INVOICE²', 'invoice', 'invoice')).toBe(0);
    expect(count('invoice\u0301', 'invoice', 'invoice')).toBe(1);
    // The case-insensitive flag pairs the long s with s: it is kept, not replaced.
    expect(count('ſubtotal', 'receipt', 'subtotal')).toBe(1);
  });
});
