/** Monetary amounts: a number beside a currency marker, or a number with cents after a total label. */
import type { DocumentMetadata } from '../result.ts';
import { escapeRegExp, lowerBound, tidy, type Span } from './spans.ts';

type AmountHit = DocumentMetadata['amounts'][number];

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

type AmountSpan = AmountHit & Span;

/** The numbers (rates left out) and the currency markers of the masked text. */
function tokens(masked: string): { numbers: NumberToken[]; currencies: CurrencyToken[] } {
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
  return { numbers, currencies };
}

/** Only spaces (at most three) may separate a number from its currency. */
function adjacentBefore<T extends Span>(masked: string, map: Map<number, T>, pos: number): T | undefined {
  for (let k = 0; k <= 3 && pos - k >= 0; k++) {
    if (!GAP.test(masked.slice(pos - k, pos))) return undefined;
    const hit = map.get(pos - k);
    if (hit) return hit;
  }
  return undefined;
}

function adjacentAfter<T extends Span>(masked: string, map: Map<number, T>, pos: number): T | undefined {
  for (let k = 0; k <= 3; k++) {
    if (!GAP.test(masked.slice(pos, pos + k))) return undefined;
    const hit = map.get(pos + k);
    if (hit) return hit;
  }
  return undefined;
}

/** Each currency marker with the number beside it; the numbers taken go into `used`. */
function pairWithCurrencies(text: string, masked: string, numbers: NumberToken[], currencies: CurrencyToken[], used: Set<NumberToken>): AmountSpan[] {
  const numberByEnd = new Map(numbers.map((n) => [n.end, n]));
  const numberByStart = new Map(numbers.map((n) => [n.start, n]));
  const currencyByStart = new Map(currencies.map((c) => [c.start, c]));
  const hits: AmountSpan[] = [];
  for (const c of currencies) {
    const before = adjacentBefore(masked, numberByEnd, c.start);
    const after = adjacentAfter(masked, numberByStart, c.end);
    const b = before && !used.has(before) ? before : undefined;
    const a = after && !used.has(after) ? after : undefined;
    let pick: NumberToken | undefined;
    if (b && a) {
      // A marker between two numbers ("12,50 € 30,00 €" or "EUR 30,00"): the one with cents
      // wins; otherwise the number after, unless that one has its own marker after it.
      if ((b.decimals > 0) !== (a.decimals > 0)) pick = b.decimals > 0 ? b : a;
      else pick = adjacentAfter(masked, currencyByStart, a.end) ? b : a;
    } else {
      pick = b ?? a;
    }
    if (!pick) continue;
    used.add(pick);
    const start = Math.min(pick.start, c.start);
    const end = Math.max(pick.end, c.end);
    hits.push({ text: tidy(text.slice(start, end)), value: pick.value, currency: c.iso, start, end });
  }
  return hits;
}

/**
 * "Total: 123.45" with no marker anywhere: money, currency unknown. Needs cents, so "Total
 * pages: 3" or "Tax ID 12.345" are not amounts; a number already paired ends the search.
 */
function labelledTotals(text: string, masked: string, numbers: NumberToken[], used: Set<NumberToken>): AmountSpan[] {
  const hits: AmountSpan[] = [];
  const byStart = [...numbers].sort((x, y) => x.start - y.start);
  for (const m of masked.matchAll(TOTAL_LABEL)) {
    const labelEnd = m.index + m[0].length;
    for (let i = lowerBound(byStart, labelEnd); i < byStart.length; i++) {
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
  return hits;
}

export function findAmounts(text: string, masked: string, claimed: Span[]): AmountHit[] {
  const { numbers, currencies } = tokens(masked);
  const used = new Set<NumberToken>();
  const hits = pairWithCurrencies(text, masked, numbers, currencies, used);
  hits.push(...labelledTotals(text, masked, numbers, used));

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
