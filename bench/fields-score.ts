/**
 * Scores extracted receipt fields against a corpus key (SROIE's NAME.key.json: company, date as
 * printed, total). Shared by bench:fields and bench:accuracy.
 *
 * - merchant: equal after upper-casing and dropping punctuation, within an edit distance of a
 *   fifth of the key's length (OCR slips such as "SDN BHD" for "SDN. BHD." or one wrong letter);
 * - date: the same calendar day (the key is read as printed, day-first as the receipts write it);
 * - total: the same amount to the cent ("RM8.50" and "8.50" are equal).
 */
import { extractMetadata } from '../shared/core/metadata.ts';
import type { Fields } from '../shared/core/result.ts';
import { levenshtein } from '../shared/core/text-metrics.ts';

export interface ReceiptKey {
  company: string;
  date: string;
  total: string;
  address?: string;
}

export interface FieldScore<T> {
  ok: boolean;
  got: T | null;
}

export interface ReceiptScore {
  merchant: FieldScore<string>;
  date: FieldScore<string>;
  total: FieldScore<number>;
}

/** Share of the key's length the merchant may differ by. */
const MERCHANT_TOLERANCE = 0.2;

function normalizeName(s: string): string {
  return s
    .toUpperCase()
    .replace(/[^\p{L}\p{N}&]+/gu, ' ')
    .trim();
}

export function merchantMatches(got: string, key: string): boolean {
  const g = normalizeName(got);
  const k = normalizeName(key);
  return g.length > 0 && levenshtein(g, k) <= Math.floor(k.length * MERCHANT_TOLERANCE);
}

/** The key's date as printed ("06/03/2018", "14-12-16", "22 JUN 2018") → ISO, by our own date reader. */
export function keyDate(printed: string): string | null {
  return extractMetadata(printed).dates[0]?.iso ?? null;
}

export function keyAmount(printed: string): number | null {
  const m = /\d+(?:[.,]\d{1,2})?/.exec(printed.replace(/[, ](?=\d{3}\b)/g, ''));
  return m ? Number(m[0].replace(',', '.')) : null;
}

export function scoreReceipt(fields: Fields | null, key: ReceiptKey): ReceiptScore {
  const merchant = fields?.merchant?.value ?? null;
  const date = fields?.date?.value ?? null;
  const total = fields?.total?.value ?? null;
  const wantTotal = keyAmount(key.total);
  return {
    merchant: { ok: merchant !== null && merchantMatches(merchant, key.company), got: merchant },
    date: { ok: date !== null && date === keyDate(key.date), got: date },
    total: { ok: total !== null && wantTotal !== null && Math.abs(total - wantTotal) < 0.005, got: total },
  };
}

export function summarize(scores: readonly ReceiptScore[]): { receipts: number; merchant: number; date: number; total: number } {
  const count = (pick: (s: ReceiptScore) => boolean) => scores.filter(pick).length;
  return {
    receipts: scores.length,
    merchant: count((s) => s.merchant.ok),
    date: count((s) => s.date.ok),
    total: count((s) => s.total.ok),
  };
}
