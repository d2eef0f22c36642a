/** Reading a multipart/form-data body with busboy: its fields, and its files held in memory (the request limit bounds them). */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { DocVaultError } from '../../core/errors.ts';

export interface FilePart {
  originalName: string;
  data: Buffer;
  /** Past the per-file limit: the bytes were dropped. */
  truncated: boolean;
}

export interface ParsedForm {
  fields: Map<string, string[]>;
  files: FilePart[];
  tooManyFiles: boolean;
}

export interface FormLimits {
  maxFiles: number;
  maxBytes: number;
  maxRequestBytes: number;
  tooLarge: () => DocVaultError;
}

function unreadable(err: unknown): DocVaultError {
  return err instanceof DocVaultError
    ? err
    : new DocVaultError('INVALID_REQUEST', `The multipart body could not be read: ${err instanceof Error ? err.message : String(err)}.`);
}

/** Reads the whole form; a body given as a stream is counted against maxRequestBytes as it comes. */
export function parseForm(headers: IncomingHttpHeaders, body: Buffer | Readable, limits: FormLimits): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => reject(unreadable(err));
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        defParamCharset: 'utf8', // browsers send UTF-8 file names
        preservePath: true, // keep the name as sent for metadata; safeFileName makes the object name safe
        limits: { files: limits.maxFiles, fileSize: limits.maxBytes, fields: 20, fieldSize: 4096, parts: limits.maxFiles + 20 },
      });
    } catch (err) {
      fail(err);
      return;
    }
    const form: ParsedForm = { fields: new Map(), files: [], tooManyFiles: false };
    const pending: Promise<void>[] = [];
    parser.on('file', (_name, stream, info) => {
      const part: FilePart = { originalName: info.filename ?? '', data: Buffer.alloc(0), truncated: false };
      form.files.push(part);
      pending.push(collect(stream, part));
    });
    parser.on('field', (name, value) => form.fields.set(name, [...(form.fields.get(name) ?? []), value]));
    parser.on('filesLimit', () => (form.tooManyFiles = true));
    parser.on('error', fail);
    parser.on('close', () => void Promise.all(pending).then(() => resolve(form), fail));
    if (Buffer.isBuffer(body)) parser.end(body);
    else pipeCounted(body, parser, limits, fail);
  });
}

/** One file's bytes into its part; past the file limit they are dropped and the part marked. */
function collect(stream: Readable, part: FilePart): Promise<void> {
  const chunks: Buffer[] = [];
  return new Promise<void>((done, failed) => {
    stream.on('data', (chunk: Buffer) => {
      if (!part.truncated) chunks.push(chunk);
    });
    stream.on('limit', () => {
      part.truncated = true;
      chunks.length = 0;
    });
    stream.on('error', failed);
    stream.on('end', () => {
      part.data = Buffer.concat(chunks);
      done();
    });
  });
}

/** A stream (sent with or without a Content-Length) is counted as it comes and cut off past the limit. */
function pipeCounted(body: Readable, parser: busboy.Busboy, limits: FormLimits, fail: (err: unknown) => void): void {
  let received = 0;
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limits.maxRequestBytes) {
      body.unpipe(parser);
      body.resume();
      fail(limits.tooLarge());
    }
  });
  body.on('error', fail).pipe(parser);
}
