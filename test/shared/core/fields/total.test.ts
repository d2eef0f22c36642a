/** The total and the tax: which labelled amount is the one paid, on synthetic till slips. */
import { describe, expect, it } from 'vitest';
import { extractFields } from '../../../../shared/core/fields/index.ts';
import { AS_RECEIPT, textPage, type TextPageOptions } from '../../../support/text-page.ts';

const receipt = (text: string, options?: TextPageOptions) => extractFields([textPage(text, options)], AS_RECEIPT);
const total = (text: string, options?: TextPageOptions) => receipt(text, options)?.total ?? null;

describe('fields: total', () => {
  it('takes TOTAL, not the subtotal, the tax, the cash handed over or the change', () => {
    const text = ['CORNER GROCER', 'Milk 2L        3.20', 'Bread          2.80', 'SUBTOTAL      50.00', 'GST 6%         3.00', 'TOTAL         53.00', 'CASH         100.00', 'CHANGE        47.00'].join('\n');
    const fields = receipt(text);
    expect(fields?.total).toMatchObject({ value: 53, rule: 'keyword TOTAL, same row' });
    expect(fields?.tax).toMatchObject({ value: 3 });
  });

  it('prefers the final total (rounded, grand, nett, incl. tax) to a plain TOTAL', () => {
    expect(total('TOTAL 54.52\nROUNDING ADJ -0.02\nROUNDED TOTAL 54.50\nCASH 60.00\nCHANGE 5.50')?.value).toBe(54.5);
    expect(total('Total Sales (Excluding GST) 51.42\nTotal GST 3.08\nTotal Sales (Inclusive of GST) 54.50')?.value).toBe(54.5);
    expect(total('Sub Total 20.00\nService Charge 2.00\nGRAND TOTAL 22.00\nVISA 22.00')?.value).toBe(22);
  });

  it('does not take loyalty points or a saving for the total', () => {
    expect(total('TOTAL 12.40\nTOTAL POINTS EARNED 124.00\nTOTAL SAVINGS 3.10')?.value).toBe(12.4);
  });

  it('reads the amount of a labelled row at its right, past a quantity and past an earlier pair', () => {
    expect(total('TOTAL 3 54.50')?.value).toBe(54.5);
    expect(total('Total Saving 0.00 Total 77.20')?.value).toBe(77.2);
  });

  it('joins a price column read as its own block to its label by position', () => {
    const text = ['SUBTOTAL          18.00', 'TAX                1.44', 'TOTAL             19.44', 'CASH              20.00'].join('\n');
    const fields = receipt(text, { splitColumn: 18 });
    expect(fields?.total?.value).toBe(19.44);
    // The field points at both words, "TOTAL" and "19.44", on page 1.
    const page = textPage(text, { splitColumn: 18 });
    expect(fields?.total?.sources).toHaveLength(1);
    expect(fields?.total?.sources[0]?.page).toBe(1);
    expect(fields?.total?.sources[0]?.words.map((i) => page.words[i]?.text).sort()).toEqual(['19.44', 'TOTAL']);
    expect(fields?.total?.text).toBe('TOTAL 19.44');
  });

  it('takes a label standing alone on the row above its amount', () => {
    expect(total('Item 1    100.00\nAMOUNT DUE\n€ 120.00')).toMatchObject({ value: 120, currency: 'EUR', rule: 'keyword AMOUNT DUE, row above' });
  });

  it('undoes OCR look-alikes in amounts and keywords', () => {
    expect(total('SUBT0TAL RM 45.00\nT0TAI RM 5O.0O\nCA5H RM 1OO.00')).toMatchObject({ value: 50, currency: 'MYR' });
  });

  it('restores a decimal point OCR dropped on a labelled row, at a lower confidence', () => {
    const restored = total('Item A 3.00\nItem B 4.42\nTOTAL 742');
    expect(restored).toMatchObject({ value: 7.42 });
    expect(restored?.rule).toMatch(/decimal point restored/);
    expect(restored!.confidence).toBeLessThan(total('Item A 3.00\nItem B 4.42\nTOTAL 7.42')!.confidence);
  });

  it('with no total label, takes cash handed over minus the change given back', () => {
    expect(total('Rice 7.50\nTea 5.00\n12.50\nCASH 20.00\nCHANGE 7.50')).toMatchObject({ value: 12.5, rule: 'cash minus change' });
  });

  it('reads German and French till slips', () => {
    const de = receipt('Brot 2,50 EUR\nSUMME EUR 12,50\nBAR 20,00\nRÜCKGELD 7,50\nMwSt 19% 2,00');
    expect(de?.total).toMatchObject({ value: 12.5, currency: 'EUR' });
    expect(de?.tax?.value).toBe(2);
    expect(total('Café 2,50 €\nTotal HT 10,00 €\nTVA 20% 2,00 €\nTotal TTC 12,00 €')?.value).toBe(12);
  });

  it('reads a US till slip: tax rate beside its amount, card tendered, change due', () => {
    const text = ['CORNER MARKET', '123 MAIN ST', 'SPRINGFIELD IL 62701', '(217) 555-0199', '03/15/2024 10:42 AM', 'MILK 3.49', 'BREAD 2.99', 'SUBTOTAL 6.48', 'TAX 1 6.250 % 0.41', 'TOTAL 6.89', 'VISA TEND 6.89', 'CHANGE DUE 0.00'].join('\n');
    const fields = receipt(text);
    expect(fields).toMatchObject({ merchant: { value: 'CORNER MARKET' }, date: { value: '2024-03-15' }, total: { value: 6.89 }, tax: { value: 0.41 } });
  });

  it('reads labels glued to their amounts by an engine that dropped the spaces', () => {
    expect(total('SUBTOTAL12.00\nTAX0.96\nTOTALRM12.96\nCash20.00')).toMatchObject({ value: 12.96, currency: null });
  });

  it('finds no total where no amount is printed', () => {
    expect(total('CORNER GROCER\nThank you')).toBeNull();
  });
});
