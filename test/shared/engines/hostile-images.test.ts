/**
 * Image bombs: a header that claims gigapixels over a few bytes of data is refused from its header,
 * before a decoder allocates for it (issue: hostile input, item 2).
 */
import { describe, expect, it } from 'vitest';
import { openImage } from '../../../shared/engines/image-source.ts';
import { bmpBomb, netpbmBomb } from '../../support/hostile-files.ts';
import { peakGrowthMb } from '../../support/peak-memory.ts';

const OPTIONS = { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 100_000_000 };

/** Opens `bytes` (base64) as `type` in a fresh process; answers its peak memory growth and error code. */
function openInFreshProcess(bytes: Uint8Array, type: 'bmp' | 'pnm') {
  return peakGrowthMb(`
    const { openImage } = await import(root + 'shared/engines/image-source.ts');
    const bytes = new Uint8Array(Buffer.from(${JSON.stringify(Buffer.from(bytes).toString('base64'))}, 'base64'));
    const source = await openImage(bytes, ${JSON.stringify(type)}, ${JSON.stringify(OPTIONS)});
    return { pages: source.pageCount };
  `);
}

describe('image bombs', () => {
  it('a 16000×16000 RLE8 BMP of ~1 KB fails IMAGE_TOO_LARGE without allocating its pixels', async () => {
    const bomb = bmpBomb(16_000, 16_000);
    expect(bomb.length).toBeLessThan(1200);
    // bmp-js would allocate (and fill) 16000×16000×4 bytes = 977 MB first.
    const run = await openInFreshProcess(bomb, 'bmp');
    expect(run.value).toEqual({ thrown: 'IMAGE_TOO_LARGE' });
    expect(run.growthMb).toBeLessThan(100);
    await expect(openImage(bomb, 'bmp', OPTIONS)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { width: 16_000, height: 16_000 } });
  });

  it('a top-down BMP (negative height) is measured the same way', async () => {
    const bomb = Buffer.from(bmpBomb(20_000, 20_000));
    bomb.writeInt32LE(-20_000, 22);
    await expect(openImage(new Uint8Array(bomb), 'bmp', OPTIONS)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { height: 20_000 } });
  });

  it('a Netpbm header under the pixel limit but with no pixel data fails CORRUPT_DOCUMENT before allocating', async () => {
    // 9000×9000 RGB = 81 Mpx (under the 100 Mpx limit): the decoder would allocate and fill 243 MB
    // (an ASCII sample past the end read as 0), then answer a black page.
    const bomb = netpbmBomb(9000, 9000, 'P3');
    const run = await openInFreshProcess(bomb, 'pnm');
    expect(run.value).toEqual({ thrown: 'CORRUPT_DOCUMENT' });
    expect(run.growthMb).toBeLessThan(100);
    for (const magic of ['P1', 'P2', 'P4', 'P5', 'P6'] as const) {
      await expect(openImage(netpbmBomb(9000, 9000, magic), 'pnm', OPTIONS)).rejects.toMatchObject({ code: 'CORRUPT_DOCUMENT' });
    }
  });
});
