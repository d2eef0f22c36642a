import { describe, expect, it } from 'vitest';
import { classifyDocument, MARGIN, MIN_SCORE } from '../../../shared/core/classify.ts';
import { extractMetadata } from '../../../shared/core/metadata.ts';
import { Classification, type Category, type DocumentMetadata } from '../../../shared/core/result.ts';
import { RECEIPT } from '../../support/sample-texts.ts';

const CATEGORIES: Category[] = ['invoice', 'receipt', 'letter', 'contract', 'form', 'report', 'other'];

const INVOICE_EN = `ACME Supplies Ltd.
12 Harbour Road, Bristol BS1 4DJ
Tel: +44 117 496 0123   accounts@acme-supplies.co.uk

INVOICE

Invoice No.: INV-2024-0042
Invoice Date: 15/03/2024
Due Date: 14/04/2024

Bill To:
Northwind Traders

Description            Qty   Unit Price      Amount
Printer paper A4        10       £4.50      £45.00
Toner cartridge          2      £62.00     £124.00

Subtotal                                  £169.00
VAT 20%                                    £33.80
Total                                     £202.80
Amount Due                                £202.80

Payment terms: 30 days. Bank details: IBAN GB29 NWBK 6016 1331 9268 19`;


const LETTER = `Northwind Traders · 4 Elm Street · Springfield

Springfield, 2 April 2024

Ms Jane Smith
ACME Supplies Ltd.

Re: Your invoice INV-2024-0042

Dear Ms Smith,

Thank you for your letter of 15 March 2024. We have reviewed the invoice and will settle the
outstanding balance by the end of the month.

Please do not hesitate to contact me on +1 (555) 010-9999.

Yours sincerely,

John Doe
Accounts Manager`;

const CONTRACT = `SERVICE AGREEMENT

This Service Agreement (hereinafter the "Agreement") is made on 1 March 2024 between ACME
Supplies Ltd. (the "Supplier") and Northwind Traders (the "Customer"), together the "Parties".

1. Term. The Agreement shall commence on the Effective Date and continue for a term of twelve
months.
2. Termination. Either party may terminate this Agreement with 30 days' written notice.
3. Governing Law. This Agreement shall be governed by the laws of England and Wales.

IN WITNESS WHEREOF the Parties have executed this Agreement.
Signature: ____________________   Signature: ____________________`;

const FORM = `APPLICATION FORM - LIBRARY MEMBERSHIP
Please fill in using BLOCK CAPITALS.

First name: ______________________
Last name: _______________________
Date of birth: ____ / ____ / ______
Address: _________________________
Membership type:  [ ] Adult   [ ] Student   [x] Senior
Signature: ____________________   Date: ___________

FOR OFFICE USE ONLY`;

const REPORT = `Quarterly Sales Report - Q1 2024

Table of Contents
1. Executive Summary
2. Introduction
3. Methodology
4. Results
5. Conclusions

1. Executive Summary
Revenue grew 12% compared with Q4 2023 (see Figure 1), driven by the northern region.

2. Introduction
This report covers all sales channels. Table 2 shows the regional breakdown.

4. Results
Online sales rose fastest; Figure 2 compares channels.

5. Conclusions
We recommend expanding the online channel in Q2.`;

const INVOICE_DE = `Muster GmbH · Hauptstraße 5 · 10115 Berlin
Telefon: 030 1234567

Rechnung
Rechnungsnummer: RE-2024-118
Rechnungsdatum: 15.03.2024

Pos. Beschreibung          Menge   Einzelpreis      Gesamt
1    Beratung (Stunden)      8      120,00 €     960,00 €
MwSt. 19 %                                      182,40 €
Gesamtbetrag                                  1.142,40 €

Zahlbar bis 14.04.2024 ohne Abzug.
Bankverbindung: IBAN DE89 3704 0044 0532 0130 00`;

const RECEIPT_DE = `BÄCKEREI SONNENSCHEIN
Kassenbon Nr. 4711   Kasse 2
2x Brötchen              1,20
1x Roggenbrot            3,40
SUMME EUR                4,60
Bar                     10,00
Rückgeld                 5,40
Vielen Dank für Ihren Einkauf!`;

const LETTER_DE = `Muster GmbH · Hauptstraße 5 · 10115 Berlin

Berlin, 15. März 2024

Betreff: Ihre Anfrage vom 1. März

Sehr geehrte Frau Müller,

vielen Dank für Ihre Anfrage. Gern senden wir Ihnen unser Angebot bis Ende des Monats zu.

Mit freundlichen Grüßen

Max Mustermann`;

const INVOICE_FR = `Société Exemple SARL — 12 rue de la Paix, 75002 Paris

FACTURE
Facture n° : FA-2024-118
Date : 15 mars 2024
Date d'échéance : 14/04/2024

Désignation                 Qté      Prix HT      Total HT
Maintenance annuelle         1    1 200,00 €    1 200,00 €
TVA 20 %                                          240,00 €
Total TTC                                       1 440,00 €
Net à payer : 1 440,00 EUR
Conditions de paiement : 30 jours.`;

const CONTRACT_FR = `CONTRAT DE PRESTATION DE SERVICES

Entre la société Exemple SARL, ci-après dénommée « le Prestataire », et la société Client SA,
ci-après dénommée « le Client », les parties conviennent de ce qui suit.

Article 1 – Objet. Le présent contrat a pour objet la maintenance du parc informatique.
Article 2 – Résiliation. Chaque partie peut résilier le contrat avec un préavis de trois mois.
Article 3 – Droit applicable. Le présent contrat est soumis au droit français.

En foi de quoi, les parties ont signé le présent contrat.`;

const LETTER_FR = `Madame, Monsieur,

Suite à notre entretien téléphonique, je vous confirme ma participation à la réunion du 3 avril.

Veuillez agréer, Madame, Monsieur, l'expression de mes salutations distinguées.

Jean Dupont`;

const FORM_DE = `ANTRAG AUF AUSSTELLUNG EINES BIBLIOTHEKSAUSWEISES
Bitte in Druckbuchstaben ausfüllen und Zutreffendes ankreuzen.

Vorname: ____________________
Nachname: ___________________
Geburtsdatum: ______________
☐ Student   ☐ Rentner   ☐ Sonstige
Unterschrift: ______________`;

const RECEIPT_NOISY = `SUPER  MART
MILK   2L       2.49
SUB TOTAL       2.49
T0TAL     $2.49
CASH      $5.OO
CHANGE    $2.51
THANK  YOU  FOR  SHOPPING`;

describe('classifyDocument: realistic documents', () => {
  it.each<[string, string, Category]>([
    ['an English invoice', INVOICE_EN, 'invoice'],
    ['a till receipt', RECEIPT, 'receipt'],
    ['a business letter', LETTER, 'letter'],
    ['a contract clause', CONTRACT, 'contract'],
    ['a form', FORM, 'form'],
    ['a report', REPORT, 'report'],
    ['a German invoice', INVOICE_DE, 'invoice'],
    ['a German receipt', RECEIPT_DE, 'receipt'],
    ['a German letter', LETTER_DE, 'letter'],
    ['a German form', FORM_DE, 'form'],
    ['a French invoice', INVOICE_FR, 'invoice'],
    ['a French contract', CONTRACT_FR, 'contract'],
    ['a French letter', LETTER_FR, 'letter'],
    ['an OCR-noisy receipt', RECEIPT_NOISY, 'receipt'],
  ])('%s → %s', (_name, text, category) => {
    const result = classifyDocument(text);
    expect(result.category).toBe(category);
    expect(Classification.parse(result)).toEqual(result);
  });

  it.each<[string, string, Category, string[]]>([
    ['invoice', INVOICE_EN, 'invoice', ['invoice', 'bill to', 'amount due', 'due date', 'tax', 'invoice number']],
    ['receipt', RECEIPT, 'receipt', ['cash', 'change', 'subtotal', 'card', 'terminal', 'thank you for your purchase']],
    ['letter', LETTER, 'letter', ['dear', 'sincerely', 'subject']],
    ['contract', CONTRACT, 'contract', ['agreement', 'hereinafter', 'governing law', 'in witness whereof', 'signature']],
    ['form', FORM, 'form', ['please fill in', 'date of birth', 'checkbox ×3', 'for office use only']],
    ['report', REPORT, 'report', ['report', 'executive summary', 'introduction', 'conclusion', 'figure ×2', 'table of contents']],
  ])('lists the cues that fired for the %s', (_name, text, category, cues) => {
    expect(classifyDocument(text).matched[category]).toEqual(expect.arrayContaining(cues));
  });
});

describe('classifyDocument: uncertain input is "other"', () => {
  it.each([
    ['empty text', ''],
    ['blank text', '  \n\t  '],
    ['prose without cues', 'The quick brown fox jumps over the lazy dog. It was a sunny afternoon in the park.'],
    ['a lone weak cue', 'See the attached invoice.'],
    ['a shopping list', 'eggs\nmilk\nbread\napples'],
  ])('%s', (_name, text) => {
    expect(classifyDocument(text).category).toBe('other');
  });

  it('a text that is as much a letter as a contract is "other"', () => {
    const mixed = 'Dear Sir,\nThis agreement between the parties, hereinafter the Parties, is governed by English law.\nYours sincerely';
    const result = classifyDocument(mixed);
    expect(Math.abs((result.scores.letter ?? 0) - (result.scores.contract ?? 0))).toBeLessThan(MARGIN);
    expect(result.category).toBe('other');
  });
});

describe('classifyDocument: scores', () => {
  it('has every category key, zero when nothing fired', () => {
    const result = classifyDocument('');
    expect(Object.keys(result.scores).sort()).toEqual([...CATEGORIES].sort());
    expect(Object.keys(result.matched).sort()).toEqual([...CATEGORIES].sort());
    for (const c of CATEGORIES) {
      expect(result.scores[c]).toBe(0);
      expect(result.matched[c]).toEqual([]);
    }
  });

  it('the winner clears the minimum and leads by the margin', () => {
    for (const text of [INVOICE_EN, RECEIPT, LETTER, CONTRACT, FORM, REPORT]) {
      const { category, scores } = classifyDocument(text);
      const sorted = Object.values(scores).sort((a, b) => b - a);
      expect(scores[category]).toBe(sorted[0]);
      expect(sorted[0]).toBeGreaterThanOrEqual(MIN_SCORE);
      expect((sorted[0] ?? 0) - (sorted[1] ?? 0)).toBeGreaterThanOrEqual(MARGIN);
    }
  });

  it('is deterministic', () => {
    expect(classifyDocument(REPORT)).toEqual(classifyDocument(REPORT));
  });

  it('does not grow with document length: cues are capped', () => {
    const once = classifyDocument(INVOICE_EN);
    const many = classifyDocument(Array.from({ length: 200 }, () => INVOICE_EN).join('\n\n'));
    expect(many.scores).toEqual(once.scores);
    expect(many.category).toBe('invoice');
  });

  it('uses the metadata it is given instead of extracting its own', () => {
    const text = 'Invoice';
    const none: DocumentMetadata = { dates: [], amounts: [], emails: [], phones: [], references: [] };
    const withRef: DocumentMetadata = { ...none, references: [{ kind: 'invoice', value: 'INV-1' }] };
    expect(classifyDocument(text, none).matched.invoice).toEqual(['invoice']);
    expect(classifyDocument(text, withRef).matched.invoice).toEqual(['invoice', 'invoice number']);
    expect((classifyDocument(text, withRef).scores.invoice ?? 0) - (classifyDocument(text, none).scores.invoice ?? 0)).toBe(2);
  });

  it('gives the same answer with or without precomputed metadata', () => {
    expect(classifyDocument(INVOICE_DE, extractMetadata(INVOICE_DE))).toEqual(classifyDocument(INVOICE_DE));
  });

  it('matches whole words only', () => {
    const result = classifyDocument('Reinvoiced receipts-processing dearth; partyline determination');
    expect(result.matched.invoice).toEqual([]);
    expect(result.matched.letter).toEqual([]);
    expect(result.matched.contract).toEqual([]);
  });
});

describe('classifyDocument: large input', () => {
  it('processes 1 MB of random text', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz      \n.,:[]_';
    let state = 7;
    const chars: string[] = [];
    for (let i = 0; i < 1 << 20; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      chars.push(alphabet.charAt(state % alphabet.length));
    }
    const result = classifyDocument(chars.join(''));
    expect(Classification.safeParse(result).success).toBe(true);
  });
});

// Till slips of GST-registered shops: headed "tax invoice", numbered like invoices, paid at the counter.
const TILL_TAX_INVOICE = `KEDAI RUNCIT MAJU JAYA
NO 12, JALAN MAWAR 3, 47300 PETALING JAYA
GST ID: 001234567890
TAX INVOICE
Invoice No: 20871  Cashier: 02
Date: 06/03/2018  Time: 12:06:00
Bread 1 x 2.80 2.80
Milk 2 x 3.20 6.40
Total Sales (Inclusive of GST) 9.20
CASH 10.00`;

const SIMPLIFIED_TAX_INVOICE = `SIMPLIFIED TAX INVOICE
Kopi O 2.20
Roti Bakar 3.40
Total 5.60
Rounding 0.00
Goods sold are not returnable.`;

const RESTAURANT_BILL = `GOLDEN BOWL RESTAURANT
Table No: 12  Pax: 4
Server: Anne   17/06/2018 14:07
Invoice # 4471
Fried Rice 15.00
Tea 3.00
Total 18.00
CASH 20.00
CHANGE 2.00
Please come again`;

// As OCR reads a scanned form: printed fill-in lines come out as two or three underscores.
const FAX_ERA_FORM = `PROJECT INITIATION FORM
PROJECT CODE __
PROJECT LEADER ___
FILTER: _X_ NONFILTER: __ (check one)
Approved by ___`;

const LABELLED_FORM = `MARKETING RESEARCH AUTHORIZATION
Date: 3/4/97
Description: Packaging test, round 1
Requested by: J. Doe
Supplier:
Budgeted: Yes [X] No [ ]
Total Cost:`;

// A delivery to a shop, paid on the spot: headed tax invoice, numbered as a cash invoice.
const CASH_INVOICE = `GARDEN BAKERY SDN BHD
TAX INVOICE / ADJUSTMENT NOTE
Cash Inv No.: 7806F710 Date: 06/08/2017
DD: 06/08/2017 10:49
WHITE BREAD 2.13 12 25.56
GST: 0.80
Total Payable: 68.41
Received above goods in good order condition.`;

const PLAIN_PAGE_WITH_A_TIME = `The meeting moved to 10:30 on Tuesday. Thank you for coming; the minutes
of the last session are attached, with the figures discussed there.`;

describe('classifyDocument: till receipts, forms and the pages in between', () => {
  it.each<[string, string, Category]>([
    ['a tax invoice paid in cash at the till', TILL_TAX_INVOICE, 'receipt'],
    ['a simplified tax invoice', SIMPLIFIED_TAX_INVOICE, 'receipt'],
    ['a restaurant bill', RESTAURANT_BILL, 'receipt'],
    ['a cash invoice', CASH_INVOICE, 'receipt'],
    ['a fax-era form with blanks and a sign-off', FAX_ERA_FORM, 'form'],
    ['a form of labelled lines', LABELLED_FORM, 'form'],
    ['an English invoice still', INVOICE_EN, 'invoice'],
  ])('%s → %s', (_name, text, category) => {
    expect(classifyDocument(text).category).toBe(category);
  });

  it('says which cues made a till receipt', () => {
    expect(classifyDocument(TILL_TAX_INVOICE).matched.receipt).toEqual(
      expect.arrayContaining(['tax invoice', 'time of day', 'cash', 'paid at the till']),
    );
    expect(classifyDocument(SIMPLIFIED_TAX_INVOICE).matched.invoice).not.toContain('invoice');
  });

  it('reads cues through OCR look-alike digits inside words', () => {
    const noisy = 'SIMPLIFIED TAX INV0ICE\nKopi 2.20\nT0TAL 2.20\nCA5H 5.00\nCHAN6E 2.80\nTHANK Y0U, PLEASE C0ME AGAIN';
    expect(classifyDocument(noisy)).toMatchObject({ category: 'receipt' });
    expect(classifyDocument(noisy).matched.receipt).toEqual(expect.arrayContaining(['cash', 'change', 'please come again', 'paid at the till']));
  });

  it('does not take a plain page with a time and a thank-you for a receipt', () => {
    expect(classifyDocument(PLAIN_PAGE_WITH_A_TIME).category).not.toBe('receipt');
  });
});
