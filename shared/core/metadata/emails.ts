/** Emails, found first: their digits must never become amounts or phone numbers. */
import type { Span } from './spans.ts';

// The lookbehind lets a match start only at the beginning of a run of address characters, so
// each run is scanned once. One optional space around "@" tolerates OCR spacing.
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}[ \t]?@[ \t]?(?:[\p{L}\p{N}-]{1,63}\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}-])/gu;

export function findEmails(text: string, claimed: Span[]): string[] {
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
