/** The merchant: the name at the top, past addresses, phone numbers, registrations and titles. */
import { describe, expect, it } from 'vitest';
import { extractFields } from '../../../../shared/core/fields/index.ts';
import { AS_RECEIPT, textPage, type TextPageOptions } from '../../../support/text-page.ts';

const merchant = (text: string, options?: TextPageOptions) => extractFields([textPage(text, options)], AS_RECEIPT)?.merchant ?? null;

describe('fields: merchant', () => {
  it('skips titles, addresses, phone numbers and registration numbers', () => {
    const text = ['TAX INVOICE', 'KEDAI RUNCIT MAJU JAYA', 'NO 12, JALAN MAWAR 3', '47300 PETALING JAYA', 'TEL: 03-1234 5678', 'GST ID: 001234567890', 'Bread 2.50'].join('\n');
    expect(merchant(text)).toMatchObject({ value: 'KEDAI RUNCIT MAJU JAYA', rule: 'first name-like line at the top' });
  });

  it('prefers the registered company over a brand line above it', () => {
    const text = ['THE CORNER BAKERY', 'Corner Foods Ltd', '12 High Street', 'VAT No GB123456789', 'Scone 2.50'].join('\n');
    expect(merchant(text)?.value).toBe('Corner Foods Ltd');
  });

  it('drops the company number and finishes a name whose company form is alone on the next line', () => {
    expect(merchant('ACME TRADING SDN BHD (123456-A)\nCO. REG: 123456-A\nPen 1.00')?.value).toBe('ACME TRADING SDN BHD');
    expect(merchant('SRI MURNI STATIONERY\nSDN BHD\n(556677-W)\nPen 1.00')?.value).toBe('SRI MURNI STATIONERY SDN BHD');
  });

  it('skips lines read too unsurely to be a name (a logo read as letters)', () => {
    expect(merchant('Xq jlv Tt\nBLUE RIVER CAFE\nCoffee 4.00', { confidence: (line) => (line === 0 ? 20 : 90) })?.value).toBe('BLUE RIVER CAFE');
  });

  it('skips web and mail addresses and stops at the first amount', () => {
    expect(merchant('www.example.com\ninfo@example.com\nTOTAL 5.00\nSOMETHING BELOW')).toBeNull();
  });

  it('points at the words of the name, with a confidence', () => {
    const page = textPage('MAPLE HARDWARE LLC\n1 Main Street\nNails 3.00');
    const field = extractFields([page], AS_RECEIPT)?.merchant;
    expect(field?.sources[0]?.words.map((i) => page.words[i]?.text)).toEqual(['MAPLE', 'HARDWARE', 'LLC']);
    expect(field?.confidence).toBeGreaterThan(50);
  });
});
