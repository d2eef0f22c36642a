/**
 * Amounts printed on a row, found with the metadata reader's number and currency patterns on the
 * row's text with OCR look-alikes undone ("5O.0O" → 50.00). A receipt prints money with cents, so
 * a number counts as money when it has two decimals or a currency marker beside it: quantities,
 * codes and the parts of dates and times do not.
 */
import { CURRENCY, CURRENCY_TOKENS, NUMBER, parseNumber } from '../metadata.ts';
import { digitsRead } from '../ocr-lookalikes.ts';
import type { Row } from './rows.ts';

export interface Money {
  value: number;
  currency: string | null;
  /** Characters of the row's text the amount (with its marker) covers. */
  start: number;
  end: number;
}

/** Only spaces may stand between a number and its currency marker. */
const BESIDE = 3;

export function rowMoney(row: Row): Money[] {
  const text = digitsRead(row.text);
  const markers = [...text.matchAll(CURRENCY)].map((m) => ({ start: m.index, end: m.index + m[0].length, iso: CURRENCY_TOKENS[m[0]] ?? null }));
  const out: Money[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const parsed = parseNumber(m[0]);
    if (!parsed) continue;
    let start = m.index;
    const end = m.index + m[0].length;
    if (text.slice(end, end + 2).trimStart().startsWith('%')) continue; // a rate, not money
    const marker = markers.find(
      (c) => (c.end <= start && start - c.end <= BESIDE && text.slice(c.end, start).trim() === '') ||
        (c.start >= end && c.start - end <= BESIDE && text.slice(end, c.start).trim() === ''),
    );
    if (parsed.decimals !== 2 && !marker) continue;
    // "-0.02" (a rounding down, a discount) is printed with its sign.
    const negative = text.charAt(start - 1) === '-' || (text.charAt(start - 2) === '-' && text.charAt(start - 1) === ' ');
    if (marker) start = Math.min(start, marker.start);
    out.push({
      value: negative ? -parsed.value : parsed.value,
      currency: marker?.iso ?? null,
      start,
      end: marker ? Math.max(end, marker.end) : end,
    });
  }
  return out;
}

/** "742", "51 42" or "9. 60" where a labelled row shows no amount: the decimal point was lost. */
const LOST_POINT = /(?<![\d.,])(\d{1,4})(?:[.,] ?| )?(\d{2})(?![\d.,]?\d)/gu;

/**
 * The last amount of a row whose decimal point OCR dropped or split off. Only for rows a label
 * says hold money (TOTAL, CASH…), and only read as cents, the way tills print.
 */
export function rowMoneyWithoutPoint(row: Row): Money | undefined {
  const text = digitsRead(row.text);
  let last: Money | undefined;
  for (const m of text.matchAll(LOST_POINT)) {
    last = { value: Number(`${m[1]}.${m[2]}`), currency: null, start: m.index, end: m.index + m[0].length };
  }
  return last;
}
