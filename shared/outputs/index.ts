import type { PipelineOutput } from '../core/pipeline.ts';
import { toHocr } from './hocr.ts';
import { buildSearchablePdf } from './searchable-pdf.ts';
import { toPlainText } from './text.ts';
import { z } from 'zod';

export const OutputFormat = z.enum(['json', 'txt', 'hocr', 'pdf']);
export type OutputFormat = z.infer<typeof OutputFormat>;

export const OUTPUT_CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  json: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  hocr: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** Renders each requested output of one document from the same run. */
export async function renderOutputs(original: Uint8Array, output: PipelineOutput, formats: readonly OutputFormat[]): Promise<Map<OutputFormat, Uint8Array | string>> {
  const rendered = new Map<OutputFormat, Uint8Array | string>();
  for (const format of formats) {
    if (format === 'json') rendered.set(format, JSON.stringify(output.result) + '\n');
    if (format === 'txt') rendered.set(format, toPlainText(output.result));
    if (format === 'hocr') rendered.set(format, toHocr(output.result));
    if (format === 'pdf') rendered.set(format, await buildSearchablePdf(original, output.result, output.artifacts));
  }
  return rendered;
}
