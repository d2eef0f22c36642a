/**
 * The chaos run's documents, made from test/fixtures: small scans (PNG), scanned PDFs of one or two pages,
 * born-digital PDFs with a text layer, and bad inputs that must fail with a known code. Every good
 * document differs from the others in its bytes (a border of its own width, its own text), so a
 * content-keyed shortcut cannot hide a lost task.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { fixture } from '../../test/support/fixtures.ts';

export const DocumentKind = ['image', 'scanned-pdf', 'text-pdf', 'corrupt-pdf', 'empty', 'not-a-document', 'poison'] as const;
export type DocumentKind = (typeof DocumentKind)[number];

/** What a bad input must end as: refused by upload, or FAILED, with one of these codes. */
export const EXPECTED_CODES: Readonly<Partial<Record<DocumentKind, readonly string[]>>> = {
  'corrupt-pdf': ['CORRUPT_DOCUMENT'],
  empty: ['EMPTY_FILE'],
  'not-a-document': ['UNSUPPORTED_TYPE'],
  // the engine fails on every attempt (the fault marker): an infrastructure failure, dead-lettered
  poison: ['ENGINE_FAILURE'],
};

/** Kinds that fail for infrastructure reasons (retryable codes, given up on): the dead-letter topic's. */
export const INFRASTRUCTURE_KINDS: ReadonlySet<DocumentKind> = new Set(['poison']);

export interface ChaosDocument {
  index: number;
  user: number;
  kind: DocumentKind;
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
}

const BAD_KINDS = ['corrupt-pdf', 'empty', 'not-a-document', 'poison'] as const;

/**
 * One document in `badEvery` is bad (20: 5%), the bad kinds in turn; of the good ones 40% are
 * images, 20% scanned PDFs, 40% text PDFs.
 */
function kindOf(index: number, badEvery: number): DocumentKind {
  if (index % badEvery === badEvery - 1) return BAD_KINDS[Math.floor(index / badEvery) % BAD_KINDS.length]!;
  const slot = index % 10;
  if (slot < 4) return 'image';
  if (slot < 6) return 'scanned-pdf';
  return 'text-pdf';
}

async function scan(index: number): Promise<Buffer> {
  const border = 2 + (index % 97);
  return sharp(Buffer.from(fixture('tessjs_simple_png.png')))
    .extend({ top: border, bottom: border, left: border, right: border + (index % 5), background: '#ffffff' })
    .png()
    .toBuffer();
}

async function scannedPdf(index: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  for (let page = 0; page < 1 + (index % 2); page++) {
    const image = await pdf.embedPng(await scan(index + page));
    const p = pdf.addPage([image.width, image.height]);
    p.drawImage(image, { x: 0, y: 0, width: image.width, height: image.height });
  }
  return pdf.save();
}

async function textPdf(index: number, user: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let page = 0; page < 1 + (index % 2); page++) {
    pdf.addPage([300, 200]).drawText(`Chaos document ${index}, user ${user}, page ${page + 1}.`, { x: 20, y: 150, size: 12, font });
  }
  return pdf.save();
}

export async function makeDocument(index: number, users: number, badEvery: number, faultMarker: string): Promise<ChaosDocument> {
  const user = index % users;
  const kind = kindOf(index, badEvery);
  const base = `doc-${String(index).padStart(5, '0')}`;
  const doc = (fileName: string, contentType: string, bytes: Uint8Array): ChaosDocument => ({ index, user, kind, fileName, contentType, bytes });
  switch (kind) {
    case 'image':
      return doc(`${base}.png`, 'image/png', new Uint8Array(await scan(index)));
    case 'scanned-pdf':
      return doc(`${base}.pdf`, 'application/pdf', await scannedPdf(index));
    case 'text-pdf':
      return doc(`${base}.pdf`, 'application/pdf', await textPdf(index, user));
    case 'corrupt-pdf':
      return doc(`${base}.pdf`, 'application/pdf', fixture('ocrmypdf_invalid.pdf'));
    case 'empty':
      return doc(`${base}.png`, 'image/png', new Uint8Array(0));
    case 'not-a-document':
      return doc(`${base}.png`, 'image/png', new Uint8Array(Buffer.from(`plain text, not an image (${index})\n`.repeat(20))));
    case 'poison':
      return doc(`${base}.png`, 'image/png', new Uint8Array(Buffer.concat([await scan(index), Buffer.from(faultMarker)])));
  }
}
