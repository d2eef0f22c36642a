/**
 * Document categorisation from OCR text: a transparent keyword/feature scorer.
 *
 * Each category has weighted cues (English plus common German, French and a little Spanish).
 * A cue adds its weight once per occurrence, up to its cap (1 for most cues: presence is the
 * signal; a few, such as checkboxes, count repeats). Capping rather than normalising per 1k words
 * keeps every score bounded by the sum of its cue weights, so a 300-page report cannot outscore a
 * one-line receipt by length alone, while a short document is not inflated by a per-word
 * division either; it also lets the threshold below be an absolute number.
 *
 * The top category wins when it scores at least MIN_SCORE and leads the runner-up by at least
 * MARGIN; otherwise the document is "other". Pure and deterministic: the same text always gives
 * the same scores, cue lists and category.
 */
import { smallPatterns, type SmallPatterns } from './classify-patterns.ts';
import { lettersRead } from './ocr-lookalikes.ts';
import { extractMetadata } from './metadata.ts';
import type { Category, Classification, DocumentMetadata } from './result.ts';

type Scored = Exclude<Category, 'other'>;

/** A strong cue plus a supporting one (3 + 1), or several weak ones: a lone "invoice" is not enough. */
export const MIN_SCORE = 4;
/** Lead over the runner-up below which the text is too mixed to call (e.g. a letter about an invoice). */
export const MARGIN = 1.5;

const CATEGORIES: readonly Category[] = ['invoice', 'receipt', 'letter', 'contract', 'form', 'report', 'other'];

interface CueOptions {
  /** Regex source replacing the phrase built from the label (boundaries are then up to it). */
  re?: string;
  /** How many occurrences count (default 1). */
  cap?: number;
  /** Occurrences needed before the cue fires at all (default 1). */
  min?: number;
  /** Only at the start of a line (salutations, closings). */
  lineStart?: boolean;
}
type CueSpec = readonly [label: string, weight: number, options?: CueOptions];

/** A cue as declared: the regular expression that finds it, where \p{L} is any letter and \p{N} any digit. */
export interface CueSource {
  category: Scored;
  label: string;
  weight: number;
  /** How many occurrences count. */
  cap: number;
  /** Occurrences needed before the cue fires at all. */
  min: number;
  source: string;
  flags: string;
}

const B = '(?<![\\p{L}\\p{N}])';
const E = '(?![\\p{L}\\p{N}])';

/** "bill to" → /bill\s{1,3}to/ between letter boundaries; OCR may double spaces or break lines. */
function phrase(label: string): string {
  const body = label
    .split(/\s+/u)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "['’]"))
    .join('\\s{1,3}');
  return `${B}${body}${E}`;
}

function sources(category: Scored, specs: readonly CueSpec[]): CueSource[] {
  return specs.map(([label, weight, o = {}]) => {
    let source = o.re ?? phrase(label);
    if (o.lineStart) source = `^[ \\t]{0,8}(?:${source})`;
    return { category, label, weight, cap: o.cap ?? 1, min: o.min ?? 1, source, flags: o.lineStart ? 'gimu' : 'giu' };
  });
}

const CUE_SPECS: Readonly<Record<Scored, readonly CueSpec[]>> = {
  invoice: [
    // A "simplified tax invoice" is the till receipt of a GST/VAT-registered shop, not an invoice.
    ['invoice', 3, { re: `(?<!simplified\\s{1,3}tax\\s{1,3})${B}invoice${E}` }],
    ['rechnung', 3],
    ['facture', 3],
    ['factura', 3],
    ['bill to', 2],
    ['ship to', 1],
    ['amount due', 2],
    ['balance due', 2],
    ['total due', 2],
    ['due date', 2, { re: `${B}(?:due\\s{1,3}date|date\\s{1,3}due|payment\\s{1,3}due)${E}` }],
    ['payment terms', 2],
    ['net 30', 1, { re: `${B}net\\s{0,2}(?:7|10|14|15|30|45|60|90)(?:\\s{1,3}days)?${E}` }],
    ['remit to', 2],
    ['unit price', 1.5],
    ['tax', 1, { re: `${B}(?:tax|vat|sales\\s{1,3}tax)${E}` }],
    ['iban', 1],
    ['bank details', 1],
    ['rechnungsdatum', 2],
    ['zahlbar bis', 2],
    ['zahlungsziel', 2],
    ['fällig', 1, { re: `${B}f(?:ä|ae|a)llig` }],
    ['mwst', 1, { re: `${B}(?:mwst|ust|mehrwertsteuer|umsatzsteuer)\\.?${E}` }],
    ['bankverbindung', 1],
    ['montant dû', 2, { re: `${B}(?:montant\\s{1,3}(?:d[ûu]|[àa]\\s{1,3}payer)|net\\s{1,3}[àa]\\s{1,3}payer)${E}` }],
    ["date d'échéance", 2, { re: `${B}(?:date\\s{1,3}d['’]\\s?)?[ée]ch[ée]ance${E}` }],
    ['tva', 1],
    ['ttc', 1, { re: `${B}(?:ttc|ht)${E}` }],
    ['conditions de paiement', 2],
  ],
  receipt: [
    ['receipt', 3],
    ['quittung', 3],
    ['kassenbon', 3, { re: `${B}(?:kassenbon|kassenzettel|kassenbeleg)${E}` }],
    ['beleg', 1.5, { re: `${B}beleg(?:-?nr\\.?)?${E}` }],
    ['reçu', 3, { re: `${B}re[çc]u${E}` }],
    ['ticket de caisse', 3],
    ['thank you for your purchase', 3, {
      re: `${B}thank(?:s|\\s{1,3}you)\\s{1,3}for\\s{1,3}(?:your\\s{1,3}(?:purchase|visit|order|patronage|support)|shopping|visiting|dining)${E}`,
    }],
    ['please come again', 3, { re: `${B}(?:(?:please\\s{1,3})?come\\s{1,3}again|see\\s{1,3}you\\s{1,3}again|terima\\s{1,3}kasih)${E}` }],
    ['goods sold are not returnable', 3, {
      re: `${B}(?:goods\\s{1,3}sold|no\\s{1,3}(?:refunds?|exchanges?)|not\\s{1,3}(?:returnable|refundable|exchangeable)|exchanges?\\s{1,3}(?:&|and)\\s{1,3}refunds?|keep\\s{1,3}(?:this|the|your)\\s{1,3}(?:receipt|invoice|bill))${E}`,
    }],
    // A cash invoice (cash bill, cash sale) is paid as the goods are handed over: a receipt.
    ['simplified tax invoice', 3, { re: `${B}(?:simplified\\s{1,3}tax\\s{1,3}invoice|cash\\s{1,3}(?:bill|sales?|receipt|inv(?:oice)?\\.?)|official\\s{1,3}receipt)${E}` }],
    // Till receipts of GST/VAT-registered shops are headed "tax invoice" too; a weak cue, weighed with the others.
    ['tax invoice', 1.5],
    ['rounding', 1.5, { re: `${B}(?:rounding(?:\\s{1,3}adj(?:ustment)?)?|round(?:ed)?\\s{1,3}adj\\.?|rundung)${E}` }],
    ['time of day', 1, { re: `(?<![\\p{N}:])(?:[01]?\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d)?(?![\\p{N}:])` }],
    ['table or counter', 1.5, { re: `${B}(?:table\\s{0,3}(?:no\\.?|#|:)|pax|server|waiter|waitress|dine\\s{0,3}in|take\\s{0,3}away|counter\\s{0,3}(?:no\\.?|#|:)?\\s{0,3}\\d|pos\\s{0,3}(?:no\\.?|id|#))${E}` }],
    ['vielen dank für ihren einkauf', 3, {
      re: `${B}(?:vielen\\s{1,3})?dank\\s{1,3}f(?:ü|ue|u)r\\s{1,3}ihren\\s{1,3}(?:einkauf|besuch)${E}`,
    }],
    ['merci de votre visite', 3, { re: `${B}merci\\s{1,3}(?:de|pour)\\s{1,3}votre\\s{1,3}(?:visite|achat)${E}` }],
    ['cash', 1.5, { re: `${B}(?:cash|tendered|tunai|bar(?:geld|zahlung)|esp[èe]ces)${E}` }],
    ['change', 1.5, { re: `${B}(?:change(?:\\s{1,3}due)?|r(?:ü|ue|u)ckgeld|rendu|monnaie)${E}` }],
    ['subtotal', 1.5, { re: `${B}(?:sub-?\\s?total|zwischensumme|sous-total)${E}` }],
    ['card', 1.5, {
      re: `${B}(?:visa|mastercard|master\\s{1,3}card|amex|maestro|girocard|ec-karte|debit|credit\\s{1,3}card|contactless|kontaktlos|sans\\s{1,3}contact|carte\\s{1,3}bancaire)${E}`,
    }],
    // "Approved by" heads a form's sign-off box, not a card payment.
    ['auth code', 1.5, { re: `${B}(?:auth(?:orization|orisation)?\\.?\\s{0,3}(?:code|no\\.?|#)|approval\\s{1,3}code|approved(?!\\s{1,3}by)|genehmigt)${E}` }],
    ['terminal', 1.5, { re: `${B}(?:terminal(?:-?id)?|tid|trace\\s{0,3}(?:no|nr)\\.?)${E}` }],
    ['cashier', 1.5, { re: `${B}(?:cashier|kassierer(?:in)?|caissi[eè]re?|kasse\\s{0,3}\\d{1,3}|till\\s{0,3}(?:no\\.?|#)?\\s{0,3}\\d{1,3})${E}` }],
    ['items', 1, { re: `${B}(?:items?\\s{1,3}(?:sold|count)|#\\s{0,2}items|anzahl\\s{1,3}artikel|nombre\\s{1,3}d['’]articles)${E}` }],
    ['tax', 0.5, { re: `${B}(?:tax|vat|mwst|tva)${E}` }],
  ],
  letter: [
    ['dear', 4, { lineStart: true }],
    ['sehr geehrte', 4, { lineStart: true, re: `sehr\\s{1,3}geehrte[rn]?${E}` }],
    ['madame, monsieur', 4, { lineStart: true, re: `(?:madame|monsieur|mesdames)${E}` }],
    ['cher', 2, { lineStart: true, re: `(?:cher|ch[èe]re|liebe[r]?|estimad[oa]s?)${E}` }],
    ['sincerely', 4, { re: `${B}(?:yours\\s{1,3})?sincerely${E}` }],
    ['yours faithfully', 4, { re: `${B}yours\\s{1,3}(?:faithfully|truly)${E}` }],
    ['regards', 2, { re: `${B}(?:(?:kind|best|warm|warmest)\\s{1,3})?regards${E}` }],
    ['mit freundlichen grüßen', 4, { re: `${B}(?:mit\\s{1,3})?freundliche[mn]?\\s{1,3}gr(?:ü|ue|u)(?:ß|ss)(?:en)?${E}` }],
    ['veuillez agréer', 4, { re: `${B}veuillez\\s{1,3}agr[ée]er${E}` }],
    ['salutations distinguées', 2, { re: `${B}salutations\\s{1,3}distingu[ée]es${E}` }],
    ['cordialement', 2],
    ['atentamente', 3],
    ['subject', 1, { lineStart: true, re: `(?:re|subject|betreff|objet)\\s{0,2}:` }],
    ['enclosure', 1, { re: `${B}(?:enclosures?|encl\\.|anlage[n]?|pi[èe]ces?\\s{1,3}jointes?)${E}` }],
    ['cc', 0.5, { lineStart: true, re: `cc\\s{0,2}:` }],
  ],
  contract: [
    ['agreement', 2],
    ['contract', 2],
    ['parties', 2],
    ['party', 1.5],
    ['hereinafter', 3],
    ['hereby', 1],
    ['whereas', 2],
    ['term', 1],
    ['termination', 1.5],
    ['governing law', 3],
    ['jurisdiction', 1.5],
    ['in witness whereof', 3],
    ['signature', 1],
    ['shall', 1],
    ['obligations', 1],
    ['indemnify', 2, { re: `${B}indemnif(?:y|ies|ied|ication)${E}` }],
    ['liability', 1],
    ['confidentiality', 1],
    ['effective date', 2],
    ['clause', 1, { re: `${B}(?:clause|§\\s{0,2}\\d{1,3}|article\\s{1,3}\\d{1,3})${E}` }],
    // German compounds ("Arbeitsvertrag", "Vertragsparteien") need no boundary inside the word.
    ['vertrag', 2, { re: `vertrag` }],
    ['vereinbarung', 2, { re: `vereinbarung` }],
    ['partei', 2, { re: `${B}(?:vertrags)?parteien?${E}` }],
    ['nachfolgend', 2, { re: `${B}(?:nachfolgend|im\\s{1,3}folgenden)${E}` }],
    ['kündigung', 1, { re: `${B}k(?:ü|ue|u)ndigung` }],
    ['gerichtsstand', 3],
    ['contrat', 2],
    ['les parties', 2],
    ['ci-après', 3, { re: `${B}ci-?\\s?apr[èe]s${E}` }],
    ['résiliation', 1, { re: `${B}r[ée]siliation${E}` }],
    ['droit applicable', 3],
    ['en foi de quoi', 3],
  ],
  form: [
    ['please fill in', 3, { re: `${B}(?:please\\s{1,3})?(?:fill\\s{1,3}(?:in|out)|complete\\s{1,3}(?:this|the|all)|print\\s{1,3}clearly)${E}` }],
    ['block capitals', 2, { re: `${B}block\\s{1,3}(?:capitals|letters)${E}` }],
    ['tick', 2, { re: `${B}(?:tick|check|mark)\\s{1,3}(?:the\\s{1,3})?(?:box|boxes|one|appropriate(?:\\s{1,3}box(?:es)?)?|all\\s{1,3}that\\s{1,3}apply)${E}` }],
    ['yes/no', 1.5, { re: `\\(\\s{0,2}y\\s{0,2}/\\s{0,2}n\\s{0,2}\\)|${B}yes\\s{0,2}/\\s{0,2}no${E}` }],
    ['sign-off', 1.5, { re: `${B}(?:approved|requested|submitted|authori[sz]ed|completed|signed|checked)\\s{1,3}by${E}` }],
    ['contact fields', 1, { re: `${B}(?:address|telephone|city|zip\\s{0,2}code|postal\\s{1,3}code|state|country)\\s{0,2}:`, cap: 2, min: 2 }],
    ['for office use only', 3, { re: `${B}(?:for\\s{1,3})?office\\s{1,3}use(?:\\s{1,3}only)?${E}` }],
    ['form', 1, { re: `${B}(?:form|formular|formulaire|formulario)${E}` }],
    ['applicant', 1.5, { re: `${B}(?:applicant|antragsteller(?:in)?|demandeur|solicitante)${E}` }],
    ['antrag', 1.5],
    ['date of birth', 2, { re: `${B}(?:date\\s{1,3}of\\s{1,3}birth|d\\.?o\\.?b\\.|geburtsdatum|date\\s{1,3}de\\s{1,3}naissance|fecha\\s{1,3}de\\s{1,3}nacimiento)${E}` }],
    ['place of birth', 2, { re: `${B}(?:place\\s{1,3}of\\s{1,3}birth|geburtsort|lieu\\s{1,3}de\\s{1,3}naissance)${E}` }],
    ['first name', 1.5, { re: `${B}(?:first\\s{1,3}name|given\\s{1,3}names?|vorname|pr[ée]nom)${E}` }],
    ['last name', 1.5, { re: `${B}(?:last\\s{1,3}name|surname|family\\s{1,3}name|nachname|familienname|nom\\s{1,3}de\\s{1,3}famille)${E}` }],
    ['name:', 1, { lineStart: true, re: `(?:full\\s{1,3})?(?:name|nom)\\s{0,2}:` }],
    ['nationality', 1.5, { re: `${B}(?:nationality|staatsangeh(?:ö|oe|o)rigkeit|nationalit[ée])${E}` }],
    ['gender', 1, { re: `${B}(?:gender|sex|geschlecht|sexe)\\s{0,2}:` }],
    ['marital status', 1.5, { re: `${B}(?:marital\\s{1,3}status|familienstand|situation\\s{1,3}de\\s{1,3}famille)${E}` }],
    ['bitte ausfüllen', 3, { re: `${B}(?:aus(?:zu)?f(?:ü|ue|u)llen|ankreuzen)` }],
    ['veuillez remplir', 3, { re: `${B}(?:(?:veuillez\\s{1,3}|[àa]\\s{1,3})remplir|cochez|cocher)${E}` }],
    // Fill-in furniture: checkboxes and blank lines. Repeats count, up to the cap.
    ['checkbox', 1, { re: `\\[[ \\t]{0,2}[xX✓✔]?[ \\t]{0,2}\\]|[☐☑☒□]`, cap: 5 }],
    // "Supplier:", "Description:", "Reasons:": a column of labels, each heading the value written after it.
    ['labelled lines', 1.5, { lineStart: true, re: `\\p{L}[\\p{L} ./&'()-]{1,30}:`, cap: 2, min: 4 }],
    // Scanned fill-in lines often come out of OCR as two or three underscores.
    ['blank line', 1, { re: `_{2,}|\\.{6,}`, cap: 4, min: 2 }],
  ],
  report: [
    ['report', 2, { re: `${B}(?:report|bericht|rapport|informe)${E}` }],
    ['executive summary', 3, { re: `${B}(?:executive\\s{1,3}summary|management\\s{1,3}summary)${E}` }],
    ['summary', 1.5, { re: `${B}(?:summary|zusammenfassung|r[ée]sum[ée]|synth[èe]se|resumen)${E}` }],
    ['abstract', 2],
    ['introduction', 2, { re: `${B}(?:introduction|einleitung|introducci[óo]n)${E}` }],
    ['conclusion', 2, { re: `${B}(?:conclusions?|fazit|schlussfolgerung(?:en)?|conclusi[óo]n)${E}` }],
    ['methodology', 2, { re: `${B}(?:methodology|methods|methodik|m[ée]thodologie|metodolog[íi]a)${E}` }],
    ['results', 1.5, { re: `${B}(?:results|ergebnisse|r[ée]sultats|resultados)${E}` }],
    ['findings', 1.5],
    ['recommendations', 1.5, { re: `${B}(?:recommendations|empfehlungen|recommandations|recomendaciones)${E}` }],
    ['analysis', 1, { re: `${B}(?:analysis|analyse|an[áa]lisis)${E}` }],
    ['appendix', 1, { re: `${B}(?:appendix|anhang|annexe|ap[ée]ndice)${E}` }],
    ['figure', 1, { re: `${B}(?:figure|fig\\.|abbildung|abb\\.)\\s{0,2}\\d`, cap: 2 }],
    ['table', 1, { re: `${B}(?:table|tabelle|tableau|tabla)\\s{1,2}\\d`, cap: 2 }],
    ['table of contents', 3, { re: `${B}(?:table\\s{1,3}of\\s{1,3}contents|inhaltsverzeichnis|table\\s{1,3}des\\s{1,3}mati[èe]res|sommaire|[íi]ndice)${E}` }],
    ['references', 1, { re: `${B}(?:references|bibliography|literaturverzeichnis|bibliographie)${E}` }],
  ],
};

/** Every cue, category by category in the order above. */
export const CUE_SOURCES: readonly CueSource[] = (Object.keys(CUE_SPECS) as Scored[]).flatMap((c) => sources(c, CUE_SPECS[c]));

/** Compiled at the first classification (see classify-patterns.ts): a process that never classifies never pays. */
let compiled: SmallPatterns | undefined;

/** How often each cue of CUE_SOURCES occurs in the text, counting up to the larger of its cap and its minimum. */
export function cueCounts(words: string): number[] {
  compiled ??= smallPatterns(CUE_SOURCES);
  const { patterns, prepare } = compiled;
  const text = prepare(words);
  return CUE_SOURCES.map((cue, i) => countUpTo(patterns[i]!, text, Math.max(cue.cap, cue.min)));
}

/**
 * Cues that only mean something together. Paying at the till — money handed over (cash, a card)
 * and change given back or the time of the sale printed — is what a receipt records and an
 * invoice, which asks to be paid later, does not.
 */
function combinedCues(matched: Readonly<Record<string, readonly string[]>>): Array<[Scored, string, number]> {
  const has = (label: string) => (matched.receipt ?? []).some((m) => m === label || m.startsWith(`${label} ×`));
  const paid = has('cash') || has('card');
  return paid && (has('change') || has('time of day')) ? [['receipt', 'paid at the till', 2]] : [];
}

/** Features read from the extracted metadata rather than from words. */
function metadataCues(metadata: DocumentMetadata): Array<[Scored, string, number]> {
  const out: Array<[Scored, string, number]> = [];
  if (metadata.references.some((r) => r.kind === 'invoice')) out.push(['invoice', 'invoice number', 2]);
  if (metadata.references.some((r) => r.kind === 'order')) out.push(['invoice', 'order number', 1]);
  // Several amounts: both invoices and receipts list money; a letter or contract rarely does.
  if (metadata.amounts.length >= 2) {
    out.push(['invoice', 'several amounts', 1]);
    out.push(['receipt', 'several amounts', 1]);
  }
  return out;
}

function countUpTo(re: RegExp, text: string, cap: number): number {
  let n = 0;
  // matchAll clones the regex: the shared, global pattern's lastIndex is never touched.
  for (const _ of text.matchAll(re)) {
    if (++n >= cap) break;
  }
  return n;
}

export function classifyDocument(text: string, metadata?: DocumentMetadata): Classification {
  const scores: Record<string, number> = {};
  const matched: Record<string, string[]> = {};
  for (const c of CATEGORIES) {
    scores[c] = 0;
    matched[c] = [];
  }
  const add = (category: Scored, label: string, points: number): void => {
    scores[category] = (scores[category] ?? 0) + points;
    matched[category]?.push(label);
  };

  // OCR prints "CA5H" and "INV0ICE": cues are matched with look-alike digits inside words read as letters.
  const counts = cueCounts(lettersRead(text));
  for (const [i, cue] of CUE_SOURCES.entries()) {
    const n = counts[i]!;
    if (n < cue.min) continue;
    const counted = Math.min(n, cue.cap);
    add(cue.category, counted > 1 ? `${cue.label} ×${counted}` : cue.label, cue.weight * counted);
  }
  for (const [category, label, points] of [...metadataCues(metadata ?? extractMetadata(text)), ...combinedCues(matched)]) {
    add(category, label, points);
  }

  // Ties are broken by the fixed category order, so the result never depends on object order.
  const ranked = CATEGORIES.filter((c) => c !== 'other')
    .map((c) => ({ c, s: scores[c] ?? 0 }))
    .sort((x, y) => y.s - x.s || CATEGORIES.indexOf(x.c) - CATEGORIES.indexOf(y.c));
  const top = ranked[0];
  const runnerUp = ranked[1]?.s ?? 0;
  const category: Category = top && top.s >= MIN_SCORE && top.s - runnerUp >= MARGIN ? top.c : 'other';
  return { category, scores, matched };
}
