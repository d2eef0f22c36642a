/**
 * The document's date: the metadata reader's dates (every printed format it knows, day-first
 * unless the document itself writes month-first) over the rows with OCR look-alikes undone, then:
 * a date on a row labelled as the document's date (DATE, INVOICE DATE, TARIKH, DATUM…) wins; a date
 * printed with a time of day (a till's timestamp) comes next; then the first date printed; one
 * labelled as another date (DUE, EXPIRY, VALID UNTIL, BEST BEFORE…) only when there is no other.
 */
import type { DateField } from '../result.ts';
import { extractMetadata } from '../metadata.ts';
import { hasAny } from './labels.ts';
import { digitsRead, wordsRead } from '../ocr-lookalikes.ts';
import { meanConfidence, sourceOf, wordsIn, type Row } from './rows.ts';

// Most specific first: the rule names the phrase that matched.
const DATE_LABELS = ['INVOICE DATE', 'ISSUE DATE', 'BILL DATE', 'DATE', 'TARIKH', 'DATUM', 'RECHNUNGSDATUM', 'FECHA', 'DT', 'DTE'];
const OTHER_DATES = [
  'DUE', 'EXPIRY', 'EXPIRES', 'EXP', 'VALID', 'UNTIL', 'BEST BEFORE', 'USE BY', 'BIRTH', 'DOB', 'FALLIG', 'FÄLLIG',
  'ECHEANCE', 'ÉCHÉANCE', 'VENCIMIENTO', 'PERIOD', 'DELIVERY', 'LIEFERDATUM', 'SHIP',
];
const TIME = /(?<!\d)(?:[01]?\d|2[0-3])[:.][0-5]\d(?:[:.][0-5]\d)?(?:\s?[AaPp][Mm])?(?!\d)/u;

interface Found {
  row: Row;
  iso: string;
  start: number;
  end: number;
  score: number;
  rule: string;
}

export function findDate(rows: readonly Row[]): DateField | null {
  const texts = rows.map((r) => digitsRead(r.text));
  // One reading of the whole document, so an ambiguous 03/04/2024 follows the document's own style.
  const { dates } = extractMetadata(texts.join('\n'));
  const found: Found[] = [];
  rows.forEach((row, i) => {
    const text = texts[i]!;
    const words = wordsRead(row.text);
    for (const d of dates) {
      const start = text.indexOf(d.text);
      if (start < 0) continue;
      const other = hasAny(words, OTHER_DATES);
      const labelled = hasAny(words, DATE_LABELS);
      const timed = TIME.test(text.slice(0, start) + ' ' + text.slice(start + d.text.length));
      const [score, rule]: [number, string] = other
        ? [0, `only date, labelled ${other}`]
        : labelled
          ? [3, `keyword ${labelled}`]
          : timed
            ? [2, 'printed with a time']
            : [1, 'first date printed'];
      found.push({ row, iso: d.iso, start, end: start + d.text.length, score, rule });
    }
  });
  // Highest score; among equals the first printed (rows are in reading order).
  const best = found.reduce<Found | undefined>((b, f) => (!b || f.score > b.score ? f : b), undefined);
  if (!best) return null;
  const words = wordsIn(best.row, best.start, best.end);
  return {
    value: best.iso,
    text: words.map((w) => w.text).join(' '),
    confidence: Math.round((60 + 10 * best.score) * (meanConfidence(words) / 100)),
    rule: best.rule,
    sources: words.length > 0 ? [sourceOf(best.row.page, words)] : [],
  };
}
