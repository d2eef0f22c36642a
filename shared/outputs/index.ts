/**
 * The one table of result outputs: each format with its content type, its file extensions and
 * its writer. The worker writes every format; the api serves them; the CLI writes them to disk.
 */
import type { PipelineOutput } from '../core/pipeline.ts';
import { toHocr } from './hocr.ts';
import { toPlainText } from './text.ts';
import { z } from 'zod';

export const OutputFormat = z.enum(['json', 'txt', 'hocr', 'pdf']);
export type OutputFormat = z.infer<typeof OutputFormat>;

export interface OutputSpec {
  contentType: string;
  /** The extension of a downloaded result (GET /tasks/{id}/result). */
  extension: string;
  /** What the CLI appends to a document's name for this output. */
  fileSuffix: string;
  render(original: Uint8Array, output: PipelineOutput): Promise<Uint8Array | string> | Uint8Array | string;
}

export const OUTPUTS: Readonly<Record<OutputFormat, OutputSpec>> = {
  json: { contentType: 'application/json; charset=utf-8', extension: 'json', fileSuffix: '.json', render: (_original, output) => JSON.stringify(output.result) + '\n' },
  txt: { contentType: 'text/plain; charset=utf-8', extension: 'txt', fileSuffix: '.txt', render: (_original, output) => toPlainText(output.result) },
  hocr: { contentType: 'text/html; charset=utf-8', extension: 'hocr.html', fileSuffix: '.hocr.html', render: (_original, output) => toHocr(output.result) },
  pdf: {
    contentType: 'application/pdf',
    extension: 'pdf',
    fileSuffix: '.searchable.pdf',
    // pdf-lib (~170 modules) is loaded only when a PDF is written: `docvault ocr -f txt` starts without it.
    render: async (original, output) => (await import('./searchable-pdf.ts')).buildSearchablePdf(original, output.result, output.artifacts),
  },
};

/** Renders each requested output of one document from the same run. */
export async function renderOutputs(original: Uint8Array, output: PipelineOutput, formats: readonly OutputFormat[]): Promise<Map<OutputFormat, Uint8Array | string>> {
  const rendered = new Map<OutputFormat, Uint8Array | string>();
  for (const format of formats) rendered.set(format, await OUTPUTS[format].render(original, output));
  return rendered;
}
