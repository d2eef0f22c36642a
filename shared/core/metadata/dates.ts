/** Dates (ISO, numeric, with month names in four languages) as ISO 8601, with plausibility checks. */
import type { DocumentMetadata } from '../result.ts';
import { escapeRegExp, pad2, tidy, type Span } from './spans.ts';

type DateHit = DocumentMetadata['dates'][number];

/** Years outside this range are far more often codes or quantities than dates. */
const MIN_YEAR = 1900;
const MAX_YEAR = 2099;
/** POSIX pivot for two-digit years: 69–99 → 1969–1999, 00–68 → 2000–2068. */
const TWO_DIGIT_YEAR_PIVOT = 69;

/** Month names and abbreviations: English, German, French, Spanish (lower case). */
const MONTHS: Readonly<Record<string, number>> = {
  // English
  january: 1, february: 2, march: 3, april: 4, may: 5, june: 6, july: 7, august: 8,
  september: 9, october: 10, november: 11, december: 12,
  jan: 1, feb: 2, mar: 3, apr: 4, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  // German (with the umlaut-less spellings OCR and ASCII keyboards produce)
  januar: 1, jänner: 1, februar: 2, märz: 3, maerz: 3, marz: 3, mai: 5, juni: 6, juli: 7,
  oktober: 10, dezember: 12, mär: 3, mrz: 3, okt: 10, dez: 12,
  // French
  janvier: 1, février: 2, fevrier: 2, mars: 3, avril: 4, juin: 6, juillet: 7, août: 8, aout: 8,
  septembre: 9, octobre: 10, novembre: 11, décembre: 12, decembre: 12,
  janv: 1, févr: 2, fevr: 2, avr: 4, juil: 7, déc: 12,
  // Spanish
  enero: 1, febrero: 2, marzo: 3, abril: 4, mayo: 5, junio: 6, julio: 7, agosto: 8,
  septiembre: 9, setiembre: 9, octubre: 10, noviembre: 11, diciembre: 12,
  ene: 1, abr: 4, ago: 8, dic: 12,
};
// Longest first, so "march" is tried before "mar" and "mars".
const MONTH_ALT = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .map(escapeRegExp)
  .join('|');

const SP0 = '[ \\t\\u00A0]{0,4}';
const SP1 = '[ \\t\\u00A0]{1,4}';

const ISO_DATE = /(?<!\p{N})(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\p{N})/gu;
// One space is allowed around "." and "/" ("15. 03. 2024" is German typesetting, "15 / 03 / 2024"
// is OCR spacing); never around "-", where it would read ranges such as "10 - 12 - 24".
const NUMERIC_DATE = /(?<!\p{N})(\d{1,2})[ \t]?([-/.])[ \t]?(\d{1,2})[ \t]?\2[ \t]?(\d{4}|\d{2})(?!\p{N})/gu;
// 15 March 2024, 15. März 2024, 1er mars 2024, 15 de marzo de 2024, 1st of May 2024
const DAY_MONTH_YEAR = new RegExp(
  `(?<![\\p{L}\\p{N}])(\\d{1,2})(?:st|nd|rd|th|er|º|°)?\\.?${SP0}(?:(?:of|de)${SP1})?(${MONTH_ALT})\\.?(?!\\p{L})${SP0},?${SP0}(?:de${SP1})?(\\d{4})(?!\\p{N})`,
  'giu',
);
// March 15, 2024; Mar. 15 2024; May 1st, 2024
const MONTH_DAY_YEAR = new RegExp(
  `(?<!\\p{L})(${MONTH_ALT})\\.?${SP0}(\\d{1,2})(?:st|nd|rd|th)?(?!\\p{N})${SP0},?${SP0}(\\d{4})(?!\\p{N})`,
  'giu',
);
// "v1.2.33" or "Version 10.4.21" are versions, not dates.
const VERSION_BEFORE = /(?:\bv|version|ver\.?|release|rel\.?|rev\.?|build)[ \t]?$/iu;

function toIso(year: number, month: number, day: number): string | null {
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day > days) return null;
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

function expandYear(raw: string): number {
  const y = Number(raw);
  if (raw.length !== 2) return y;
  return y >= TWO_DIGIT_YEAR_PIVOT ? 1900 + y : 2000 + y;
}

/**
 * A numeric date glued to more digits by its own separator or a dot is part of a version, an IP
 * address or a code ("1.15.03.2024", "15-03-2024-001"). Other joins stay dates: the "-" of the
 * range "15/03/2024-16/03/2024".
 */
function numericContextOk(source: string, start: number, end: number, sep: string): boolean {
  const glue = (c: string): boolean => c === sep || c === '.';
  const digit = (c: string): boolean => /\p{N}/u.test(c);
  if (start >= 2 && digit(source.charAt(start - 2)) && glue(source.charAt(start - 1))) return false;
  if (glue(source.charAt(end)) && digit(source.charAt(end + 1))) return false;
  return !VERSION_BEFORE.test(source.slice(Math.max(0, start - 12), start));
}

interface NumericCandidate extends Span {
  a: number;
  b: number;
  year: number;
  sep: string;
}

export function findDates(text: string, masked: string, claimed: Span[]): DateHit[] {
  const hits: Array<DateHit & Span> = [];
  const push = (start: number, end: number, iso: string | null): void => {
    if (iso !== null) hits.push({ text: tidy(text.slice(start, end)), iso, start, end });
  };

  for (const m of masked.matchAll(ISO_DATE)) {
    const end = m.index + m[0].length;
    if (!numericContextOk(masked, m.index, end, m[2] ?? '')) continue;
    push(m.index, end, toIso(Number(m[1]), Number(m[3]), Number(m[4])));
  }

  const numeric: NumericCandidate[] = [];
  for (const m of masked.matchAll(NUMERIC_DATE)) {
    const sep = m[2] ?? '';
    if (sep === '-' && /[ \t]/u.test(m[0])) continue;
    const end = m.index + m[0].length;
    if (!numericContextOk(masked, m.index, end, sep)) continue;
    numeric.push({ start: m.index, end, a: Number(m[1]), b: Number(m[3]), year: expandYear(m[4] ?? ''), sep });
  }
  // Ambiguous "/" and "-" dates are read day-first, unless the document itself shows it writes
  // month-first: some date only parses month-first (03/15/2024) and none only day-first
  // (15/03/2024). "." dates are always day-first (that style is not used month-first).
  const readings = numeric.map((c) => ({
    c,
    dayFirst: toIso(c.year, c.b, c.a),
    monthFirst: c.sep === '.' ? null : toIso(c.year, c.a, c.b),
  }));
  const onlyMonthFirst = readings.some((r) => r.monthFirst !== null && r.dayFirst === null);
  const onlyDayFirst = readings.some((r) => r.c.sep !== '.' && r.dayFirst !== null && r.monthFirst === null);
  const monthFirstDocument = onlyMonthFirst && !onlyDayFirst;
  for (const { c, dayFirst, monthFirst } of readings) {
    push(c.start, c.end, monthFirstDocument ? (monthFirst ?? dayFirst) : (dayFirst ?? monthFirst));
  }

  for (const m of masked.matchAll(DAY_MONTH_YEAR)) {
    const month = MONTHS[(m[2] ?? '').toLowerCase()];
    if (month !== undefined) push(m.index, m.index + m[0].length, toIso(Number(m[3]), month, Number(m[1])));
  }
  for (const m of masked.matchAll(MONTH_DAY_YEAR)) {
    const month = MONTHS[(m[1] ?? '').toLowerCase()];
    if (month !== undefined) push(m.index, m.index + m[0].length, toIso(Number(m[3]), month, Number(m[2])));
  }

  // The patterns can overlap ("1 March 15, 2024"); the earliest, then longest, match wins.
  hits.sort((x, y) => x.start - y.start || y.end - x.end);
  const out: DateHit[] = [];
  const seen = new Set<string>();
  let lastEnd = -1;
  for (const h of hits) {
    if (h.start < lastEnd) continue;
    lastEnd = h.end;
    claimed.push({ start: h.start, end: h.end });
    // One entry per calendar day: "15.03.2024" and "15 March 2024" are the same date.
    if (seen.has(h.iso)) continue;
    seen.add(h.iso);
    out.push({ text: h.text, iso: h.iso });
  }
  return out;
}
