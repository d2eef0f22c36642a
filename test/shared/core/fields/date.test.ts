/** The document's date among the dates a receipt or invoice prints. */
import { describe, expect, it } from 'vitest';
import { extractFields } from '../../../../shared/core/fields/index.ts';
import { AS_RECEIPT, textPage } from '../../../support/text-page.ts';

const date = (text: string) => extractFields([textPage(text)], AS_RECEIPT)?.date ?? null;

describe('fields: date', () => {
  it('reads the printed formats as ISO dates, day-first where ambiguous', () => {
    expect(date('SHOP\nDATE: 06/03/2018')?.value).toBe('2018-03-06');
    expect(date('SHOP\n14-12-16 07:49PM')?.value).toBe('2016-12-14');
    expect(date('SHOP\n22 JUN 2018 18:07')?.value).toBe('2018-06-22');
    expect(date('SHOP\nDatum: 15.03.2024')?.value).toBe('2024-03-15');
    expect(date('SHOP\n2024-03-15T10:22')?.value).toBe('2024-03-15');
    expect(date('SHOP\nMarch 5, 2024')?.value).toBe('2024-03-05');
  });

  it('reads an ambiguous date month-first when the document writes month-first', () => {
    expect(date('Date 04/01/2024\nReturn by 03/15/2024')?.value).toBe('2024-04-01');
  });

  it('takes the labelled date over a due date, an expiry or a validity printed first', () => {
    expect(date('Due Date: 14.04.2024\nInvoice Date: 15.03.2024')).toMatchObject({ value: '2024-03-15', rule: 'keyword INVOICE DATE' });
    expect(date('VALID UNTIL 31/12/2018\n12/03/2018 14:02')).toMatchObject({ value: '2018-03-12', rule: 'printed with a time' });
    expect(date('EXPIRY 31/12/2026')?.value).toBe('2026-12-31');
  });

  it('undoes OCR look-alikes in a date', () => {
    expect(date('SHOP\nO6/O3/2O18 12:3O')?.value).toBe('2018-03-06');
  });

  it('points at the words it read', () => {
    const page = textPage('SHOP\nDate: 06/03/2018 12:06');
    const field = extractFields([page], AS_RECEIPT)?.date;
    expect(field?.sources[0]?.words.map((i) => page.words[i]?.text)).toEqual(['06/03/2018']);
    expect(field?.text).toBe('06/03/2018');
  });
});
