/** The operator count a PDF page is checked against before it is rendered. */
import { PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { countOperators, PageOperatorCounter } from '../../../shared/engines/pdf-operator-count.ts';
import { hugeEmptyPagesPdf, hugePageWithTextPdf, manyOperatorsPdf } from '../../support/hostile-files.ts';

const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('countOperators', () => {
  it.each([
    ['0 0 1 1 re f\n'.repeat(3), 6],
    ['BT /F1 12 Tf (Hello world re f) Tj ET', 4],
    ['q [(a) 10 (b)] TJ <414243> Tj /Name gs Q', 5],
    ['% a comment with re f\n1 0 0 1 0 0 cm', 1],
    ['true false null 1 -2.5 .3 d0', 1],
    ['BI /W 4 /H 1 /BPC 8 /CS /G ID \x00re f q Q\xff EI Q', 4],
    ['(nested (paren re) \\) re) Tj', 1],
  ])('%j → %i', (content, expected) => {
    expect(countOperators(text(content))).toBe(expected);
  });
  it('stops counting once past the limit', () => {
    expect(countOperators(text('n '.repeat(1000)), 10)).toBe(11);
  });
});

describe('PageOperatorCounter', () => {
  it('counts the operators of a page\'s FlateDecode stream: 2,000,000 rectangles are 4,000,000 operators', async () => {
    const counter = await PageOperatorCounter.open(await manyOperatorsPdf(2_000_000));
    expect(await counter.count(0, Number.POSITIVE_INFINITY, 64 << 20)).toBe(4_000_000);
    expect(await counter.count(0, 300_000, 64 << 20)).toBeGreaterThan(300_000);
    // Past the limit within the first bytes decoded: known to be too many.
    expect(await counter.count(0, 100_000, 1 << 20)).toBeGreaterThan(100_000);
    // Under the limit in the bytes decoded, with more left: unknown (the in-render check decides).
    expect(await counter.count(0, 300_000, 1 << 20)).toBeNull();
    expect(await counter.count(5, 300_000, 64 << 20)).toBeNull();
  });
  it('bytes that are not a PDF give no count', async () => {
    expect(await (await PageOperatorCounter.open(text('not a pdf'))).count(0, 10, 1 << 20)).toBeNull();
    expect(await (await PageOperatorCounter.open(text('not a pdf'))).drawsNothing(0, 1 << 20)).toBe(false);
  });

  it('a page draws nothing only when it has no operator and no annotation (whose appearance pdfjs would draw)', async () => {
    const empty = await PageOperatorCounter.open(await hugeEmptyPagesPdf(2));
    expect(await empty.drawsNothing(0, 1 << 20)).toBe(true);
    expect(await empty.drawsNothing(1, 1 << 20)).toBe(true);
    expect(await empty.drawsNothing(2, 1 << 20)).toBe(false); // no such page
    expect(await (await PageOperatorCounter.open(await hugePageWithTextPdf(14_400, 'one line', 12))).drawsNothing(0, 1 << 20)).toBe(false);

    const annotated = await PDFDocument.load(await hugeEmptyPagesPdf(1));
    const stamp = annotated.context.obj({ Type: 'Annot', Subtype: 'Square', Rect: [100, 100, 2000, 2000], C: [0, 0, 0] });
    annotated.getPage(0).node.set(PDFName.of('Annots'), annotated.context.obj([annotated.context.register(stamp)]));
    expect(await (await PageOperatorCounter.open(await annotated.save())).drawsNothing(0, 1 << 20)).toBe(false);
  });
});
