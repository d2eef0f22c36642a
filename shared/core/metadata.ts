/**
 * Metadata extraction from OCR text: dates, monetary amounts, emails, phone numbers and
 * invoice/order references. Pure: no I/O, no clock, no environment.
 *
 * Extraction runs in passes, most specific first: emails → references → dates → amounts → phones.
 * Each pass masks what it took (same length, with a character no pattern matches) before the
 * next one runs, so the digits of an email, a reference or a date never become an amount or a
 * phone number, and offsets stay comparable across passes.
 *
 * Every pattern is linear: quantifiers are bounded, repeated groups are separated by characters
 * their content cannot contain, and each pattern starts only where a lookbehind allows it, so a
 * 1 MB page of noise costs a few scans, never a backtracking blow-up.
 *
 * Each list is deduplicated and kept in document order (the first occurrence wins).
 */
import type { DocumentMetadata } from './result.ts';

type DateHit = DocumentMetadata['dates'][number];
type AmountHit = DocumentMetadata['amounts'][number];
type ReferenceHit = DocumentMetadata['references'][number];

interface Span {
  start: number;
  end: number;
}

/** Replaces claimed text; not a letter, digit, space or separator, so no pattern crosses it. */
const FILL = '\u0001';

/** Years outside this range are far more often codes or quantities than dates. */
const MIN_YEAR = 1900;
const MAX_YEAR = 2099;
/** POSIX pivot for two-digit years: 69–99 → 1969–1999, 00–68 → 2000–2068. */
const TWO_DIGIT_YEAR_PIVOT = 69;

export function extractMetadata(text: string): DocumentMetadata {
  const claimed: Span[] = [];

  const emails = findEmails(text, claimed);
  let masked = maskSpans(text, claimed);
  const references = findReferences(masked, claimed);
  masked = maskSpans(text, claimed);
  const dates = findDates(text, masked, claimed);
  masked = maskSpans(text, claimed);
  const amounts = findAmounts(text, masked, claimed);
  masked = maskSpans(text, claimed);
  const phones = findPhones(masked);

  return { dates, amounts, emails, phones, references };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function maskSpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let pos = 0;
  for (const s of sorted) {
    const start = Math.max(s.start, pos);
    if (s.end <= start) continue;
    parts.push(text.slice(pos, start), FILL.repeat(s.end - start));
    pos = s.end;
  }
  parts.push(text.slice(pos));
  return parts.join('');
}

/** OCR output often has doubled or non-breaking spaces; the reported text uses single spaces. */
function tidy(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// ---------------------------------------------------------------------------------------------
// Emails

// The lookbehind lets a match start only at the beginning of a run of address characters, so
// each run is scanned once. One optional space around "@" tolerates OCR spacing.
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}[ \t]?@[ \t]?(?:[\p{L}\p{N}-]{1,63}\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}-])/gu;

function findEmails(text: string, claimed: Span[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(EMAIL)) {
    const start = m.index;
    claimed.push({ start, end: start + m[0].length });
    const email = m[0]
      .replace(/[ \t]/g, '')
      .replace(/^[._%+-]+/u, '')
      .toLowerCase();
    if (!email.includes('@') || email.startsWith('@') || seen.has(email)) continue;
    seen.add(email);
    out.push(email);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// References

// A reference value must contain a digit: it keeps "Invoice Date: …" or "Order Notes" from
// yielding words as references.
const REF_VALUE = String.raw`(?=[\p{L}\p{N}\-/._]{0,39}\p{N})[\p{L}\p{N}][\p{L}\p{N}\-/._]{0,39}`;
const QUAL = String.raw`(?:number|numbers|numéro|numero|número|num\.?|no\.?|nr\.?|n[°º]\.?|#|id|ref(?:erence)?\.?)(?!\p{L})`;

const INVOICE_LABELS = [
  String.raw`invoice[ \t\-]{0,3}${QUAL}`,
  String.raw`inv\.?[ \t\-]{0,3}(?:no\.?|nr\.?|#)`,
  String.raw`rechnungs?[ \t\-]{0,3}(?:nummer|nr\.?|no\.?)(?!\p{L})`,
  String.raw`(?:facture|factura|bill)[ \t]{0,3}${QUAL}`,
  String.raw`(?:n[°º]|num[ée]ro|n[úu]mero)[ \t]{0,3}de[ \t]{1,3}factur[ea](?!\p{L})`,
].join('|');

const ORDER_LABELS = [
  String.raw`(?:purchase[ \t]{1,3})?order[ \t\-]{0,3}${QUAL}`,
  String.raw`p\.?[ \t]?o\.?[ \t\-]{0,3}(?:number|no\.?|nr\.?|#)(?!\p{L})`,
  String.raw`(?:bestell(?:ungs)?|auftrags?)[ \t\-]{0,3}(?:nummer|nr\.?)(?!\p{L})`,
  String.raw`(?:commande|pedido)[ \t]{0,3}${QUAL}`,
  String.raw`(?:n[°º]|num[ée]ro|n[úu]mero)[ \t]{0,3}de[ \t]{1,3}(?:commande|pedido)(?!\p{L})`,
].join('|');

// A qualified label ("Invoice No.") may have its value on the next line, as in table layouts.
const QUALIFIED_REF = new RegExp(
  String.raw`(?<!\p{L})(?:(${INVOICE_LABELS})|(${ORDER_LABELS}))[ \t]{0,4}[:#.\-–]?[ \t]{0,4}(?:\r?\n[ \t]{0,4})?(${REF_VALUE})`,
  'giu',
);
// A bare label ("Invoice 2024-001") must have its value on the same line: a heading followed by
// an address line would otherwise give "123" (of "123 Main Street") as the invoice number.
const BARE_REF = new RegExp(
  String.raw`(?<!\p{L})(?:(invoice|rechnung|facture|factura)|(purchase[ \t]{1,3}order))(?!\p{L})[ \t]{0,4}[:#\-–]?[ \t]{0,4}(${REF_VALUE})`,
  'giu',
);
const DATE_LIKE = /^\d{1,4}[./-]\d{1,2}[./-]\d{2,4}$/u;

function findReferences(masked: string, claimed: Span[]): ReferenceHit[] {
  const hits: Array<ReferenceHit & Span> = [];
  const local: Span[] = [];
  const collect = (re: RegExp, source: string, bare: boolean): void => {
    for (const m of source.matchAll(re)) {
      const raw = m[3];
      if (raw === undefined) continue;
      const value = raw.replace(/[-/._]+$/u, '');
      if (bare && (value.length < 3 || DATE_LIKE.test(value))) continue;
      if (!/\p{N}/u.test(value)) continue;
      const start = m.index + m[0].length - raw.length;
      const span = { start, end: start + value.length };
      hits.push({ kind: m[1] !== undefined ? 'invoice' : 'order', value, ...span });
      local.push(span);
    }
  };
  collect(QUALIFIED_REF, masked, false);
  // Bare labels run on text with the qualified values masked, so they cannot take them twice.
  collect(BARE_REF, maskSpans(masked, local), true);
  hits.sort((a, b) => a.start - b.start);

  const out: ReferenceHit[] = [];
  const seen = new Set<string>();
  for (const h of hits) {
    claimed.push({ start: h.start, end: h.end });
    const key = `${h.kind}|${h.value.toUpperCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind: h.kind, value: h.value });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dates

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

function findDates(text: string, masked: string, claimed: Span[]): DateHit[] {
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

// ---------------------------------------------------------------------------------------------
// Amounts

/** Currency markers (symbols, ISO codes, words) → ISO 4217 code. Case-sensitive on purpose:
 * "eur" or "chf" inside ordinary words must not count, and OCR keeps codes upper case. */
export const CURRENCY_TOKENS: Readonly<Record<string, string>> = {
  US$: 'USD', CA$: 'CAD', C$: 'CAD', AU$: 'AUD', A$: 'AUD', NZ$: 'NZD', HK$: 'HKD', S$: 'SGD',
  R$: 'BRL', MX$: 'MXN', $: 'USD',
  '€': 'EUR', '£': 'GBP', '¥': 'JPY', '￥': 'JPY', 'CN¥': 'CNY', '円': 'JPY', '元': 'CNY',
  '₹': 'INR', '₩': 'KRW', '₽': 'RUB', '₺': 'TRY', '₪': 'ILS', '฿': 'THB', '₱': 'PHP', '₴': 'UAH',
  '₦': 'NGN', '₫': 'VND', 'zł': 'PLN', 'Kč': 'CZK', 'SFr.': 'CHF', RMB: 'CNY', RM: 'MYR',
  Euro: 'EUR', Euros: 'EUR', EURO: 'EUR', EUROS: 'EUR', euro: 'EUR', euros: 'EUR',
  ...Object.fromEntries(
    [
      'USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK',
      'HUF', 'CNY', 'INR', 'BRL', 'MXN', 'ZAR', 'SGD', 'HKD', 'KRW', 'RUB', 'TRY', 'ILS', 'AED',
      'SAR', 'RON', 'BGN', 'ISK', 'THB', 'PHP', 'IDR', 'MYR', 'TWD',
    ].map((c) => [c, c]),
  ),
};
export const CURRENCY = new RegExp(
  Object.keys(CURRENCY_TOKENS)
    .sort((a, b) => b.length - a.length)
    .map((t) => {
      // Letter-edged tokens must stand alone: "USDA" or "EUROPE" are not currencies.
      const head = /^\p{L}/u.test(t) ? '(?<!\\p{L})' : '';
      const tail = /\p{L}$/u.test(t) ? '(?!\\p{L})' : '';
      return head + escapeRegExp(t) + tail;
    })
    .join('|'),
  'gu',
);
// 1,234.56 | 1.234,56 | 1'234.50 | 1 234,56 | 1234,56 | 12 | 12,- ; grouped forms need exact
// 3-digit groups, and a number glued to more digits by a separator is rejected whole. Space
// grouping only takes a comma decimal (the French style): "Qty 2 100.00" stays "2" and "100.00".
export const NUMBER =
  /(?<!\p{N}|\p{N}[.,'’])(?:\d{1,3}(?:[,.'’]\d{3}){1,6}(?:[.,]\d{1,2})?|\d{1,3}(?:[ \u00A0\u202F]\d{3}){1,6}(?:,\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?)(?:[.,][-–])?(?!\p{N}|[.,]\p{N})/gu;
// Labels after which a decimal number is money even with no currency marker.
const TOTAL_LABEL =
  /(?<!\p{L})(?:grand[ \t]total|total|sub-?total|amount|balance|net|gross|tax|vat|summe|gesamtbetrag|gesamtsumme|gesamt|zwischensumme|betrag|endbetrag|rechnungsbetrag|netto|brutto|mwst|ust|montant|sous-total|tva|importe|iva)(?!\p{L})/giu;
/** How far after a total label its number may be ("Total (incl. VAT):  123.45"). */
const LABEL_WINDOW = 40;
const GAP = /^[ \t\u00A0\u202F]{0,3}$/u;

interface NumberToken extends Span {
  raw: string;
  value: number;
  decimals: number;
}
interface CurrencyToken extends Span {
  iso: string;
}

/** Reads a matched number: the last "." or "," is decimal when 1–2 digits follow it, any
 * other separator groups thousands ("1.234" and "1,234" are both 1234). */
export function parseNumber(raw: string): { value: number; decimals: number } | null {
  const s = raw.replace(/[.,][-–]$/u, '');
  const last = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  let intPart = s;
  let frac = '';
  if (last >= 0 && s.length - last - 1 <= 2) {
    intPart = s.slice(0, last);
    frac = s.slice(last + 1);
    if (intPart.includes(s.charAt(last))) return null; // "1.234.56": no consistent reading
  }
  if (new Set(intPart.replace(/\d/g, '')).size > 1) return null; // mixed grouping "1,234.567"
  const value = Number(intPart.replace(/\D/g, '') + (frac ? `.${frac}` : ''));
  return Number.isFinite(value) ? { value, decimals: frac.length } : null;
}

function findAmounts(text: string, masked: string, claimed: Span[]): AmountHit[] {
  const numbers: NumberToken[] = [];
  for (const m of masked.matchAll(NUMBER)) {
    const end = m.index + m[0].length;
    if (/^[ \t]?%/u.test(masked.slice(end, end + 2))) continue; // a rate, not money
    const parsed = parseNumber(m[0]);
    if (parsed) numbers.push({ start: m.index, end, raw: m[0], ...parsed });
  }
  const currencies: CurrencyToken[] = [];
  for (const m of masked.matchAll(CURRENCY)) {
    const iso = CURRENCY_TOKENS[m[0]];
    if (iso !== undefined) currencies.push({ start: m.index, end: m.index + m[0].length, iso });
  }
  const numberByEnd = new Map(numbers.map((n) => [n.end, n]));
  const numberByStart = new Map(numbers.map((n) => [n.start, n]));
  const currencyByStart = new Map(currencies.map((c) => [c.start, c]));

  // Only spaces (at most three) may separate a number from its currency.
  const adjacentBefore = <T extends Span>(map: Map<number, T>, pos: number): T | undefined => {
    for (let k = 0; k <= 3 && pos - k >= 0; k++) {
      if (!GAP.test(masked.slice(pos - k, pos))) return undefined;
      const hit = map.get(pos - k);
      if (hit) return hit;
    }
    return undefined;
  };
  const adjacentAfter = <T extends Span>(map: Map<number, T>, pos: number): T | undefined => {
    for (let k = 0; k <= 3; k++) {
      if (!GAP.test(masked.slice(pos, pos + k))) return undefined;
      const hit = map.get(pos + k);
      if (hit) return hit;
    }
    return undefined;
  };

  const hits: Array<AmountHit & Span> = [];
  const used = new Set<NumberToken>();
  for (const c of currencies) {
    const before = adjacentBefore(numberByEnd, c.start);
    const after = adjacentAfter(numberByStart, c.end);
    const b = before && !used.has(before) ? before : undefined;
    const a = after && !used.has(after) ? after : undefined;
    let pick: NumberToken | undefined;
    if (b && a) {
      // A marker between two numbers ("12,50 € 30,00 €" or "EUR 30,00"): the one with cents
      // wins; otherwise the number after, unless that one has its own marker after it.
      if ((b.decimals > 0) !== (a.decimals > 0)) pick = b.decimals > 0 ? b : a;
      else pick = adjacentAfter(currencyByStart, a.end) ? b : a;
    } else {
      pick = b ?? a;
    }
    if (!pick) continue;
    used.add(pick);
    const start = Math.min(pick.start, c.start);
    const end = Math.max(pick.end, c.end);
    hits.push({ text: tidy(text.slice(start, end)), value: pick.value, currency: c.iso, start, end });
  }

  // "Total: 123.45" with no marker anywhere: money, currency unknown. Needs cents, so "Total
  // pages: 3" or "Tax ID 12.345" are not amounts; a number already paired ends the search.
  const byStart = [...numbers].sort((x, y) => x.start - y.start);
  for (const m of masked.matchAll(TOTAL_LABEL)) {
    const labelEnd = m.index + m[0].length;
    let i = lowerBound(byStart, labelEnd);
    for (; i < byStart.length; i++) {
      const n = byStart[i];
      if (!n || n.start > labelEnd + LABEL_WINDOW) break;
      if (masked.slice(labelEnd, n.start).includes('\n')) break;
      if (used.has(n)) break;
      if (n.decimals === 2) {
        used.add(n);
        hits.push({ text: tidy(text.slice(n.start, n.end)), value: n.value, currency: null, start: n.start, end: n.end });
        break;
      }
    }
  }

  hits.sort((x, y) => x.start - y.start);
  const withCurrency = new Set(hits.filter((h) => h.currency !== null).map((h) => h.value));
  const out: AmountHit[] = [];
  const seen = new Set<string>();
  for (const h of hits) {
    claimed.push({ start: h.start, end: h.end });
    // A bare total equal to an amount shown with its currency elsewhere is that same amount.
    if (h.currency === null && withCurrency.has(h.value)) continue;
    const key = `${h.currency ?? ''}|${h.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ text: h.text, value: h.value, currency: h.currency });
  }
  return out;
}

function lowerBound(sorted: readonly Span[], pos: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid]?.start ?? Infinity) < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Phones

const PHONE_SEP = String.raw`(?:[ \t]?[\-/.][ \t]?|[ \t]{1,2})`;
// +49 30 1234567 | +49 (0)30 1234567 | (555) 123-4567 | 555-123-4567 | 030/1234567
// Groups after the first need two digits, so a trailing "… 4567 2 items" stays outside.
const PHONE = new RegExp(
  String.raw`(?<![\p{L}\p{N}+]|\p{N}[.,/\-])(?:\+[ \t]?\d{1,3}[ \t.\-/]{0,2}(?:\(0\)[ \t]?)?)?(?:\(\d{1,5}\)[ \t.\-]{0,2})?\d{1,12}(?:${PHONE_SEP}\d{2,12}){0,6}(?!\p{N}|[.,/\-]\p{N})`,
  'gu',
);
const NANP = /^(?:1[ .-]?)?\d{3}[ .-]\d{3}[ .-]\d{4}$/u;
const PHONE_LABEL =
  /(?:^|[^\p{L}])(?:t[ée]l(?:efon|ephone|[ée]phone|[ée]fono)?|phone|ph|fon|fax|telefax|mobile?|mob|cell|handy|portable|m[óo]vil)\.?(?:[ \t]*(?:no|nr|number|n°|#)\.?)?[ \t]*[:.]?[ \t]*$/iu;

/**
 * A digit run is a phone number when it is clearly shaped like one: international prefix (+ or
 * 00), an area code in parentheses, the North American 3-3-4 pattern, or a phone label (Tel,
 * Phone, Fax, Mobile…) just before it. Bare digit runs without any of these are ids or
 * quantities far more often than phone numbers.
 */
function findPhones(masked: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const m of masked.matchAll(PHONE)) {
    const cand = m[0];
    const digits = cand.replace(/\D/g, '');
    const international = cand.startsWith('+') || /^00[1-9]/.test(digits);
    // The label must be on the same line, within 25 characters (a bounded look, never a scan).
    const near = masked.slice(Math.max(0, m.index - 25), m.index);
    const labelled = PHONE_LABEL.test(near.slice(near.lastIndexOf('\n') + 1));
    if (!(international || cand.includes('(') || NANP.test(cand) || labelled)) continue;
    let normal: string;
    if (international) {
      // The "(0)" of "+49 (0)30 …" is the domestic trunk prefix: it is not dialled from abroad.
      const d = cand.replace('(0)', '').replace(/\D/g, '');
      normal = `+${cand.startsWith('+') ? d : d.slice(2)}`;
    } else {
      normal = digits;
    }
    const count = normal.replace('+', '').length;
    if (count < 7 || count > 15 || seen.has(normal)) continue;
    seen.add(normal);
    out.push(normal);
  }
  return out;
}
