/**
 * The merchant (a receipt's shop, an invoice's issuer) from the top of the first page: the lines
 * above the document's title and its first amount, skipping what is not a name (addresses, phone
 * and fax numbers, web and mail addresses, registration numbers such as CO. REG, GST ID, VAT NO,
 * document titles, dates, OCR noise). A line naming a registered company (SDN BHD, LTD, GMBH,
 * INC…) is preferred, for it is the legal seller; otherwise the first name-like line.
 */
import type { TextField } from '../result.ts';
import { hasAny } from './labels.ts';
import { rowMoney } from './money.ts';
import { wordsRead } from '../ocr-lookalikes.ts';
import { meanConfidence, sourceOf, type Row, type RowWord } from './rows.ts';

/** How many name-like lines may be looked at: the merchant heads the receipt. */
const MAX_CANDIDATES = 5;
/** Lines read this unsurely are noise (a logo read as letters), not a name. */
const MIN_CONFIDENCE = 45;

const TITLES = [
  'RECEIPT', 'TAX INVOICE', 'INVOICE', 'SIMPLIFIED', 'CASH BILL', 'CASH SALE', 'OFFICIAL RECEIPT', 'BILL',
  'QUITTUNG', 'RECHNUNG', 'KASSENBON', 'BELEG', 'FACTURE', 'TICKET', 'FACTURA', 'RECIBO', 'COPY', 'DUPLICATE',
  'REPRINT', 'WELCOME', 'THANK YOU', 'CUSTOMER', 'ORDER', 'TABLE', 'CASHIER',
];
/** The customer's block of an invoice: the merchant never stands below it. */
const CUSTOMER_BLOCK = ['BILL TO', 'SHIP TO', 'SOLD TO', 'INVOICE TO', 'DELIVER TO', 'CUSTOMER'];
const REGISTRATION = [
  'REG', 'REGISTRATION', 'COMPANY NO', 'CO NO', 'ROC', 'GST', 'SST', 'VAT', 'TAX ID', 'TIN', 'ABN', 'ACN', 'UEN',
  'BRN', 'USTIDNR', 'STEUERNR', 'SIRET', 'SIREN', 'TVA', 'NIF', 'CIF',
];
const CONTACT = ['TEL', 'PHONE', 'FAX', 'MOBILE', 'HP', 'WHATSAPP', 'EMAIL', 'WWW', 'HOTLINE'];
const ADDRESS = [
  'JALAN', 'JLN', 'LORONG', 'TAMAN', 'PERSIARAN', 'LEBUH', 'SEKSYEN', 'BANDAR', 'KAWASAN', 'STREET', 'ROAD', 'AVENUE',
  'BLVD', 'BOULEVARD', 'LANE', 'DRIVE', 'HIGHWAY', 'FLOOR', 'SUITE', 'UNIT', 'BLOCK', 'BLK', 'LOT', 'PO BOX',
  'STRASSE', 'STRAßE', 'PLATZ', 'RUE', 'CALLE', 'AVENIDA',
];
/** Registered company forms; "CO." alone is left out, for it also ends shop names ("THAI TEA & CO."). */
const COMPANY = [
  'SDN BHD', 'SDN', 'BHD', 'BERHAD', 'SB', 'LTD', 'LIMITED', 'INC', 'INCORPORATED', 'LLC', 'LLP', 'CORP', 'CORPORATION',
  'PTE', 'PLC', 'PTY', 'GMBH', 'AG', 'KG', 'OHG', 'SARL', 'SAS', 'SA', 'SRL', 'SL', 'BV', 'NV',
];

function skipReason(row: Row): string | undefined {
  if (meanConfidence(row.words) < MIN_CONFIDENCE) return 'unsure';
  // Judged without the company number a name may carry: "99 SPEED MART S/B (519837-X)".
  const text = withoutCompanyNumber(row.text);
  const words = wordsRead(text);
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const digits = (text.match(/\d/gu) ?? []).length;
  if (letters < 3 || letters < digits || !words.some((w) => w.length >= 3)) return 'no name';
  if (/@|https?:|www\.|\.com\b/iu.test(text) || hasAny(words, CONTACT)) return 'contact';
  if (hasAny(words, REGISTRATION)) return 'registration';
  if (hasAny(words, ADDRESS) || /(?<!\d)\d{4,6}(?!\d)/u.test(text) || /^\W*(?:no\.?\s?)?\d+[A-Z]?\s?,/iu.test(text)) return 'address';
  if (hasAny(words, TITLES)) return 'title';
  if (/\d{1,2}[/.:-]\d{1,2}/u.test(text)) return 'date or time';
  return undefined;
}

/** "AEON CO. (M) BHD (126926-H)" → "AEON CO. (M) BHD": the company number is not the name. */
function withoutCompanyNumber(text: string): string {
  return text.replace(/\s*[([]?\s*(?:co\.?\s*reg\.?\s*(?:no\.?)?\s*:?\s*)?\d{4,}[\s-]*[A-Z]?\s*[)\]]?\s*$/iu, '');
}

function cleanName(words: readonly RowWord[]): string {
  return withoutCompanyNumber(words.map((w) => w.text).join(' '))
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.)]+$/gu, '')
    .trim();
}

export function findMerchant(rows: readonly Row[]): TextField | null {
  const firstPage = rows.filter((r) => r.page === rows[0]?.page);
  const candidates: Row[] = [];
  for (const row of firstPage) {
    const reason = skipReason(row);
    if (reason === 'unsure') continue;
    if (rowMoney(row).length > 0 || hasAny(wordsRead(row.text), CUSTOMER_BLOCK)) break;
    // The merchant heads the document: its title ends the search once a name was seen.
    if (reason === 'title' && candidates.length > 0) break;
    if (reason === undefined) candidates.push(row);
    if (candidates.length >= MAX_CANDIDATES) break;
  }
  const company = candidates.find((r) => hasAny(wordsRead(r.text), COMPANY));
  const chosen = company ?? candidates[0];
  if (!chosen) return null;
  let words = chosen.words;
  // A company form alone on its line ("SDN BHD") finishes the name on the line above.
  const index = candidates.indexOf(chosen);
  if (company && wordsRead(chosen.text).length <= 2 && index > 0) words = [...candidates[index - 1]!.words, ...words];
  const value = cleanName(words);
  if (!value) return null;
  return {
    value,
    text: words.map((w) => w.text).join(' '),
    confidence: Math.round((company ? 85 : 60) * (meanConfidence(words) / 100)),
    rule: company ? `registered company name (${hasAny(wordsRead(chosen.text), COMPANY)}) at the top` : 'first name-like line at the top',
    sources: [sourceOf(chosen.page, words)],
  };
}
