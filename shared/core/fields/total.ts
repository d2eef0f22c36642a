/**
 * The total and the tax of a receipt or invoice, from labelled rows:
 *
 * 1. every amount is labelled by its row (or, when its row has no label, by a label standing
 *    alone on the row just above: "TOTAL" over "54.50");
 * 2. the total is an amount labelled as the final total (GRAND TOTAL, AMOUNT DUE, NETT, ROUNDED,
 *    TOTAL incl. tax…), else one labelled TOTAL; never a subtotal, a tax, a rounding, or what was
 *    paid (CASH, CARD) or given back (CHANGE). Among equals, the largest: a receipt lists the
 *    total after the parts it adds up;
 * 3. with no such label (OCR lost the word), cash handed over minus change given back, else the
 *    amount printed most often among the largest ones (a till repeats its total), at a low confidence;
 * 4. the tax is the amount of a tax row (GST, VAT, MwSt…) that is below the total.
 */
import type { MoneyField } from '../result.ts';
import { labelOf, type Label, type RowLabel } from './labels.ts';
import { rowMoney, rowMoneyWithoutPoint, type Money } from './money.ts';
import { meanConfidence, sourceOf, wordsIn, type Row } from './rows.ts';

interface Candidate extends Money {
  row: Row;
  label: Label;
  /** Where the label was: "same row", "row above", or "decimal point restored". */
  where: string;
  /** Where the label's words begin in the row's text. */
  labelStart: number;
}

/** How sure each way of finding the total is, before the OCR confidence of its words. */
const RULE_CONFIDENCE = { 'grand-total': 95, total: 85, 'cash minus change': 70, repeated: 40, largest: 25 } as const;
const CENT = 0.005;

/** Labels that say a row holds money, so a number without its decimal point is still read. */
const MONEY_LABELS: readonly RowLabel[] = ['grand-total', 'total', 'tax', 'payment'];

/** A label standing alone on the row above ("TOTAL" over "54.50"), when the row has none itself. */
function labelAbove(above: Row | undefined): Label | undefined {
  if (!above || rowMoney(above).length > 0) return undefined;
  const up = labelOf(above.text);
  return up.label === 'none' ? undefined : up;
}

/**
 * Each amount takes the label printed before it on its row, since the previous amount ("TOTAL
 * SAVING 0.00 TOTAL 77.20"); a run of amounts with no words between them is labelled at its
 * rightmost one ("TOTAL 3 54.50" is 3 items for 54.50; "1 x 2.20 2.20" is quantity, price, sum).
 */
function candidates(rows: readonly Row[]): Candidate[] {
  const out: Candidate[] = [];
  rows.forEach((row, i) => {
    const above = rows[i - 1]?.page === row.page ? rows[i - 1] : undefined;
    const amounts = rowMoney(row);
    if (amounts.length === 0) {
      const own = labelOf(row.text);
      const lost = MONEY_LABELS.includes(own.label) ? rowMoneyWithoutPoint(row) : undefined;
      if (lost) out.push({ ...lost, row, label: own, where: 'decimal point restored', labelStart: 0 });
      return;
    }
    let from = 0;
    let run: Money[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const first = run[0]!;
      let l = labelOf(row.text.slice(from, first.start));
      let where = 'same row';
      const up = from === 0 && l.label === 'none' ? labelAbove(above) : undefined;
      if (up) [l, where] = [up, 'row above'];
      const none: Label = { label: 'none', keyword: undefined };
      run.forEach((m, k) => out.push({ ...m, row, label: k === run.length - 1 ? l : none, where, labelStart: from }));
      from = run[run.length - 1]!.end;
      run = [];
    };
    for (const m of amounts) {
      const prev = run[run.length - 1];
      if (prev && /\p{L}/u.test(row.text.slice(prev.end, m.start))) flush();
      run.push(m);
    }
    flush();
  });
  return out;
}

function toField(c: Candidate, rule: string, ruleConfidence: number, currency: string | null): MoneyField {
  const words = wordsIn(c.row, c.start, c.end);
  const labelWords = c.where !== 'row above' && c.label.keyword ? wordsIn(c.row, c.labelStart, c.start) : [];
  const all = [...labelWords, ...words];
  return {
    value: Math.round(c.value * 100) / 100,
    currency: c.currency ?? currency,
    text: all.map((w) => w.text).join(' '),
    // A restored decimal point is a guess about a digit OCR dropped.
    confidence: Math.round(ruleConfidence * (meanConfidence(words) / 100) * (c.where === 'decimal point restored' ? 0.7 : 1)),
    rule,
    sources: all.length > 0 ? [sourceOf(c.row.page, all)] : [],
  };
}

function largest(list: readonly Candidate[]): Candidate | undefined {
  return list.reduce<Candidate | undefined>((best, c) => (!best || c.value > best.value + CENT ? c : best), undefined);
}

const of = (list: readonly Candidate[], ...labels: RowLabel[]) => list.filter((c) => labels.includes(c.label.label) && c.value > 0);

export function findTotal(rows: readonly Row[], currency: string | null): { total: MoneyField | null; tax: MoneyField | null } {
  const all = candidates(rows);
  const rule = (c: Candidate) => `keyword ${c.label.keyword ?? ''}, ${c.where}`;
  let total: MoneyField | null = null;
  let value: number | null = null;
  for (const kind of ['grand-total', 'total'] as const) {
    // An amount read whole beats one whose decimal point had to be restored.
    const labelled = of(all, kind);
    const best = largest(labelled.filter((c) => c.where !== 'decimal point restored')) ?? largest(labelled);
    if (best) {
      total = toField(best, rule(best), RULE_CONFIDENCE[kind], currency);
      value = best.value;
      break;
    }
  }
  if (!total) {
    const payments = of(all, 'payment');
    const cash = largest(payments.filter((c) => /CASH|TENDER|TUNAI|BAR|GEGEBEN|ESP|EFECTIVO/u.test(c.label.keyword ?? '')));
    const change = payments.find((c) => /CHANGE|BAKI|RUCKGELD|RÜCKGELD|RENDU|CAMBIO|BALANCE/u.test(c.label.keyword ?? ''));
    const unlabelled = all.filter((c) => c.label.label === 'none' || c.label.label === 'total');
    if (cash && change && cash.value > change.value) {
      const paid = cash.value - change.value;
      const match = unlabelled.find((c) => Math.abs(c.value - paid) < CENT);
      if (match) {
        total = toField(match, 'cash minus change', RULE_CONFIDENCE['cash minus change'], currency);
        value = match.value;
      }
    }
    if (!total && unlabelled.length > 0) {
      const top = [...unlabelled].sort((a, b) => b.value - a.value).slice(0, 3);
      const count = (c: Candidate) => all.filter((d) => Math.abs(d.value - c.value) < CENT).length;
      const repeated = top.find((c) => count(c) >= 2);
      const pick = repeated ?? top[0]!;
      total = toField(pick, repeated ? 'largest amount printed more than once' : 'largest amount', RULE_CONFIDENCE[repeated ? 'repeated' : 'largest'], currency);
      value = pick.value;
    }
  }
  const taxes = of(all, 'tax').filter((c) => value === null || c.value < value - CENT);
  // A "TOTAL GST" row sums the tax lines above it; otherwise the last tax row printed.
  const tax = taxes.find((c) => /TOTAL/u.test(c.row.text.toUpperCase())) ?? taxes[taxes.length - 1];
  return { total, tax: tax ? toField(tax, rule(tax), RULE_CONFIDENCE.total, currency) : null };
}
