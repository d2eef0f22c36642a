import { describe, expect, it } from 'vitest';
import { isBilevel, rotateGrey, toPbm, toPgm } from '../../../shared/core/grey-image.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';

// 3×2 image:  1 2 3
//             4 5 6
const image: GreyImage = { width: 3, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]), dpi: 300 };

describe('rotateGrey', () => {
  it.each([
    [0, 3, 2, [1, 2, 3, 4, 5, 6]],
    [90, 2, 3, [4, 1, 5, 2, 6, 3]],
    [180, 3, 2, [6, 5, 4, 3, 2, 1]],
    [270, 2, 3, [3, 6, 2, 5, 1, 4]],
  ] as const)('turns the pixels %i° clockwise', (degrees, width, height, pixels) => {
    const out = rotateGrey(image, degrees);
    expect([out.width, out.height]).toEqual([width, height]);
    expect([...out.data]).toEqual(pixels);
    expect(out.dpi).toBe(300);
  });

  it('four quarter turns give the image back', () => {
    let out = image;
    for (let i = 0; i < 4; i++) out = rotateGrey(out, 90);
    expect([...out.data]).toEqual([...image.data]);
  });
});

describe('toPgm', () => {
  it('writes a binary PGM header followed by the pixels', () => {
    const pgm = toPgm(image);
    expect(new TextDecoder().decode(pgm.subarray(0, 11))).toBe('P5\n3 2\n255\n');
    expect([...pgm.subarray(11)]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('toPbm', () => {
  it('packs a bilevel image 8 pixels a byte, black as 1, each row padded to a whole byte', () => {
    // 10×2: row 0 black at x = 0, 7, 8, 9; row 1 all white.
    const row0 = [0, 255, 255, 255, 255, 255, 255, 0, 0, 0];
    const bilevel: GreyImage = { width: 10, height: 2, data: Uint8Array.from([...row0, ...new Array<number>(10).fill(255)]), dpi: 300 };
    const pbm = toPbm(bilevel);
    expect(new TextDecoder().decode(pbm.subarray(0, 8))).toBe('P4\n10 2\n');
    expect([...pbm.subarray(8)]).toEqual([0b1000_0001, 0b1100_0000, 0, 0]);
  });

  it('sets a bit for every pixel below 128, whatever the row width, as a pixel-at-a-time packing does', () => {
    for (const width of [1, 7, 8, 9, 16, 37]) {
      const height = 5;
      // Every grey level near the threshold and at the ends, in an order that differs row to row.
      const levels = [0, 1, 126, 127, 128, 129, 254, 255, 64, 200];
      const data = Uint8Array.from({ length: width * height }, (_, i) => levels[(i * 7 + Math.floor(i / width)) % levels.length]!);
      const pbm = toPbm({ width, height, data, dpi: 300 });
      const header = `P4\n${width} ${height}\n`.length;
      const rowBytes = Math.ceil(width / 8);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const bit = (pbm[header + y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
          expect(bit, `pixel ${x},${y} of a ${width}-wide image`).toBe(data[y * width + x]! < 128 ? 1 : 0);
        }
      }
    }
  });
});

describe('isBilevel', () => {
  it('is true only when every pixel is 0 or 255', () => {
    expect(isBilevel({ width: 2, height: 1, data: Uint8Array.from([0, 255]), dpi: 300 })).toBe(true);
    expect(isBilevel({ width: 3, height: 1, data: Uint8Array.from([0, 254, 255]), dpi: 300 })).toBe(false);
    expect(isBilevel(image)).toBe(false);
  });

  it('finds one grey pixel at any place among 0s and 255s, in views at any byte offset', () => {
    const buffer = new ArrayBuffer(64);
    for (const offset of [0, 1, 2, 3, 4]) {
      const length = 37;
      for (const grey of [1, 127, 128, 254, 0x80, 0x7f, 0xfe]) {
        for (let at = 0; at < length; at++) {
          const data = new Uint8Array(buffer, offset, length);
          for (let i = 0; i < length; i++) data[i] = (i * 5) % 3 === 0 ? 0 : 255;
          expect(isBilevel({ width: length, height: 1, data, dpi: 300 }), `offset ${offset}, all bilevel`).toBe(true);
          data[at] = grey;
          expect(isBilevel({ width: length, height: 1, data, dpi: 300 }), `offset ${offset}, ${grey} at ${at}`).toBe(false);
        }
      }
    }
    expect(isBilevel({ width: 0, height: 0, data: new Uint8Array(0), dpi: 300 })).toBe(false);
  });

  it('scans an image once: its pixels are not changed once made, so a later question gets the first answer', () => {
    const page = { width: 2, height: 1, data: Uint8Array.from([0, 255]), dpi: 300 };
    expect(isBilevel(page)).toBe(true);
    page.data[0] = 128; // breaks the rule, to show the answer is remembered rather than scanned again
    expect(isBilevel(page)).toBe(true);
    expect(isBilevel({ ...page })).toBe(false);
  });
});
