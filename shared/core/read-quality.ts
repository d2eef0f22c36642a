/**
 * How much a read looks like text, by a measure that upside-down or sideways garbage cannot fool:
 * tesseract can be confident about noise, but noise rarely comes out as words of three or more
 * letters in a plausible case pattern (lower case, Capitalised or ALL CAPS) with a vowel in them.
 */
import type { RecognizedPage } from './ports.ts';

const WORD_SHAPE = /^(?:[A-Za-z][a-z]{2,}|[A-Z]{3,})$/;
const VOWEL = /[aeiouyAEIOUY]/;
const EDGE_PUNCTUATION = /^[("'“‘[]+|[)"'”’\].,:;!?]+$/g;

/** A token that looks like a word: letters only (after edge punctuation), 3+ long, one case pattern, a vowel. */
export function isWordLike(token: string): boolean {
  const core = token.replace(EDGE_PUNCTUATION, '');
  return WORD_SHAPE.test(core) && VOWEL.test(core);
}

/**
 * A token that is one whole word of letters in any Latin spelling (accents, ß), 3+ long, in one case pattern, once the
 * punctuation at its edges is cut: "marrén", "„schnelle“", "Straße". Tesseract's `eng` model doubts such words in
 * German, French or Spanish text for their spelling, not because it misread the page.
 */
export function isSpelledWord(token: string): boolean {
  return SPELLED_WORD.test(token.replace(NON_LETTER_EDGES, ''));
}
const SPELLED_WORD = /^(?:\p{Lu}\p{Ll}{2,}|\p{Ll}{3,}|\p{Lu}{3,})$/u;
const NON_LETTER_EDGES = /^\P{L}+|\P{L}+$/gu;

export interface ReadQuality {
  /** Tokens that look like words. */
  wordLike: number;
  /** Their share of all tokens of the read (0 for an empty read). */
  share: number;
  tokens: number;
}

export function readQuality(read: Pick<RecognizedPage, 'text'>): ReadQuality {
  const tokens = read.text.split(/\s+/).filter(Boolean);
  const wordLike = tokens.filter(isWordLike).length;
  return { wordLike, share: tokens.length === 0 ? 0 : wordLike / tokens.length, tokens: tokens.length };
}

/**
 * Whether `candidate` is clearly better text than `current`: more word-like tokens by a margin,
 * and not a lower share of them. Used before keeping a turned page's read over the page as it was.
 */
export function readsClearlyBetter(candidate: Pick<RecognizedPage, 'text'>, current: Pick<RecognizedPage, 'text'>): boolean {
  const a = readQuality(candidate);
  const b = readQuality(current);
  return a.wordLike >= Math.max(b.wordLike * 1.25, b.wordLike + 2) && a.share >= b.share;
}
