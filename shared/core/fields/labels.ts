/**
 * What a receipt row says its amount is: the total, a subtotal, a tax, a payment (cash handed over,
 * change given back), a rounding adjustment. Keywords in English, Malay, German, French and Spanish,
 * matched on whole words with a small edit distance for long words ("TOTAI", "T0TAL", "SUBT0TAL"),
 * because OCR bends letters; short words must match exactly ("CASH" is not "CASE", "CHANGE" not "CHARGE").
 */
import { levenshtein } from '../text-metrics.ts';
import { wordsRead } from '../ocr-lookalikes.ts';

/** `subtotal` stands for every total that is not the one paid: a subtotal, a quantity, a saving, points. */
export type RowLabel = 'grand-total' | 'total' | 'subtotal' | 'tax' | 'payment' | 'adjustment' | 'none';

const PHRASES: Readonly<Record<Exclude<RowLabel, 'none'>, readonly string[]>> = {
  subtotal: [
    'SUBTOTAL', 'SUB TOTAL', 'EXCL', 'EXCLUDING', 'EXCLUSIVE', 'BEFORE TAX', 'BEFORE GST', 'W/O TAX', 'QTY',
    'QUANTITY', 'TOTAL ITEMS', 'NO OF ITEMS', 'ITEM COUNT', 'SAVINGS', 'SAVING', 'YOU SAVED', 'DISCOUNT', 'DISC',
    'ZWISCHENSUMME', 'NETTO', 'SOUS TOTAL', 'HORS TAXE', 'BASE IMPONIBLE',
    // Totals that are not money paid: loyalty points, weights.
    'POINTS', 'EARNED', 'REDEEMED', 'REWARD', 'WEIGHT', 'KG',
  ],
  'grand-total': [
    'GRAND TOTAL', 'TOTAL DUE', 'AMOUNT DUE', 'BALANCE DUE', 'TOTAL PAYABLE', 'AMOUNT PAYABLE', 'NETT TOTAL',
    'NET TOTAL', 'NETT', 'NETT AMOUNT', 'TOTAL AMOUNT', 'ROUNDED TOTAL', 'TOTAL ROUNDED', 'ROUNDED',
    'AMOUNT TO PAY', 'TO PAY', 'TOTAL TO PAY', 'GESAMTBETRAG', 'GESAMTSUMME', 'ENDBETRAG', 'ZU ZAHLEN',
    'RECHNUNGSBETRAG', 'NET A PAYER', 'TOTAL TTC', 'MONTANT TTC', 'TOTAL A PAGAR', 'JUMLAH BESAR',
  ],
  payment: [
    'CASH', 'CHANGE', 'TENDERED', 'TENDER', 'PAID', 'PAYMENT', 'VISA', 'MASTERCARD', 'MASTER', 'CARD',
    'CREDIT', 'DEBIT', 'AMEX', 'EFTPOS', 'BALANCE', 'DEPOSIT', 'REFUND', 'VOUCHER', 'TUNAI', 'BAKI', 'BAR',
    'GEGEBEN', 'RUCKGELD', 'RÜCKGELD', 'RENDU', 'ESPECES', 'ESPÈCES', 'EFECTIVO', 'CAMBIO',
  ],
  tax: ['GST', 'VAT', 'TAX', 'SST', 'MWST', 'UST', 'TVA', 'IVA', 'SALES TAX', 'SERVICE TAX', 'CUKAI'],
  adjustment: ['ROUNDING', 'ROUNDING ADJ', 'ROUNDING ADJUSTMENT', 'ADJUSTMENT', 'ADJ', 'RND', 'PEMBUNDARAN'],
  total: ['TOTAL', 'AMOUNT', 'AMT', 'SUM', 'SUMME', 'GESAMT', 'BETRAG', 'JUMLAH', 'MONTANT', 'IMPORTE'],
};
/** "TOTAL SALES (INCLUSIVE GST)", "TOTAL WITH GST": a total that says the tax is in it is the final one. */
const INCLUSIVE = ['INCL', 'INCLUSIVE', 'INC', 'INCLUDING', 'INKL', 'TTC', 'WITH'];
const EXCLUSIVE = ['EXCL', 'EXCLUSIVE', 'EXCLUDING', 'EXKL', 'BEFORE', 'HORS'];

/** Keywords a few edits away from another word a receipt prints ("CHARGE", "TODAY", "NETT", "EXCLUSIVE"). */
const CLOSE_TO_OTHERS: Readonly<Record<string, number>> = {
  CHANGE: 0, TENDER: 0, MASTER: 0, CREDIT: 0, NETTO: 0, TOPAY: 0, RENDU: 0,
  INCLUSIVE: 1, EXCLUSIVE: 1, INCLUDING: 1, EXCLUDING: 1,
};

/** Edits allowed for a keyword of this many letters: none up to 4 ("CASH", "GST"), then 1, then 2. */
function allowedEdits(target: string): number {
  return CLOSE_TO_OTHERS[target] ?? (target.length <= 4 ? 0 : target.length <= 8 ? 1 : 2);
}

function editDistanceWithin(a: string, b: string, max: number): boolean {
  return Math.abs(a.length - b.length) <= max && (max === 0 ? a === b : levenshtein(a, b) <= max);
}

/** Does the phrase occur in the words, as consecutive words or glued ("SUBTOTAL", "GRANDTOTAL")? */
function hasPhrase(words: readonly string[], phrase: string): boolean {
  const target = phrase.replace(/[\s/]+/gu, '');
  const parts = phrase.split(/\s+/u);
  // Each word keeps its own allowance: "INVOICE TO" must not match "INVOICE" by dropping "TO".
  const max = Math.min(...parts.map((p) => allowedEdits(p.replace(/\//gu, ''))));
  for (let i = 0; i < words.length; i++) {
    let joined = '';
    for (let n = 0; n < parts.length + 1 && i + n < words.length; n++) {
      joined += words[i + n];
      if (editDistanceWithin(joined, target, max)) return true;
      if (joined.length > target.length + max) break;
    }
  }
  return false;
}

export function hasAny(words: readonly string[], phrases: readonly string[]): string | undefined {
  return phrases.find((p) => hasPhrase(words, p));
}

export interface Label {
  label: RowLabel;
  /** The keyword that decided it, for the field's rule. */
  keyword: string | undefined;
}

/** The label of a row's text, most specific first. */
export function labelOf(text: string): Label {
  const words = wordsRead(text);
  const found = (label: Exclude<RowLabel, 'none'>): Label | undefined => {
    const keyword = hasAny(words, PHRASES[label]);
    return keyword ? { label, keyword } : undefined;
  };
  const total = hasAny(words, PHRASES.total);
  const inclusive = total && !hasAny(words, EXCLUSIVE) ? hasAny(words, INCLUSIVE) : undefined;
  return (
    (inclusive ? { label: 'grand-total', keyword: `${total} ${inclusive}` } : undefined) ??
    found('subtotal') ??
    found('grand-total') ??
    found('payment') ??
    found('tax') ??
    found('adjustment') ??
    found('total') ?? { label: 'none', keyword: undefined }
  );
}
