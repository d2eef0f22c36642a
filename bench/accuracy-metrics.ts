/** Scores for bench:accuracy: CER, CER ignoring case and punctuation style, and an order-free word error. */
import { characterErrorRate } from '../shared/core/text-metrics.ts';

export { characterErrorRate };

/**
 * Case folded; typographic quotes and dashes as ASCII; no space before or after punctuation (the
 * forms' ground truth writes "9/ 3/ 92" and "Ext. :", a reader may not).
 */
export function foldStyle(text: string): string {
  return text
    .toLowerCase()
    .replace(/[‘’‚′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/[‐‑‒–—―]/g, '-')
    .replace(/\s*([.,:;!?/()[\]'"-])\s*/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

export function foldedCharacterErrorRate(reference: string, hypothesis: string): number {
  return characterErrorRate(foldStyle(reference), foldStyle(hypothesis));
}

/**
 * Order-free word error: the words (split at whitespace, so a lost space costs two words) compared
 * as bags, case-insensitively; unmatched words on either side count, over the reference's word count.
 */
export function bagOfWordsError(reference: string, hypothesis: string): number {
  const bag = (text: string) => {
    const counts = new Map<string, number>();
    for (const w of text.toLowerCase().split(/\s+/).filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
    return counts;
  };
  const ref = bag(reference);
  const hyp = bag(hypothesis);
  let refTotal = 0;
  let hypTotal = 0;
  let matched = 0;
  for (const [w, n] of ref) {
    refTotal += n;
    matched += Math.min(n, hyp.get(w) ?? 0);
  }
  for (const n of hyp.values()) hypTotal += n;
  if (refTotal === 0) return hypTotal === 0 ? 0 : 1;
  return Math.max(refTotal, hypTotal) === 0 ? 0 : (Math.max(refTotal, hypTotal) - matched) / refTotal;
}
