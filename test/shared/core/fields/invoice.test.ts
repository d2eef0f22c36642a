/** Invoices: the issuer, the invoice date (not the due date), the amount due and the tax. */
import { describe, expect, it } from 'vitest';
import { carriesFields, extractFields } from '../../../../shared/core/fields/index.ts';
import { Fields, readOcrResult, RESULT_SCHEMA_VERSION } from '../../../../shared/core/result.ts';
import { AS_INVOICE, AS_LETTER, textPage } from '../../../support/text-page.ts';

const INVOICE_EN = [
  'Northwind Traders Inc.',
  '500 Market Street, Springfield',
  'Phone (555) 010-2000',
  'INVOICE',
  'Invoice No: NW-2024-118',
  'Due Date: April 14, 2024',
  'Invoice Date: March 15, 2024',
  'Bill To: Contoso Ltd',
  'Consulting (10 h)            $1,000.00',
  'Subtotal                     $1,000.00',
  'Sales Tax (8%)                  $80.00',
  'Total Due                    $1,080.00',
].join('\n');

const INVOICE_DE = [
  'Muster Werkzeuge GmbH',
  'Musterstraße 1, 10115 Berlin',
  'USt-IdNr. DE123456789',
  'RECHNUNG',
  'Rechnungsdatum: 15.03.2024',
  'Fällig: 14.04.2024',
  'Zwischensumme 100,00 EUR',
  'MwSt 19% 19,00 EUR',
  'Gesamtbetrag 119,00 EUR',
].join('\n');

describe('fields: invoices', () => {
  it('reads an English invoice', () => {
    const fields = extractFields([textPage(INVOICE_EN)], AS_INVOICE);
    expect(fields?.merchant?.value).toBe('Northwind Traders Inc.');
    expect(fields?.date?.value).toBe('2024-03-15');
    expect(fields?.total).toMatchObject({ value: 1080, currency: 'USD' });
    expect(fields?.tax).toMatchObject({ value: 80, currency: 'USD' });
  });

  it('reads a German invoice', () => {
    const fields = extractFields([textPage(INVOICE_DE)], AS_INVOICE);
    expect(fields?.merchant?.value).toBe('Muster Werkzeuge GmbH');
    expect(fields?.date?.value).toBe('2024-03-15');
    expect(fields?.total).toMatchObject({ value: 119, currency: 'EUR' });
    expect(fields?.tax?.value).toBe(19);
  });

  it('finds the total on a later page and says which page', () => {
    const first = textPage('Northwind Traders Inc.\nINVOICE\nInvoice Date: March 15, 2024\nItem 1 $10.00');
    const last = textPage('Item 2 $20.00\nTotal Due $30.00', { number: 2 });
    const fields = extractFields([first, last], AS_INVOICE);
    expect(fields?.total?.value).toBe(30);
    expect(fields?.total?.sources[0]?.page).toBe(2);
  });

  it('gives no fields for documents that are neither receipts nor invoices', () => {
    expect(extractFields([textPage('Dear Ms Smith,\nTotal 5.00')], AS_LETTER)).toBeNull();
  });

  it('gives fields that the result schema accepts', () => {
    expect(Fields.safeParse(extractFields([textPage(INVOICE_EN)], AS_INVOICE)).success).toBe(true);
  });
});

describe('readOcrResult', () => {
  const v1 = {
    v: 1,
    type: 'png',
    languages: ['eng'],
    pageCount: 0,
    text: '',
    confidence: 0,
    pages: [],
    metadata: { dates: [], amounts: [], emails: [], phones: [], references: [] },
    classification: { category: 'other', scores: {}, matched: {} },
    engine: { name: 'tesseract.js', version: '7' },
    timings: { totalMs: 1, ocrMs: 0 },
  };

  it('reads a result stored before fields existed as the current version, with no fields', () => {
    expect(readOcrResult(v1)).toMatchObject({ v: RESULT_SCHEMA_VERSION, fields: null, text: '' });
  });

  it('reads a current result as it is and rejects an unknown version', () => {
    const v2 = { ...v1, v: RESULT_SCHEMA_VERSION, fields: { merchant: null, date: null, total: null, tax: null } };
    expect(readOcrResult(v2)).toEqual(v2);
    expect(() => readOcrResult({ ...v1, v: 99 })).toThrow();
  });
});

describe('carriesFields', () => {
  it('gives fields to a document left "other" only because it reads as both a receipt and an invoice', () => {
    expect(carriesFields({ category: 'other', scores: { invoice: 7, receipt: 7.5, report: 1 } })).toBe(true);
    expect(carriesFields({ category: 'other', scores: { invoice: 2, receipt: 2.5 } })).toBe(false);
    expect(carriesFields({ category: 'other', scores: { report: 5, receipt: 4.5 } })).toBe(false);
  });
});
