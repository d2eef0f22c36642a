import { fileTypeFromBuffer } from 'file-type';
import { z } from 'zod';
import { DocVaultError } from './errors.ts';

export const DocumentType = z.enum(['pdf', 'png', 'jpeg', 'tiff', 'webp', 'gif', 'bmp', 'pnm']);
export type DocumentType = z.infer<typeof DocumentType>;

export const ACCEPTED_TYPES_TEXT = 'PDF, PNG, JPEG, TIFF (multi-page too), WebP, GIF, BMP and PBM/PGM/PPM';

const MIME_TO_TYPE: Readonly<Record<string, DocumentType>> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/tiff': 'tiff',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
};

export const MIME_TYPE: Readonly<Record<DocumentType, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  pnm: 'image/x-portable-anymap',
};

// file-type does not know the Netpbm family: "P1".."P6" followed by whitespace.
function isNetpbm(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0x50 && bytes[1]! >= 0x31 && bytes[1]! <= 0x36 && /\s/.test(String.fromCharCode(bytes[2]!));
}

/** Detects the document type from its content (magic bytes), never from its name. */
export async function detectDocumentType(bytes: Uint8Array): Promise<DocumentType> {
  if (bytes.length === 0) throw new DocVaultError('EMPTY_FILE', 'The file is empty (0 bytes).');
  const found = await fileTypeFromBuffer(bytes);
  const type = found ? MIME_TO_TYPE[found.mime] : isNetpbm(bytes) ? 'pnm' : undefined;
  if (!type) {
    throw new DocVaultError(
      'UNSUPPORTED_TYPE',
      `Unsupported file type${found ? ` (${found.mime})` : ''}: the content is not a document we can read. Accepted: ${ACCEPTED_TYPES_TEXT}.`,
      { detected: found?.mime ?? null },
    );
  }
  return type;
}
