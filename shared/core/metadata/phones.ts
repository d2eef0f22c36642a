/** Phone numbers, only when clearly shaped like one (see findPhones). */

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
export function findPhones(masked: string): string[] {
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

