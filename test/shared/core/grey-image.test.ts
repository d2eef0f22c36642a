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
});

describe('isBilevel', () => {
  it('is true only when every pixel is 0 or 255', () => {
    expect(isBilevel({ width: 2, height: 1, data: Uint8Array.from([0, 255]), dpi: 300 })).toBe(true);
    expect(isBilevel({ width: 3, height: 1, data: Uint8Array.from([0, 254, 255]), dpi: 300 })).toBe(false);
    expect(isBilevel(image)).toBe(false);
  });
});
