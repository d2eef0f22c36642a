/** The merged outputs of a large document: the parts' searchable PDFs in order, the text formats from the merged result. */
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { assembleResult } from '../../../shared/core/pipeline.ts';
import type { PageResult } from '../../../shared/core/result.ts';
import { mergePages } from '../../../shared/core/shards.ts';
import { renderMergedOutputs } from '../../../shared/outputs/merge.ts';

/** A part whose pages are told apart by their widths. */
async function part(widths: number[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (const w of widths) doc.addPage([w, 500]);
  return doc.save();
}

function page(number: number): PageResult {
  return { number, source: 'ocr', status: 'ok', text: `page ${number}`, confidence: 90, width: 10, height: 10, dpi: 300, rotation: { orientation: 0, skewDegrees: 0 }, words: [], timings: { renderMs: 0, ocrMs: 1, totalMs: 1 } };
}

describe('renderMergedOutputs', () => {
  it('joins the parts\' pages in order and renders the text formats from the merged pages', async () => {
    const pages = mergePages([[page(3)], [page(1), page(2)]], 3);
    const result = assembleResult({ type: 'pdf', languages: ['eng'], pageCount: 3, pages, engine: { name: 'fake', version: '1' }, totalMs: 1 });
    const outputs = await renderMergedOutputs(result, [await part([101, 102]), await part([103])], ['json', 'txt', 'hocr', 'pdf']);
    const pdf = await PDFDocument.load(outputs.get('pdf') as Uint8Array);
    expect(pdf.getPages().map((p) => p.getWidth())).toEqual([101, 102, 103]);
    expect(outputs.get('txt')).toBe('page 1\n\fpage 2\n\fpage 3\n');
    expect(JSON.parse(outputs.get('json') as string).pages.map((p: PageResult) => p.number)).toEqual([1, 2, 3]);
    expect(outputs.get('hocr')).toMatch(/id="page_1"[\s\S]*id="page_2"[\s\S]*id="page_3"/);
  });
});
