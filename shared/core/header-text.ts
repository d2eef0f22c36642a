/**
 * Object metadata travels in HTTP headers (signed uploads, the XML API, downloads), where a value
 * must be printable ASCII: Node refuses anything else ("Invalid character in header content") and
 * Cloud Storage percent-encodes it. So a value that is not printable ASCII is stored as an RFC 8187
 * ext-value, `UTF-8''` and the percent-encoded UTF-8 (as Content-Disposition carries non-ASCII file
 * names); a plain ASCII value stays as it is, readable in the console.
 */
import { safeFileName } from './task.ts';

const EXT_VALUE = "UTF-8''";
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** encodeURIComponent throws on half a surrogate pair: it becomes the replacement character. */
const LONE_SURROGATE = /\p{Cs}/gu;

export function toHeaderText(value: string): string {
  if (PRINTABLE_ASCII.test(value) && !value.startsWith(EXT_VALUE)) return value;
  return EXT_VALUE + encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
}

/** The text toHeaderText encoded; any other value (an older object, a drop's own metadata) as it is. */
export function fromHeaderText(value: string): string {
  if (!value.startsWith(EXT_VALUE)) return value;
  try {
    return decodeURIComponent(value.slice(EXT_VALUE.length));
  } catch {
    return value;
  }
}

/**
 * toHeaderText of the longest start of `value` (whole characters) whose encoding fits in
 * `maxLength`: Cloud Storage allows 8 KiB of custom metadata per object, all keys and values.
 */
export function boundedHeaderText(value: string, maxLength: number): string {
  const encoded = toHeaderText(value);
  if (encoded.length <= maxLength) return encoded;
  const chars = Array.from(value);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (toHeaderText(chars.slice(0, mid).join('')).length <= maxLength) lo = mid;
    else hi = mid - 1;
  }
  return toHeaderText(chars.slice(0, lo).join(''));
}

/** A result's download name: the document's own name (any script) without folders or extension, then `.ext`. */
export function downloadName(documentName: string, extension: string): string {
  const base = (documentName.split(/[\\/]/).pop() ?? '').replace(/\.[^.]*$/, '');
  // Letters, marks and digits of every script stay; anything a header or a file system could trip on goes.
  const safe = base.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_');
  return `${/[\p{L}\p{N}]/u.test(safe) ? safe : 'document'}.${extension}`;
}

/**
 * `Content-Disposition` for a file name (RFC 6266): `filename="…"` in ASCII for every client, and,
 * when the name is not plain ASCII, `filename*=UTF-8''…` (RFC 8187) with the name itself, which
 * clients prefer. The ASCII form is the object name's (safeFileName): accents dropped (é → e), the rest replaced.
 */
export function contentDisposition(type: 'inline' | 'attachment', fileName: string): string {
  const ascii = safeFileName(fileName);
  if (ascii === fileName) return `${type}; filename="${ascii}"`;
  // RFC 8187 attr-char: encodeURIComponent leaves ' ( ) * unencoded, which it does not allow.
  const encoded = encodeURIComponent(fileName.replace(LONE_SURROGATE, '\uFFFD')).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

