/** What the passes share: claimed spans, masking them, and small text helpers. */

export interface Span {
  start: number;
  end: number;
}

/** Replaces claimed text; not a letter, digit, space or separator, so no pattern crosses it. */
export const FILL = '\u0001';

export function maskSpans(text: string, spans: readonly Span[]): string {
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
export function tidy(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function lowerBound(sorted: readonly Span[], pos: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid]?.start ?? Infinity) < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
