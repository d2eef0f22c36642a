/** The checks a document passes before it is stored: size, type by its bytes, a PDF's body, the page limit. */
import type { Config } from '../../config.ts';
import { detectDocumentType, type DocumentType } from '../../core/document-type.ts';
import { DocVaultError, fileTooLarge, tooManyPages } from '../../core/errors.ts';
import { safeFileName } from '../../core/task.ts';
import { countPages } from '../../engines/page-count.ts';
import type { FilePart } from './multipart-form.ts';

export interface CheckedFile {
  originalName: string;
  safeName: string;
  type: DocumentType;
  data: Buffer;
}

/** PAYLOAD_TOO_LARGE for a whole request, with the way round it: a signed upload URL. */
export function tooLargeForRequest(config: Pick<Config, 'MAX_REQUEST_BYTES'>): DocVaultError {
  const mb = Math.floor(config.MAX_REQUEST_BYTES / (1024 * 1024));
  return new DocVaultError(
    'PAYLOAD_TOO_LARGE',
    `The request is larger than ${mb} MB, the most one upload request may carry. For large documents ask for a signed upload URL: ` +
      `POST /uploads with JSON {"fileName", "size", "contentType"}, POST to the returned uploadUrl with the returned headers, ` +
      `then PUT the bytes to the Location that answer gives (the response's howTo says it in full).`,
    { maxRequestBytes: config.MAX_REQUEST_BYTES },
  );
}

/** An error about one file, named: its message starts with the file's name, its details carry it. */
export function aboutFile(fileName: string, err: DocVaultError): DocVaultError {
  return new DocVaultError(err.code, `${fileName}: ${err.message}`, { ...err.details, fileName });
}

/**
 * The cheap part of a PDF check (the worker opens the document properly): every PDF has at least
 * one indirect object (`… obj … endobj`), so a file with the header and none is not one.
 */
function looksLikePdfBody(data: Buffer): boolean {
  return data.includes('endobj');
}

async function checkBytes(part: FilePart, config: Config): Promise<DocumentType> {
  if (part.truncated || part.data.length > config.limits.maxBytes) throw fileTooLarge(part.truncated ? undefined : part.data.length, config.limits.maxBytes);
  const type = await detectDocumentType(part.data);
  if (type === 'pdf' && !looksLikePdfBody(part.data)) {
    throw new DocVaultError('CORRUPT_DOCUMENT', 'The file starts like a PDF but holds no PDF objects: it is damaged or not a PDF.');
  }
  const pages = await countPages(part.data, type).catch(() => undefined);
  if (pages !== undefined && pages > config.limits.maxPages) throw tooManyPages(pages, config.limits.maxPages);
  return type;
}

/** The file, checked; a file that fails a check throws its DocVaultError, named after the file. */
export async function checkFile(part: FilePart, config: Config): Promise<CheckedFile> {
  const safeName = safeFileName(part.originalName);
  try {
    const type = await checkBytes(part, config);
    return { originalName: part.originalName || safeName, safeName, type, data: part.data };
  } catch (err) {
    throw err instanceof DocVaultError ? aboutFile(safeName, err) : err;
  }
}
