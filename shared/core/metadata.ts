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
 *
 * The passes live in `metadata/`, one module each.
 */
import type { DocumentMetadata } from './result.ts';
import { findAmounts } from './metadata/amounts.ts';
import { findDates } from './metadata/dates.ts';
import { findEmails } from './metadata/emails.ts';
import { findPhones } from './metadata/phones.ts';
import { findReferences } from './metadata/references.ts';
import { maskSpans, type Span } from './metadata/spans.ts';

export { CURRENCY, CURRENCY_TOKENS, NUMBER, parseNumber } from './metadata/amounts.ts';

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
