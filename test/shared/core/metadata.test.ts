import { describe, expect, it } from 'vitest';
import { extractMetadata } from '../../../shared/core/metadata.ts';
import { DocumentMetadata } from '../../../shared/core/result.ts';
import { RECEIPT } from '../../support/sample-texts.ts';

const isos = (text: string): string[] => extractMetadata(text).dates.map((d) => d.iso);
const money = (text: string): Array<[number, string | null]> =>
  extractMetadata(text).amounts.map((a) => [a.value, a.currency]);
const phones = (text: string): string[] => extractMetadata(text).phones;
const refs = (text: string): Array<[string, string]> =>
  extractMetadata(text).references.map((r) => [r.kind, r.value]);

describe('extractMetadata: dates', () => {
  it.each([
    ['ISO', 'Date: 2024-03-15', '2024-03-15'],
    ['ISO with slashes', 'Date: 2024/03/15', '2024-03-15'],
    ['day-first slash', 'Date: 15/03/2024', '2024-03-15'],
    ['day-first dot', 'Datum: 15.03.2024', '2024-03-15'],
    ['day-first dash', 'on 15-03-2024', '2024-03-15'],
    ['month-first when day-first is impossible', 'Date: 03/15/2024', '2024-03-15'],
    ['ambiguous slash is day-first', 'Date: 03/04/2024', '2024-04-03'],
    ['single-digit parts', 'on 5/3/2024', '2024-03-05'],
    ['German typesetting spaces', 'am 15. 03. 2024', '2024-03-15'],
    ['OCR spaces around slashes', 'Date: 15 / 03 / 2024', '2024-03-15'],
    ['glued to a label', 'Datum:15.03.2024', '2024-03-15'],
    ['two-digit year, 2000s', 'am 15.03.24', '2024-03-15'],
    ['two-digit year at the pivot', 'born 01/02/69', '1969-02-01'],
    ['two-digit year below the pivot', 'expires 01/02/68', '2068-02-01'],
    ['leap day', 'on 29/02/2024', '2024-02-29'],
    ['English day month year', 'on 15 March 2024', '2024-03-15'],
    ['English abbreviation', 'on 15 Mar 2024', '2024-03-15'],
    ['English month day, year', 'on March 15, 2024', '2024-03-15'],
    ['abbreviation with dot', 'on Mar. 15 2024', '2024-03-15'],
    ['ordinal with of', 'on the 1st of May 2024', '2024-05-01'],
    ['month, ordinal', 'on May 1st, 2024', '2024-05-01'],
    ['upper case', 'DATE: 15 MARCH 2024', '2024-03-15'],
    ['no spaces (OCR)', 'on 15March2024', '2024-03-15'],
    ['German', 'Berlin, den 15. März 2024', '2024-03-15'],
    ['German without umlaut', 'am 15. Maerz 2024', '2024-03-15'],
    ['German abbreviation', 'am 3. Okt. 2024', '2024-10-03'],
    ['French', 'Paris, le 15 mars 2024', '2024-03-15'],
    ['French first of month', 'le 1er mars 2024', '2024-03-01'],
    ['French accented month', 'le 3 décembre 2024', '2024-12-03'],
    ['Spanish', 'Madrid, 15 de marzo de 2024', '2024-03-15'],
  ])('%s: %j → %s', (_name, text, iso) => {
    expect(isos(text)).toEqual([iso]);
  });

  it.each([
    ['31 February', 'due 31/02/2024'],
    ['29 February outside a leap year', 'due 29.02.2023'],
    ['30 February ISO', 'due 2024-02-30'],
    ['month 13 either way', 'due 13/13/2024'],
    ['day zero', 'due 00/01/2024'],
    ['version number', 'Version 1.2.3'],
    ['version with a two-digit tail', 'firmware v1.2.33'],
    ['spelled-out version', 'Version 10.4.21 released'],
    ['IP address', 'host 192.168.1.10'],
    ['four-part number', 'part 1.2.3.4'],
    ['year out of range', 'founded 15.03.1850'],
    ['time of day', 'at 12:30'],
    ['fraction without a year', 'ratio 3/4'],
    ['spaced dashes (a range)', 'pages 10 - 12 - 24'],
    ['month name without a day', 'March 2024'],
    ['impossible month-name date', '31 April 2024'],
  ])('rejects %s: %j', (_name, text) => {
    expect(isos(text)).toEqual([]);
  });

  it('reads ambiguous dates month-first when the document is month-first', () => {
    expect(isos('Issued 03/15/2024, due 04/01/2024')).toEqual(['2024-03-15', '2024-04-01']);
  });

  it('does not take an impossible date as evidence of month-first style', () => {
    expect(isos('Issued 03/45/2024, due 04/01/2024')).toEqual(['2024-01-04']);
  });

  it('stays day-first when the document has both unambiguous styles', () => {
    expect(isos('Issued 03/15/2024, shipped 16/03/2024, due 04/01/2024')).toEqual([
      '2024-03-15',
      '2024-03-16',
      '2024-01-04',
    ]);
  });

  it.each<[string, string, string[]]>([
    ['a range joined by a dash', 'valid 15/03/2024-16/03/2024', ['2024-03-15', '2024-03-16']],
    ['a dotted range', 'vom 15.03.2024 - 20.03.2024', ['2024-03-15', '2024-03-20']],
    ['a date inside a dashed code', 'ref 15-03-2024-001', []],
    ['a date after a dotted prefix', 'id 7.15.03.2024', []],
  ])('context: %s (%j)', (_name, text, expected) => {
    expect(isos(text)).toEqual(expected);
  });

  it('always reads dotted dates day-first', () => {
    expect(isos('Issued 03/15/2024, due 04.01.2024')).toEqual(['2024-03-15', '2024-01-04']);
  });

  it('keeps one entry per calendar day, the first text, in document order', () => {
    const { dates } = extractMetadata('due 14.04.2024; issued 15 March 2024 (15.03.2024), paid 2024-03-15');
    expect(dates).toEqual([
      { text: '14.04.2024', iso: '2024-04-14' },
      { text: '15 March 2024', iso: '2024-03-15' },
    ]);
  });

  it('reports the matched text with OCR spacing collapsed', () => {
    expect(extractMetadata('on 15   March   2024').dates).toEqual([{ text: '15 March 2024', iso: '2024-03-15' }]);
  });
});

describe('extractMetadata: amounts', () => {
  it.each<[string, string, Array<[number, string | null]>]>([
    ['dollar sign, US grouping', 'Total $1,234.56', [[1234.56, 'USD']]],
    ['euro suffix, German grouping', 'Summe 1.234,56 €', [[1234.56, 'EUR']]],
    ['ISO prefix, space grouping', 'Montant EUR 1 234,56', [[1234.56, 'EUR']]],
    ['narrow no-break space grouping', 'Total 1\u202F234,56\u00A0€', [[1234.56, 'EUR']]],
    ['pound, no decimals', 'Fee £12', [[12, 'GBP']]],
    ['ISO prefix', 'Paid USD 99.00', [[99, 'USD']]],
    ['ISO suffix, comma decimal', 'Preis 12,50 EUR', [[12.5, 'EUR']]],
    ['German dash cents', 'Preis 12,- €', [[12, 'EUR']]],
    ['Swiss apostrophe and dash', "Betrag CHF 1'250.– fällig", [[1250, 'CHF']]],
    ['yen', 'Price ¥1,200', [[1200, 'JPY']]],
    ['prefixed dollar', 'Cost US$ 5', [[5, 'USD']]],
    ['Canadian dollar', 'Cost CA$20.00', [[20, 'CAD']]],
    ['Malaysian ringgit (RM)', 'TOTAL RM8.50 CASH RM 10.00', [[8.5, 'MYR'], [10, 'MYR']]],
    ['currency word', 'Kosten 100 Euro', [[100, 'EUR']]],
    ['three-digit group is thousands', 'Cost $12,500', [[12500, 'USD']]],
    ['labelled total without a currency', 'Total: 123.45', [[123.45, null]]],
    ['labelled amount due', 'Amount due (incl. VAT)   1,069.90', [[1069.9, null]]],
    ['two suffixed columns', 'Unit 12,50 € Total 30,00 €', [[12.5, 'EUR'], [30, 'EUR']]],
    ['quantity before a priced column', 'Qty 2 100.00 USD', [[100, 'USD']]],
    ['cents decide the side of a code', 'Summe 12,50 EUR 3 Artikel', [[12.5, 'EUR']]],
    ['deduplicated by value and currency', 'Subtotal $10.00 ... Total $10.00 ... Paid 10.00 EUR', [[10, 'USD'], [10, 'EUR']]],
    ['a bare total equal to a priced amount is that amount', 'Price: 45.00 USD\nTotal: 45.00', [[45, 'USD']]],
  ])('%s: %j', (_name, text, expected) => {
    expect(money(text)).toEqual(expected);
  });

  it.each([
    ['phone number', 'Call (555) 123-4567 today'],
    ['international phone', 'Tel: +49 30 1234567'],
    ['date next to a currency code', 'Invoice dated 15.03.2024 EUR'],
    ['plain count', 'We shipped 1,234 units in 2024'],
    ['percentage', 'VAT 19 % applies'],
    ['label with an integer', 'Total pages: 3'],
    ['label with an id', 'Tax ID 12.345'],
    ['letters glued to a code', 'USDA grade 12'],
    ['too many decimals', 'Rate 12.3456 USD'],
    ['plain decimal without a label', 'Weight 4.68 kg'],
  ])('takes no amount from a %s: %j', (_name, text) => {
    expect(money(text)).toEqual([]);
  });
});

describe('extractMetadata: emails', () => {
  it.each<[string, string[]]>([
    ['Contact: John.Doe@Example.COM', ['john.doe@example.com']],
    ['a@b.com, A@B.COM and a@b.com', ['a@b.com']],
    ['write to sales @example.org', ['sales@example.org']],
    ['info@firma-muster.de.', ['info@firma-muster.de']],
    ['<jane_doe+invoices@mail.example.co.uk>', ['jane_doe+invoices@mail.example.co.uk']],
    ['first x@y.fr then w@z.de', ['x@y.fr', 'w@z.de']],
    ['not an email: foo@bar', []],
    ['@handle and a@ alone', []],
  ])('%j → %j', (text, expected) => {
    expect(extractMetadata(text).emails).toEqual(expected);
  });
});

describe('extractMetadata: phones', () => {
  it.each<[string, string[]]>([
    ['Tel: +49 30 1234567', ['+49301234567']],
    ['T +49 (0)30 1234567', ['+49301234567']],
    ['0049 30 1234567', ['+49301234567']],
    ['Call (555) 123-4567', ['5551234567']],
    ['Call 555-123-4567', ['5551234567']],
    ['Call 555.123.4567', ['5551234567']],
    ['+1 (555) 123-4567', ['+15551234567']],
    ['+44 20 7946 0958', ['+442079460958']],
    ['Telefon: 030 1234567', ['0301234567']],
    ['Fax 030/1234567', ['0301234567']],
    ['Tél. : 01 23 45 67 89', ['0123456789']],
    ['Phone:  555 1234', ['5551234']],
    ['OCR spacing: +49  30  1234567', ['+49301234567']],
    ['(555) 123-4567 and 555-123-4567 again', ['5551234567']],
  ])('%j → %j', (text, expected) => {
    expect(phones(text)).toEqual(expected);
  });

  it.each([
    ['an unlabelled id', 'Customer no. 12345678'],
    ['a date', 'Date: 15/03/2024'],
    ['an amount', 'Total $1,234,567.00'],
    ['too few digits', 'Tel: 12345'],
    ['an IBAN', 'IBAN DE89 3704 0044 0532 0130 00'],
    ['a version', 'Version 1.2.3'],
    ['a postcode and year', '10115 Berlin 2024'],
  ])('takes no phone from %s: %j', (_name, text) => {
    expect(phones(text)).toEqual([]);
  });
});

describe('extractMetadata: references', () => {
  it.each<[string, Array<[string, string]>]>([
    ['Invoice No. 12345', [['invoice', '12345']]],
    ['Invoice #: INV-2024-0042', [['invoice', 'INV-2024-0042']]],
    ['Invoice Number: A/2024/17', [['invoice', 'A/2024/17']]],
    ['INVOICE 2024-0099', [['invoice', '2024-0099']]],
    ['Invoice No.:\n   INV-9', [['invoice', 'INV-9']]],
    ['Rechnungsnummer: RE-2024-118', [['invoice', 'RE-2024-118']]],
    ['Rechnungs-Nr. 2024-118', [['invoice', '2024-118']]],
    ['Facture n° FA-2024-118', [['invoice', 'FA-2024-118']]],
    ['N° de facture : 118', [['invoice', '118']]],
    ['Order ID: 112-4456789-1234567', [['order', '112-4456789-1234567']]],
    ['Order #7781.', [['order', '7781']]],
    ['PO Number: 4500012345', [['order', '4500012345']]],
    ['P.O. No. 4500012345', [['order', '4500012345']]],
    ['Bestellnummer 4500012345', [['order', '4500012345']]],
    ['Purchase Order 4500012345', [['order', '4500012345']]],
    ['N° de commande : CMD-5512', [['order', 'CMD-5512']]],
    ['Invoice No. 7 … invoice no. 7', [['invoice', '7']]],
  ])('%j → %j', (text, expected) => {
    expect(refs(text)).toEqual(expected);
  });

  it.each([
    ['a date label', 'Invoice Date: 15.03.2024'],
    ['an order date', 'Order Date 15.03.2024'],
    ['a heading above an address', 'INVOICE\n123 Main Street'],
    ['a post-office box', 'P.O. Box 1234'],
    ['a bare label with a date', 'Invoice 15.03.2024'],
    ['a value without digits', 'Invoice No. pending'],
  ])('takes no reference from %s: %j', (_name, text) => {
    expect(refs(text)).toEqual([]);
  });

  it('keeps OCR letter/digit confusions as they are', () => {
    expect(refs('Invoice  No. :  1NV-2O24-0O42')).toEqual([['invoice', '1NV-2O24-0O42']]);
  });
});

const INVOICE_EN = `ACME Supplies Ltd.
12 Harbour Road, Bristol BS1 4DJ
Tel: +44 117 496 0123   accounts@acme-supplies.co.uk

INVOICE

Invoice No.: INV-2024-0042
Invoice Date: 15/03/2024
Due Date: 14/04/2024
Order #: PO-7781

Bill To:
Northwind Traders, billing@northwind.example

Description            Qty   Unit Price      Amount
Printer paper A4        10       £4.50      £45.00
Toner cartridge          2      £62.00     £124.00

Subtotal                                  £169.00
VAT 20%                                    £33.80
Total                                     £202.80
Amount Due                                £202.80

Payment terms: 30 days. Bank details: IBAN GB29 NWBK 6016 1331 9268 19`;


const INVOICE_DE = `Muster GmbH · Hauptstraße 5 · 10115 Berlin
Telefon: 030 1234567 · E-Mail: Buchhaltung@Muster-GmbH.de

Rechnung
Rechnungsnummer: RE-2024-118
Rechnungsdatum: 15.03.2024
Bestellnummer: 4500012345

Pos. Beschreibung          Menge   Einzelpreis      Gesamt
1    Beratung (Stunden)      8      120,00 €     960,00 €
Zwischensumme                                   960,00 €
MwSt. 19 %                                      182,40 €
Gesamtbetrag                                  1.142,40 €

Zahlbar bis 14. April 2024 ohne Abzug.
Bankverbindung: IBAN DE89 3704 0044 0532 0130 00`;

const INVOICE_FR = `Société Exemple SARL — 12 rue de la Paix, 75002 Paris
Tél. : 01 23 45 67 89 — contact@exemple.fr

FACTURE
Facture n° : FA-2024-118
Date : 15 mars 2024
Date d'échéance : 14/04/2024
N° de commande : CMD-5512

Désignation                 Qté      Prix HT      Total HT
Maintenance annuelle         1    1 200,00 €    1 200,00 €
TVA 20 %                                          240,00 €
Total TTC                                       1 440,00 €
Net à payer : 1 440,00 EUR`;

const OCR_NOISY = `lNVOICE
Invoice  No. :  1NV-2O24-0O42
Date :  15 / 03 / 2024    Due  date:  14.04.2024
T0TAL   EUR   1 234,56
Contact:  info @ example.com   Tel :  +49  30  1234567`;

describe('extractMetadata: realistic documents', () => {
  it.each<[string, string, DocumentMetadata]>([
    [
      'an English invoice',
      INVOICE_EN,
      {
        dates: [
          { text: '15/03/2024', iso: '2024-03-15' },
          { text: '14/04/2024', iso: '2024-04-14' },
        ],
        amounts: [
          { text: '£4.50', value: 4.5, currency: 'GBP' },
          { text: '£45.00', value: 45, currency: 'GBP' },
          { text: '£62.00', value: 62, currency: 'GBP' },
          { text: '£124.00', value: 124, currency: 'GBP' },
          { text: '£169.00', value: 169, currency: 'GBP' },
          { text: '£33.80', value: 33.8, currency: 'GBP' },
          { text: '£202.80', value: 202.8, currency: 'GBP' },
        ],
        emails: ['accounts@acme-supplies.co.uk', 'billing@northwind.example'],
        phones: ['+441174960123'],
        references: [
          { kind: 'invoice', value: 'INV-2024-0042' },
          { kind: 'order', value: 'PO-7781' },
        ],
      },
    ],
    [
      'a till receipt',
      RECEIPT,
      {
        dates: [{ text: '03/15/24', iso: '2024-03-15' }],
        amounts: [
          { text: '10.27', value: 10.27, currency: null },
          { text: '0.82', value: 0.82, currency: null },
          { text: '$11.09', value: 11.09, currency: 'USD' },
          { text: '$20.00', value: 20, currency: 'USD' },
          { text: '$8.91', value: 8.91, currency: 'USD' },
        ],
        emails: [],
        phones: ['5550104477'],
        references: [],
      },
    ],
    [
      'a German invoice',
      INVOICE_DE,
      {
        dates: [
          { text: '15.03.2024', iso: '2024-03-15' },
          { text: '14. April 2024', iso: '2024-04-14' },
        ],
        amounts: [
          { text: '120,00 €', value: 120, currency: 'EUR' },
          { text: '960,00 €', value: 960, currency: 'EUR' },
          { text: '182,40 €', value: 182.4, currency: 'EUR' },
          { text: '1.142,40 €', value: 1142.4, currency: 'EUR' },
        ],
        emails: ['buchhaltung@muster-gmbh.de'],
        phones: ['0301234567'],
        references: [
          { kind: 'invoice', value: 'RE-2024-118' },
          { kind: 'order', value: '4500012345' },
        ],
      },
    ],
    [
      'a French invoice',
      INVOICE_FR,
      {
        dates: [
          { text: '15 mars 2024', iso: '2024-03-15' },
          { text: '14/04/2024', iso: '2024-04-14' },
        ],
        amounts: [
          { text: '1 200,00 €', value: 1200, currency: 'EUR' },
          { text: '240,00 €', value: 240, currency: 'EUR' },
          { text: '1 440,00 €', value: 1440, currency: 'EUR' },
        ],
        emails: ['contact@exemple.fr'],
        phones: ['0123456789'],
        references: [
          { kind: 'invoice', value: 'FA-2024-118' },
          { kind: 'order', value: 'CMD-5512' },
        ],
      },
    ],
    [
      'OCR-noisy text',
      OCR_NOISY,
      {
        dates: [
          { text: '15 / 03 / 2024', iso: '2024-03-15' },
          { text: '14.04.2024', iso: '2024-04-14' },
        ],
        amounts: [{ text: 'EUR 1 234,56', value: 1234.56, currency: 'EUR' }],
        emails: ['info@example.com'],
        phones: ['+49301234567'],
        references: [{ kind: 'invoice', value: '1NV-2O24-0O42' }],
      },
    ],
  ])('%s', (_name, text, expected) => {
    const metadata = extractMetadata(text);
    expect(metadata).toEqual(expected);
    expect(DocumentMetadata.parse(metadata)).toEqual(metadata);
  });

  it('returns empty lists for empty or blank text', () => {
    const empty = { dates: [], amounts: [], emails: [], phones: [], references: [] };
    expect(extractMetadata('')).toEqual(empty);
    expect(extractMetadata(' \n\t ')).toEqual(empty);
  });
});

/** Deterministic pseudo-random text, so a failure can be reproduced. */
function randomText(length: number, seed: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      \n.,:;-/()+@#$€£%°\'';
  let state = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out.push(alphabet.charAt(state % alphabet.length));
  }
  return out.join('');
}

describe('extractMetadata: large and hostile input', () => {
  const MB = 1 << 20;

  it('processes 1 MB of random text', () => {
    const metadata = extractMetadata(randomText(MB, 42));
    expect(DocumentMetadata.safeParse(metadata).success).toBe(true);
  });

  // Shapes that make backtracking patterns explode; each must simply complete.
  it.each([
    ['one digit run', '1'.repeat(MB)],
    ['repeated thousands groups', '1,234'.repeat(MB / 5)],
    ['space-separated groups', '123 '.repeat(MB / 4)],
    ['single digits and spaces', '1 2 3 4 5 6 7 8 9 '.repeat(MB / 18)],
    ['date-like chain', '12/12/'.repeat(MB / 6)],
    ['phone-like prefixes', '+1 ('.repeat(MB / 4)],
    ['email-like chain', 'a@b.'.repeat(MB / 4)],
    ['currency markers', '$1 '.repeat(MB / 3)],
    ['month names', '15 March '.repeat(MB / 9)],
    ['labels without values', 'Invoice No. '.repeat(MB / 12)],
  ])('completes on %s', (_name, text) => {
    expect(DocumentMetadata.safeParse(extractMetadata(text)).success).toBe(true);
  });
});
