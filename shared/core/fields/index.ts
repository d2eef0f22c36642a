/**
 * Receipt and invoice fields — merchant, date, total, tax — read from the words of the pages by
 * explainable rules (each field says which rule chose it and which words it came from). Pure.
 */
import { MIN_SCORE } from '../classify.ts';
import type { Category, Classification, Fields, PageResult } from '../result.ts';
import { findDate } from './date.ts';
import { findMerchant } from './merchant.ts';
import { rowMoney } from './money.ts';
import { documentRows } from './rows.ts';
import { findTotal } from './total.ts';

/** The categories whose documents carry these fields. */
export const FIELD_CATEGORIES: readonly Category[] = ['receipt', 'invoice'];
/**
 * The merchant and the date head the first page, the total closes the last: the pages between (a
 * long invoice's item lists) are not read, so a 300-page document costs what a 5-page one does.
 */
const HEAD_PAGES = 3;
const TAIL_PAGES = 2;

type PageWords = Pick<PageResult, 'number' | 'words'>;

/**
 * Receipts and invoices carry fields; so does a document left "other" only because it reads as
 * both (a till slip headed "tax invoice"), for either way it has a merchant, a date and a total.
 */
export function carriesFields(classification: Pick<Classification, 'category' | 'scores'>): boolean {
  if (FIELD_CATEGORIES.includes(classification.category)) return true;
  if (classification.category !== 'other') return false;
  const ranked = Object.entries(classification.scores).sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  return (
    first !== undefined && second !== undefined && first[1] >= MIN_SCORE &&
    FIELD_CATEGORIES.includes(first[0] as Category) && FIELD_CATEGORIES.includes(second[0] as Category)
  );
}

export function extractFields(pages: readonly PageWords[], classification: Pick<Classification, 'category' | 'scores'>): Fields | null {
  if (!carriesFields(classification)) return null;
  const read = pages.length <= HEAD_PAGES + TAIL_PAGES ? pages : [...pages.slice(0, HEAD_PAGES), ...pages.slice(-TAIL_PAGES)];
  const rows = documentRows(read);
  const { total, tax } = findTotal(rows, documentCurrency(rows));
  return { merchant: findMerchant(rows), date: findDate(rows), total, tax };
}

/** The currency marked most often beside the document's amounts, for the amounts printed bare. */
function documentCurrency(rows: ReturnType<typeof documentRows>): string | null {
  const counts = new Map<string, number>();
  for (const m of rows.flatMap(rowMoney)) if (m.currency) counts.set(m.currency, (counts.get(m.currency) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
