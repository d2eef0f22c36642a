/** sharp's one-channel raw output as a GreyImage: the pixels where sharp left them, at the DPI the caller knows. */
import type { OutputInfo } from 'sharp';
import type { GreyImage } from '../core/ports.ts';

export function greyOf({ data, info }: { data: Buffer; info: OutputInfo }, dpi: number): GreyImage {
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), dpi };
}
