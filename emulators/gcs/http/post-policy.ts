import busboy from 'busboy';
import { PassThrough, Readable } from 'node:stream';
import { badRequest, StorageError } from '../errors.ts';
import type { ObjectInit } from '../storage.ts';
import type { ObjectRecord } from '../types.ts';
import { type Ctx, isRecord, type Params, send, sendEmpty } from './context.ts';
import { limitLength, XML_OBJECT_FIELDS, xmlEscape } from './xml.ts';

/** busboy buffers fields; a `file` field without a filename is buffered like them. */
const FIELD_LIMIT_BYTES = 8 * 1024 * 1024;

/** Form fields that are never policy conditions. */
const UNCHECKED = new Set(['file', 'policy', 'x-goog-signature', 'signature', 'googleaccessid', 'x-goog-algorithm', 'x-goog-credential', 'x-goog-date']);

type Condition = { kind: 'eq' | 'starts-with'; field: string; value: string } | { kind: 'length'; min: number; max: number };

/**
 * `POST /` or `POST /BUCKET` with `multipart/form-data`: an HTML form upload under a V4 POST policy
 * (`file.generateSignedPostPolicyV4`). The policy's expiration and every condition are enforced (the
 * signature is not: the emulator has no keys); a form that breaks one is refused with 403 and
 * nothing is stored. On success the object exists and the answer is `success_action_status` (204
 * by default; 201 with the XML `PostResponse`) or a 303 to `success_action_redirect`.
 */
export async function postPolicyUpload(ctx: Ctx, { bucket: pathBucket }: Params): Promise<void> {
  const type = ctx.req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    ctx.req.resume();
    throw badRequest('A POST to a bucket is an HTML form upload: send multipart/form-data with a policy and a file.');
  }
  const fields = new Map<string, string>();
  let result: Promise<ObjectRecord> | undefined;
  let fileSeen = false;
  const parser = busboy({ headers: ctx.req.headers, limits: { fields: 100, fieldSize: FIELD_LIMIT_BYTES, files: 1 } });
  const startWrite = (stream: Readable, filename: string | undefined): void => {
    fileSeen = true;
    try {
      const { bucket, key, init, length } = checkPolicy(fields, pathBucket, filename);
      const sink = new PassThrough();
      const source = length ? stream.pipe(limitLength(length)) : stream;
      source.on('error', (err) => sink.destroy(err));
      source.pipe(sink);
      result = ctx.core.writeObject(bucket, key, sink, init);
      result.catch(() => stream.resume());
    } catch (err) {
      stream.resume();
      result = Promise.reject(err);
      result.catch(() => undefined);
    }
  };
  const done = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value, info) => {
      // a `file` part without a filename (a form built in code) is the content too, as GCS takes it
      if (name.toLowerCase() === 'file' && !fileSeen) {
        if (info.valueTruncated) {
          result = Promise.reject(badRequest(`A file field without a filename is limited to ${FIELD_LIMIT_BYTES} bytes here; send it as a file part.`));
          result.catch(() => undefined);
          fileSeen = true;
          return;
        }
        startWrite(Readable.from([Buffer.from(value, 'utf8')]), undefined);
        return;
      }
      fields.set(name.toLowerCase(), value);
    });
    parser.on('file', (name, stream, info) => {
      if (name.toLowerCase() !== 'file' || fileSeen) {
        stream.resume();
        return;
      }
      startWrite(stream, info.filename);
    });
    parser.on('close', () => resolve());
    parser.on('error', (err) => reject(err instanceof Error ? badRequest(`Malformed form: ${err.message}`) : err));
  });
  ctx.req.pipe(parser);
  await done;
  if (!result) throw badRequest('The form has no file field (it must be the last field).');
  answerUpload(ctx, fields, await result);
}

/** Answers a finished form upload as the form asked: a redirect, a 201 with an XML body, or an empty 200/204. */
function answerUpload(ctx: Ctx, fields: Map<string, string>, o: ObjectRecord): void {
  const redirect = fields.get('success_action_redirect');
  if (redirect) {
    const to = new URL(redirect);
    to.searchParams.set('bucket', o.bucket);
    to.searchParams.set('key', o.name);
    to.searchParams.set('etag', etagHex(o));
    return send(ctx, 303, { location: to.toString(), 'content-length': '0' });
  }
  const status = Number(fields.get('success_action_status') ?? 204);
  if (status === 201) {
    const x = xmlEscape;
    const body = `<?xml version="1.0" encoding="UTF-8"?><PostResponse><Location>${x(`${ctx.base}/${o.bucket}/${encodeURIComponent(o.name)}`)}</Location><Bucket>${x(o.bucket)}</Bucket><Key>${x(o.name)}</Key><ETag>"${etagHex(o)}"</ETag></PostResponse>`;
    return send(ctx, 201, { 'content-type': 'application/xml; charset=UTF-8', 'content-length': Buffer.byteLength(body), etag: `"${etagHex(o)}"` }, body);
  }
  sendEmpty(ctx, status === 200 ? 200 : 204);
}

const etagHex = (o: ObjectRecord): string => Buffer.from(o.md5Hash, 'base64').toString('hex');

function checkPolicy(
  fields: Map<string, string>,
  pathBucket: string,
  filename: string | undefined,
): { bucket: string; key: string; init: ObjectInit; length?: { min: number; max: number } } {
  const policyText = fields.get('policy');
  if (!policyText) throw denied('the form has no policy field');
  let policy: unknown;
  try {
    policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8'));
  } catch {
    throw badRequest('The policy field is not base64 of a JSON document.');
  }
  if (!isRecord(policy) || !Array.isArray(policy.conditions)) throw badRequest('The policy has no conditions.');
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : NaN;
  if (!Number.isFinite(expiration)) throw badRequest('The policy has no valid expiration.');
  if (Date.now() > expiration) throw denied('Policy expired');

  const conditions = policy.conditions.map(parseCondition);
  // the bucket is a condition (the client does not send it as a field when it signs for a bucket)
  const bucketCondition = conditions.find((c) => c.kind === 'eq' && c.field === 'bucket');
  const bucket = pathBucket || (bucketCondition?.kind === 'eq' ? bucketCondition.value : '') || fields.get('bucket') || '';
  if (!bucket) throw badRequest('The form names no bucket (in the URL, a bucket field or the policy).');
  const values = new Map(fields);
  values.set('bucket', bucket);
  let key = fields.get('key') ?? '';
  if (filename !== undefined) key = key.replaceAll('${filename}', filename);
  values.set('key', fields.get('key') ?? '');

  let length: { min: number; max: number } | undefined;
  const covered = new Set<string>(['bucket']);
  for (const c of conditions) {
    if (c.kind === 'length') {
      length = { min: c.min, max: c.max };
      continue;
    }
    covered.add(c.field);
    const actual = values.get(c.field) ?? '';
    if (c.kind === 'eq' ? actual !== c.value : !actual.startsWith(c.value)) {
      throw denied(`Invalid according to Policy: Policy Condition failed: ["${c.kind}", "$${c.field}", "${c.value}"]`);
    }
  }
  const extra = [...fields.keys()].filter((f) => !UNCHECKED.has(f) && !f.startsWith('x-ignore-') && !covered.has(f));
  if (extra.length > 0) throw denied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  if (!key) throw new StorageError('required', 'The form has no key field (the object name).');

  const init: ObjectInit = {};
  for (const [f, k] of XML_OBJECT_FIELDS) {
    const v = fields.get(f);
    if (v) init[k] = v;
  }
  const metadata: Record<string, string> = {};
  for (const [f, v] of fields) if (f.startsWith('x-goog-meta-')) metadata[f.slice('x-goog-meta-'.length)] = v;
  if (Object.keys(metadata).length > 0) init.metadata = metadata;
  return length ? { bucket, key, init, length } : { bucket, key, init };
}

function parseCondition(c: unknown): Condition {
  if (isRecord(c)) {
    const entries = Object.entries(c);
    const [field, value] = entries[0] ?? [];
    if (entries.length !== 1 || typeof field !== 'string') throw badRequest(`Invalid policy condition: ${JSON.stringify(c)}`);
    return { kind: 'eq', field: field.toLowerCase(), value: String(value) };
  }
  if (Array.isArray(c) && c[0] === 'content-length-range') return { kind: 'length', min: Number(c[1]), max: Number(c[2]) };
  if (Array.isArray(c) && (c[0] === 'eq' || c[0] === 'starts-with') && typeof c[1] === 'string' && c[1].startsWith('$')) {
    return { kind: c[0], field: c[1].slice(1).toLowerCase(), value: String(c[2]) };
  }
  throw badRequest(`Invalid policy condition: ${JSON.stringify(c)}`);
}

const denied = (why: string): StorageError => new StorageError('forbidden', `AccessDenied: ${why}`);
