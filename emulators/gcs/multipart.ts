import { Readable, Transform, type TransformCallback } from 'node:stream';
import { badRequest } from './errors.ts';

/** `multipart/related; boundary=X` (X may be quoted with " or ', as gcloud's apitools does). */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|'([^']+)'|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

/** GCS refuses a multipart upload whose metadata part is over 2 MiB ("Metadata part is too large."). */
const MAX_HEAD = 2 * 1024 * 1024;

/**
 * Split a `multipart/related` upload into its JSON metadata part and a stream of the media part,
 * without holding the media in memory: the head is buffered until the media part's headers end,
 * the rest flows through with only the closing delimiter's length held back. Accepts CRLF or LF:
 * the line break before the closing delimiter is the one the message's first delimiter line ends
 * with, so a file whose last byte is a CR (a PDF ending `%%EOF\r`, sent by gcloud's LF messages)
 * keeps it.
 */
export async function parseMultipartUpload(
  body: Readable,
  boundary: string,
): Promise<{ metadata: Record<string, unknown>; mediaContentType?: string; media: Readable }> {
  const delim = Buffer.from(`--${boundary}`);
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let parsed: { metadata: Record<string, unknown>; mediaContentType?: string; rest: Buffer; eol: Eol } | undefined;
  while (!parsed) {
    const next = await iterator.next();
    if (next.done) {
      parsed = parseHead(head, delim, true);
      if (!parsed) throw badRequest('Malformed multipart body.');
      break;
    }
    head = Buffer.concat([head, next.value]);
    if (head.length > MAX_HEAD) throw badRequest('Metadata part is too large.');
    parsed = parseHead(head, delim, false);
  }
  const { metadata, mediaContentType, rest, eol } = parsed;

  // Hold back enough bytes to strip "\r\n--boundary--\r\n" at the end.
  const keep = delim.length + 8;
  let tail = rest;
  const trimmer = new Transform({
    transform(chunk: Buffer, _e, done: TransformCallback) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > keep) {
        const out = tail.subarray(0, tail.length - keep);
        tail = Buffer.from(tail.subarray(tail.length - keep));
        done(null, out);
      } else done();
    },
    flush(done: TransformCallback) {
      const i = tail.lastIndexOf(delim);
      if (i < 0) return done(badRequest('Multipart body has no closing boundary.'));
      done(null, tail.subarray(0, i - eolBefore(tail, i, eol)));
    },
  });
  const source = Readable.from(
    (async function* () {
      for (;;) {
        const n = await iterator.next();
        if (n.done) return;
        yield n.value;
      }
    })(),
  );
  source.on('error', (e) => trimmer.destroy(e));
  const media = source.pipe(trimmer);
  const result: { metadata: Record<string, unknown>; mediaContentType?: string; media: Readable } = { metadata, media };
  if (mediaContentType) result.mediaContentType = mediaContentType;
  return result;
}

function parseHead(
  buf: Buffer,
  delim: Buffer,
  complete: boolean,
): { metadata: Record<string, unknown>; mediaContentType?: string; rest: Buffer; eol: Eol } | undefined {
  const first = buf.indexOf(delim);
  if (first < 0 || buf.length < first + delim.length + 2) return undefined;
  const eol: Eol = buf[first + delim.length] === 0x0d ? 'crlf' : 'lf';
  const p1 = skipEol(buf, first + delim.length);
  const h1 = headerEnd(buf, p1);
  if (!h1) return undefined;
  const second = buf.indexOf(delim, h1.bodyStart);
  if (second < 0) return undefined;
  const jsonEnd = second - eolBefore(buf, second, eol);
  const headers1 = parseHeaders(buf.subarray(p1, h1.headerEnd).toString('utf8'));
  const p2 = skipEol(buf, second + delim.length);
  const h2 = headerEnd(buf, p2);
  if (!h2) {
    if (complete) throw badRequest('Multipart body has no media part.');
    return undefined;
  }
  const headers2 = parseHeaders(buf.subarray(p2, h2.headerEnd).toString('utf8'));
  const jsonText = buf.subarray(h1.bodyStart, jsonEnd).toString('utf8').trim();
  let metadata: Record<string, unknown> = {};
  // Some clients send the media part first; the JSON part is the one declared as JSON.
  const firstIsJson = (headers1['content-type'] ?? 'application/json').includes('json');
  if (!firstIsJson) throw badRequest('Multipart upload: the first part must be the JSON metadata.');
  if (jsonText) {
    try {
      metadata = JSON.parse(jsonText) as Record<string, unknown>;
    } catch {
      throw badRequest('Multipart upload: metadata part is not valid JSON.');
    }
  }
  const result: { metadata: Record<string, unknown>; mediaContentType?: string; rest: Buffer; eol: Eol } = {
    metadata,
    rest: Buffer.from(buf.subarray(h2.bodyStart)),
    eol,
  };
  if (headers2['content-type']) result.mediaContentType = headers2['content-type'];
  return result;
}

type Eol = 'crlf' | 'lf';

/** The length of the line break (of the message's kind) just before a delimiter at `at`: 0 when there is none. */
function eolBefore(buf: Buffer, at: number, eol: Eol): number {
  if (at < 1 || buf[at - 1] !== 0x0a) return 0;
  return eol === 'crlf' && at >= 2 && buf[at - 2] === 0x0d ? 2 : 1;
}

function skipEol(buf: Buffer, i: number): number {
  if (buf[i] === 0x0d) i++;
  if (buf[i] === 0x0a) i++;
  return i;
}

/** Finds the blank line ending a part's headers (CRLFCRLF or LFLF); a part may have no headers. */
function headerEnd(buf: Buffer, from: number): { headerEnd: number; bodyStart: number } | undefined {
  if (buf[from] === 0x0d && buf[from + 1] === 0x0a) return { headerEnd: from, bodyStart: from + 2 };
  if (buf[from] === 0x0a) return { headerEnd: from, bodyStart: from + 1 };
  const crlf = buf.indexOf('\r\n\r\n', from);
  const lf = buf.indexOf('\n\n', from);
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { headerEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headerEnd: lf, bodyStart: lf + 2 };
  return undefined;
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}
