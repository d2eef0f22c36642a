import { describe, expect, it } from 'vitest';
import { darkTextOnLight, medianGrey } from '../../../shared/core/page-polarity.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { isCleanRead } from '../../../shared/core/page-strategy.ts';
import { isSpelledWord, isWordLike, readQuality, readsClearlyBetter } from '../../../shared/core/read-quality.ts';

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

describe('page polarity', () => {
  const page = (background: number, ink: number): GreyImage => {
    const data = new Uint8Array(100 * 40).fill(background);
    for (let x = 10; x < 90; x += 3) for (let y = 15; y < 25; y++) data[y * 100 + x] = ink;
    return { width: 100, height: 40, data, dpi: 300 };
  };

  it('inverts light text on a dark background, and leaves dark text on light alone', () => {
    const dark = darkTextOnLight(page(30, 230));
    expect(dark.inverted).toBe(true);
    expect(dark.image.data[0]).toBe(225);
    expect(dark.image.data[15 * 100 + 10]).toBe(25);
    const light = darkTextOnLight(page(240, 20));
    expect(light.inverted).toBe(false);
    expect(medianGrey(light.image)).toBe(240);
  });
});

describe('clean reads need no second engine', () => {
  const read = (text: string, confidence: number, width = 1, height = 1) => ({ text, confidence, words: [], skewDegrees: 0, width, height });
  it.each([
    ['a sure page of words', read('The quick brown fox jumps over the lazy dog', 92), true],
    ['a sure one-line label', read('Tesseract.js', 91), true],
    ['an unsure receipt', read('TOTAL 12.50 CASH 20.00 CHANGE 7.50', 72), false],
    ['a sure read of mostly codes and amounts', read('A1 12.50 x3 B7 9.99 TOTAL', 90), false],
    ['a sure read of a letter page', read('Dear customer, thank you for your order of ten boxes', 90, 2480, 3508), true],
    // A till slip's amounts can be dropped whole by a sure read of its item names.
    ['a sure read of a till slip', read('SANYU STATIONERY SHOP CASH SALES COUNTER Total Discount Round Final CASH CHANGE', 89, 623, 1511), false],
  ])('%s', (_name, page, clean) => {
    expect(isCleanRead(page)).toBe(clean);
  });
});

describe('a clean page in another Latin-script language, read with eng', () => {
  // The lines of tess_eurotext.tif in German, French, Italian, Spanish and Portuguese as tesseract.js read them with
  // `eng`, and the words it doubted (the numbers: its confidence in each) as it read them at 836×653.
  const lines = [
    'Der .schnelle” braune Fuchs springt',
    'iber den faulen Hund. Le renard brun',
    '«rapide» saute par-dessus le chien',
    'paresseux. La volpe marrone rapida',
    'salta sopra il cane pigro. El zorro',
    'marrén rdpido salta sobre el perro',
    'perezoso. A raposa marrom ripida',
    'salta sobre o cdo pregmigoso.',
  ];
  const doubted: Record<string, number> = { '.schnelle”': 59, iber: 32, 'marrén': 49, rdpido: 16, ripida: 44, 'pregmigoso.': 56, 'paresseux.': 70, sopra: 64 };
  const page = (unsure: Record<string, number> = doubted) => {
    const words = lines.flatMap((line, row) =>
      line.split(' ').map((text, i) => ({ text, confidence: unsure[text] ?? 92, bbox: { x0: i * 120, y0: row * 60, x1: i * 120 + 100, y1: row * 60 + 40 }, line: row })),
    );
    const confidence = words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
    return { text: lines.join('\n'), confidence, words, skewDegrees: 0, width: 1024, height: 800 };
  };

  it.each([
    ['marrén', true],
    ['.schnelle”', true],
    ['«rapide»', true],
    ['Straße', true],
    ['$43,456.78', false],
    ['par-dessus', false],
    ['lIlI', false],
    ['ab', false],
  ])('%s is a whole spelled word: %s', (token, expected) => {
    expect(isSpelledWord(token)).toBe(expected);
  });

  it('is clean when the only words it doubts are whole words of letters: no second engine', () => {
    const read = page();
    expect(read.confidence).toBeLessThan(85); // below the bar a read's own confidence must reach
    expect(isCleanRead(read)).toBe(true);
  });

  it('is not clean when it doubts an amount, a fragment or a mark as well', () => {
    expect(isCleanRead(page({ ...doubted, 'Hund.': 92, 'par-dessus': 40 }))).toBe(false);
    expect(isCleanRead(page({ ...doubted, 'A': 30 }))).toBe(false);
  });

  it('is not clean when more than a fifth of its words are doubted, or the rest are not sure', () => {
    const many = Object.fromEntries(['braune', 'Fuchs', 'springt', 'faulen', 'renard', 'saute', 'chien', 'volpe'].map((w) => [w, 50]));
    expect(isCleanRead(page({ ...doubted, ...many }))).toBe(false);
    const read = page();
    for (const w of read.words) if (w.confidence === 92) w.confidence = 80;
    expect(isCleanRead(read)).toBe(false);
  });
});
