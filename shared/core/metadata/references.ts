/** Invoice and order references after their labels, in several languages. */
import type { DocumentMetadata } from '../result.ts';
import { maskSpans, type Span } from './spans.ts';

type ReferenceHit = DocumentMetadata['references'][number];

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

export function findReferences(masked: string, claimed: Span[]): ReferenceHit[] {
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
