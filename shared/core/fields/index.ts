/**
 * Receipt and invoice fields — merchant, date, total, tax — read from the words of the pages by
 * explainable rules (each field says which rule chose it and which words it came from). Pure.
 */
import type { Category, Fields, PageResult } from '../result.ts';
import { findDate } from './date.ts';
import { findMerchant } from './merchant.ts';
import { rowMoney } from './money.ts';
import { documentRows } from './rows.ts';
import { findTotal } from './total.ts';

/** The categories whose documents carry these fields. */
export const FIELD_CATEGORIES: readonly Category[] = ['receipt', 'invoice'];

export function extractFields(pages: ReadonlyArray<Pick<PageResult, 'number' | 'words'>>, category: Category): Fields | null {
  if (!FIELD_CATEGORIES.includes(category)) return null;
  const rows = documentRows(pages);
  const { total, tax } = findTotal(rows, documentCurrency(rows));
  return { merchant: findMerchant(rows), date: findDate(rows), total, tax };
}

/** The currency marked most often beside the document's amounts, for the amounts printed bare. */
function documentCurrency(rows: ReturnType<typeof documentRows>): string | null {
  const counts = new Map<string, number>();
  for (const m of rows.flatMap(rowMoney)) if (m.currency) counts.set(m.currency, (counts.get(m.currency) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
