import { describe, expect, it } from 'vitest';
import { blankRunsBetween, groupIntoRows, joinSplitNumbers, medianWordHeight, restoreSpaces, splitBySureWords, type CharAt, type KnownWord, type LineBand } from '../../../shared/core/text-lines.ts';

/** A line image: dark glyphs (2 columns wide, 3 apart) on white, a space leaving `space` blank columns. */
function line(text: string, space: number, height = 20): { pixels: Uint8Array; width: number; centres: number[]; chars: CharAt[] } {
  const columns: number[] = [];
  const centres: number[] = [];
  const chars: CharAt[] = [];
  for (const ch of text) {
    if (ch === ' ') {
      columns.push(...Array<number>(space - 2).fill(255));
      continue;
    }
    centres.push(columns.length + 1);
    chars.push({ text: ch, x: columns.length + 1, step: chars.length, score: 0.9 });
    columns.push(0, 0, 255, 255, 255);
  }
  const width = columns.length;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = columns[x]!;
  return { pixels, width, centres, chars };
}

describe('restoreSpaces', () => {
  it('splits words where the blank run between characters is as wide as a printed space', () => {
    const l = line('TOTAL AMOUNT 12.50', 9);
    const blanks = blankRunsBetween(l.pixels, l.width, 20, l.centres);
    expect(restoreSpaces(l.chars, blanks, 1).map((w) => w.text)).toEqual(['TOTAL', 'AMOUNT', '12.50']);
  });

  it('keeps a word whole across the narrow gaps between its letters, and reads light text on dark too', () => {
    const l = line('Subtotal', 9);
    expect(restoreSpaces(l.chars, blankRunsBetween(l.pixels, l.width, 20, l.centres), 1).map((w) => w.text)).toEqual(['Subtotal']);
    const inverted = line('CASH DUE', 9);
    const negative = inverted.pixels.map((v) => 255 - v);
    expect(restoreSpaces(inverted.chars, blankRunsBetween(negative, inverted.width, 20, inverted.centres), 1).map((w) => w.text)).toEqual(['CASH', 'DUE']);
  });

  it('keeps a decimal number whole, though the blank runs beside its point are as wide as a space', () => {
    const chars: CharAt[] = [...'TOTAL22.60'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    // Wide blanks after TOTAL, and on both sides of the point.
    const blanks = [0, 0, 0, 0, 0.5, 0, 0.4, 0.4, 0];
    expect(restoreSpaces(chars, blanks, 8).map((w) => w.text)).toEqual(['TOTAL', '22.60']);
    // A full stop that ends a word still lets the next word go.
    const sentence: CharAt[] = [...'No.7'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    expect(restoreSpaces(sentence, [0, 0, 0.4], 8).map((w) => w.text)).toEqual(['No.', '7']);
    // No space before a point or a comma, however wide the blank.
    const initials: CharAt[] = [...'D.I.Y.,Ltd'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    expect(restoreSpaces(initials, [0.4, 0, 0.4, 0, 0.4, 0.4, 0.4, 0, 0], 8).map((w) => w.text)).toEqual(['D.I.Y.,', 'Ltd']);
  });

  it('splits at a space the model did emit', () => {
    const chars: CharAt[] = [
      { text: 'A', x: 0, step: 0, score: 0.9 },
      { text: ' ', x: 8, step: 1, score: 0.9 },
      { text: 'B', x: 16, step: 2, score: 0.9 },
    ];
    expect(restoreSpaces(chars, [0, 0], 8).map((w) => w.text)).toEqual(['A', 'B']);
  });
});

describe('groupIntoRows', () => {
  it('joins boxes side by side into one row, left to right, rows top to bottom', () => {
    const box = (x0: number, y0: number, name: string) => ({ x0, y0, x1: x0 + 50, y1: y0 + 20, name });
    const rows = groupIntoRows([box(300, 103, 'price'), box(10, 100, 'item'), box(10, 50, 'header'), box(10, 150, 'total')]);
    expect(rows.map((r) => r.map((b) => b.name))).toEqual([['header'], ['item', 'price'], ['total']]);
  });
});

describe('medianWordHeight', () => {
  const word = (text: string, height: number) => ({ text, bbox: { x0: 0, y0: 100, x1: 30, y1: 100 + height } });

  it('is the median height of the words of two or more characters', () => {
    expect(medianWordHeight([word('Total', 20), word('a', 90), word('I', 90), word('12.50', 22), word('Cash', 21), word('Date', 19), word('Tax', 60)])).toBe(21);
  });

  it('says nothing from a read of too few words', () => {
    expect(medianWordHeight([word('Total', 20), word('Cash', 21), word('a', 20), word('b', 20), word('c', 20)])).toBeUndefined();
  });
});

describe('splitBySureWords', () => {
  // A detected line of 20 px text at y 100–120, grown by detection to a band 36 px thick from x 92 to 408.
  const band: LineBand = { x0: 92, x1: 408, y0: 92, y1: 128, top: 92, slope: 0, thickness: 36 };
  const word = (text: string, x0: number, x1: number, confidence = 96, y0 = 100, y1 = 120): KnownWord => ({ text, confidence, bbox: { x0, y0, x1, y1 } });
  const label = [word('Registration', 100, 230), word('fee', 240, 280), word('(per', 290, 340), word('person)', 345, 400)];
  const texts = (split: { kept: { text: string }[] }) => split.kept.map((w) => w.text);

  it("keeps an earlier read's words when it was sure of all of them and they cover the line: nothing to read again", () => {
    const split = splitBySureWords(band, label);
    expect(texts(split)).toEqual(['Registration', 'fee', '(per', 'person)']);
    expect(split.kept[0]).toMatchObject({ bbox: { x0: 100, x1: 230 }, score: 0.96 });
    expect(split.unread).toEqual([]);
  });

  it('reads again the stretch of an unsure word, from the end of the sure word before it to the start of the next', () => {
    const split = splitBySureWords(band, [label[0]!, word('fce', 240, 280, 62), ...label.slice(2)]);
    expect(texts(split)).toEqual(['Registration', '(per', 'person)']);
    // Cut 3 px (0.15 of the words' height) clear of the kept words' edges.
    expect(split.unread).toEqual([{ x0: 233, x1: 287 }]);
  });

  it('reads again a stretch wide enough to hide a word the earlier read missed, at either end or between words', () => {
    // "fee" missing: 230–290 holds no word, a gap of 60 px between words 20 px tall.
    expect(splitBySureWords(band, [label[0]!, ...label.slice(2)]).unread).toEqual([{ x0: 233, x1: 287 }]);
    // The line runs on past "(per" to x 408: the last word was missed.
    expect(splitBySureWords(band, label.slice(0, 3)).unread).toEqual([{ x0: 343, x1: 408 }]);
    // A gap as wide as a space, or an end within the margin detection grows a line by, is not read again.
    expect(splitBySureWords(band, [word('Registration', 108, 230), ...label.slice(1, 3), word('person)', 345, 385)]).unread).toEqual([]);
  });

  it('reads the whole line when the earlier read was sure of none of it', () => {
    expect(splitBySureWords(band, [])).toEqual({ kept: [], unread: [{ x0: 92, x1: 408 }] });
    expect(splitBySureWords(band, label.map((w) => ({ ...w, confidence: 60 })))).toEqual({ kept: [], unread: [{ x0: 92, x1: 408 }] });
  });

  it("ignores words of the lines above and below, and follows a slanted line's band", () => {
    const above = word('Name', 120, 200, 96, 60, 80);
    expect(texts(splitBySureWords(band, [above, ...label]))).toEqual(['Registration', 'fee', '(per', 'person)']);
    // Slanted down by 0.1 px a column: a word at the right end sits 30 px lower than one at the left.
    const slanted: LineBand = { ...band, y1: 160, slope: 0.1, top: 92 - 9.25 };
    const low = (text: string, x0: number, x1: number) => {
      const drop = Math.round(((x0 + x1) / 2 - 100) * 0.1);
      return word(text, x0, x1, 95, 100 + drop, 120 + drop);
    };
    const split = splitBySureWords(slanted, [low('Send', 100, 170), low('this', 180, 240), low('form', 250, 320), low('along', 330, 400)]);
    expect(texts(split)).toEqual(['Send', 'this', 'form', 'along']);
    expect(texts(splitBySureWords(band, [low('Send', 100, 170), low('this', 180, 240), low('form', 250, 320), low('along', 330, 400)]))).not.toContain('along');
  });

  it("reads again words whose boxes overlap: tesseract's box for one word sometimes spans its neighbours", () => {
    // Seen on a corpus form: "PRELIMINARY" boxed across "FACT SHEET" as well, which the line's split must not skip.
    const split = splitBySureWords(band, [word('PRELIMINARY', 100, 400), word('FACT', 250, 310), word('SHEET', 320, 400)]);
    expect(split).toEqual({ kept: [], unread: [{ x0: 92, x1: 408 }] });
  });

  it('does not keep a sure word that stands taller than the band (it spans two lines)', () => {
    const split = splitBySureWords(band, [word('Registration', 100, 230, 95, 80, 140), ...label.slice(1)]);
    expect(texts(split)).toEqual(['fee', '(per', 'person)']);
    expect(split.unread).toEqual([{ x0: 92, x1: 237 }]);
  });
});

describe('joinSplitNumbers', () => {
  const w = (text: string, x0: number, x1: number) => ({ text, bbox: { x0, y0: 0, x1, y1: 10 }, score: 0.9 });
  it("joins an amount split after its decimal mark, a date after its separator, and nothing else", () => {
    expect(joinSplitNumbers([w('25-', 0, 30), w('06-18', 35, 80), w('11:25', 100, 140)]).map((x) => x.text)).toEqual(['25-06-18', '11:25']);
    expect(joinSplitNumbers([w('9/', 0, 10), w('3/92', 12, 40)]).map((x) => x.text)).toEqual(['9/3/92']);
    expect(joinSplitNumbers([w('Stapler', 0, 40), w('537.', 50, 70), w('42', 75, 85)]).map((x) => x.text)).toEqual(['Stapler', '537.42']);
    expect(joinSplitNumbers([w('537.', 50, 70), w('42', 75, 85)])[0]!.bbox).toEqual({ x0: 50, y0: 0, x1: 85, y1: 10 });
    expect(joinSplitNumbers([w('No.', 0, 20), w('29', 25, 35), w('ends.', 40, 60), w('Then', 65, 85)]).map((x) => x.text)).toEqual(['No.', '29', 'ends.', 'Then']);
  });
});
