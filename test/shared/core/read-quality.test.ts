import { describe, expect, it } from 'vitest';
import { isWordLike, readQuality, readsClearlyBetter } from '../../../shared/core/read-quality.ts';

describe('read quality', () => {
  it.each([
    ['Total', true],
    ['TOTAL', true],
    ['receipt,', true],
    ['(note)', true],
    ['lIlI', false],
    ['ZI', false],
    ['12.50', false],
    ['XWTKR', false], // no vowel
    ['tOTaL', false],
  ])('%s looks like a word: %s', (token, expected) => {
    expect(isWordLike(token)).toBe(expected);
  });

  it('is not fooled by a confident read of upside-down noise', () => {
    const upright = { text: 'GROCERY MART TOTAL 12.50 CASH CHANGE' };
    const upsideDown = { text: 'OS˙ZI lI 1lI ,, TVLOL ~ ˙˙ IlI' };
    expect(readQuality(upright).wordLike).toBe(5);
    expect(readsClearlyBetter(upsideDown, upright)).toBe(false);
    expect(readsClearlyBetter(upright, upsideDown)).toBe(true);
  });
});
