/**
 * Object metadata travels in HTTP headers (signed uploads, the XML API, downloads), where a value
 * must be printable ASCII: Node refuses anything else ("Invalid character in header content") and
 * Cloud Storage percent-encodes it. So a value that is not printable ASCII is stored as an RFC 8187
 * ext-value, `UTF-8''` and the percent-encoded UTF-8 (as Content-Disposition carries non-ASCII file
 * names); a plain ASCII value stays as it is, readable in the console.
 */
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
