import { fileTypeFromBuffer } from 'file-type';
import { z } from 'zod';
import { DocVaultError } from './errors.ts';

export const DocumentType = z.enum(['pdf', 'png', 'jpeg', 'tiff', 'webp', 'gif', 'bmp', 'pnm']);
export type DocumentType = z.infer<typeof DocumentType>;

export interface DocumentFormat {
  /** How users are told about it. */
  label: string;
  /** The content type results and uploads are stored with. */
  mimeType: string;
  /** File name extensions, each with the content type a file of that name is sent with. */
  extensions: Readonly<Record<string, string>>;
}

/** The one table of the formats we read: upload, ingest, the CLI and detection all derive from it. */
export const DOCUMENT_FORMATS: Readonly<Record<DocumentType, DocumentFormat>> = {
  pdf: { label: 'PDF', mimeType: 'application/pdf', extensions: { '.pdf': 'application/pdf' } },
  png: { label: 'PNG', mimeType: 'image/png', extensions: { '.png': 'image/png' } },
  jpeg: { label: 'JPEG', mimeType: 'image/jpeg', extensions: { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' } },
  tiff: { label: 'TIFF (multi-page too)', mimeType: 'image/tiff', extensions: { '.tif': 'image/tiff', '.tiff': 'image/tiff' } },
  webp: { label: 'WebP', mimeType: 'image/webp', extensions: { '.webp': 'image/webp' } },
  gif: { label: 'GIF', mimeType: 'image/gif', extensions: { '.gif': 'image/gif' } },
  bmp: { label: 'BMP', mimeType: 'image/bmp', extensions: { '.bmp': 'image/bmp' } },
  pnm: {
    label: 'PBM/PGM/PPM',
    mimeType: 'image/x-portable-anymap',
    extensions: { '.pbm': 'image/x-portable-bitmap', '.pgm': 'image/x-portable-graymap', '.ppm': 'image/x-portable-pixmap', '.pnm': 'image/x-portable-anymap' },
  },
};

const formats = Object.entries(DOCUMENT_FORMATS) as Array<[DocumentType, DocumentFormat]>;
const labels = formats.map(([, f]) => f.label);

export const ACCEPTED_TYPES_TEXT = `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;

export const MIME_TYPE: Readonly<Record<DocumentType, string>> = Object.fromEntries(formats.map(([type, f]) => [type, f.mimeType])) as Record<DocumentType, string>;

/** Extension (with its dot, lower case) → content type, for every format. */
export const EXTENSION_CONTENT_TYPES: Readonly<Record<string, string>> = Object.assign({}, ...formats.map(([, f]) => f.extensions));

/** Every content type a document of ours may be declared with. */
export const ACCEPTED_CONTENT_TYPES: ReadonlySet<string> = new Set([...Object.values(MIME_TYPE), ...Object.values(EXTENSION_CONTENT_TYPES)]);

const MIME_TO_TYPE: Readonly<Record<string, DocumentType>> = Object.fromEntries(formats.map(([type, f]) => [f.mimeType, type]));

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
