/**
 * The upload function through the real functions framework, against the emulator suite: files
 * land in the uploads bucket under the caller's prefix with the metadata dispatch reads; bad
 * requests are refused whole with a code and write nothing; signed URLs take large documents.
 */
import { Readable } from 'node:stream';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUploadHandler, type UploadContext } from '../../functions/upload/index.ts';
import type { Caller } from '../../shared/adapters/auth.ts';
import { GcsBlobStore } from '../../shared/adapters/storage.ts';
import { createFirestore } from '../../shared/adapters/firestore-tasks.ts';
import { loadConfig } from '../../shared/config.ts';
import { openPassword } from '../../shared/core/sealed-password.ts';
import { messageFor, OcrMessage, userHashOf } from '../../shared/core/task.ts';
import { COLLECTIONS, OBJECT_METADATA, PRIORITY_TOPICS } from '../../shared/names.ts';
import { fromHeaderText, toHeaderText } from '../../shared/core/header-text.ts';
import { createLogger } from '../../shared/log.ts';
import { appContext, type AppContext } from '../../shared/services/context.ts';
import { acceptUpload } from '../../shared/services/upload/index.ts';
import type { UploadDeps } from '../../shared/services/upload/deps.ts';
import { dispatchObject, dispatchSettings, StorageObject, type DispatchDeps, type DispatchOutcome } from '../../shared/lifecycle/dispatch-object.ts';
import { waitFor } from '../support/wait.ts';
import { RecordingQueue } from '../support/fakes.ts';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson, serveHttpFunction, type ServedFunction } from '../support/http.ts';
import { localTokenVerifier } from '../support/tokens.ts';
import { startSuite, TEST_BUCKETS, TEST_SECRET, type Suite } from '../support/suite.ts';
import sharp from 'sharp';

const PNG = fixture('tessjs_simple_png.png');
const PDF = fixture('ocrmypdf_tagged.pdf');
const AUDIENCE = 'https://upload.docvault.test';

let suite: Suite;
let storage: Storage;
let upload: ServedFunction;
/** Small limits: 4 KB per document, 32 KB per request, 2 files. */
let small: ServedFunction;
/** Bearer tokens only, verified against a local signing key. */
let cloud: ServedFunction;
let signToken: (claims: Record<string, unknown>) => string;
let unconfigured: ServedFunction;
let multi: ServedFunction;
let base: AppContext;
/** Every log line the functions wrote, checked at the end for emails and tokens. */
const logLines: string[] = [];
const tokensSent: string[] = [];

let userCount = 0;
/** A fresh caller per test keeps each test's objects apart under its own prefix. */
function newUser(): Caller {
  const email = `user${++userCount}.${Date.now()}@example.com`;
  return { email, userHash: userHashOf(email, TEST_SECRET), via: 'local' };
}

async function objectsOf(userHash: string) {
  const [files] = await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix: `users/${userHash}/` });
  return files;
}

function form(files: { data: Uint8Array; name: string; type?: string }[], fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  for (const f of files) body.append('file', new Blob([f.data], { type: f.type ?? 'application/octet-stream' }), f.name);
  return body;
}

async function encodedForm(body: FormData): Promise<{ bytes: Buffer; contentType: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body });
  return { bytes: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

beforeAll(async () => {
  suite = await startSuite();
  storage = new Storage({ projectId: suite.projectId });
  base = { ...appContext('upload'), log: createLogger('upload', {}, (line) => logLines.push(line)) };
  upload = await serveHttpFunction('upload', createUploadHandler(() => base));
  const smallContext: UploadContext = {
    ...base,
    config: loadConfig({ ...process.env, MAX_DOCUMENT_BYTES: '4096', MAX_REQUEST_BYTES: String(32 * 1024) }),
    maxFiles: 2,
  };
  small = await serveHttpFunction('upload-small', createUploadHandler(() => smallContext));
  const tokens = localTokenVerifier(AUDIENCE, (token) => tokensSent.push(token));
  signToken = tokens.sign;
  const cloudContext: UploadContext = {
    ...base,
    config: { ...base.config, ALLOW_LOCAL_IDENTITY: false, AUTH_AUDIENCE: AUDIENCE },
    identity: { verifier: tokens.verifier, firebaseCerts: async () => tokens.certs },
  };
  cloud = await serveHttpFunction('upload-cloud', createUploadHandler(() => cloudContext));
  const identity = { verifier: tokens.verifier, firebaseCerts: async () => tokens.certs };
  // Deployed without AUTH_AUDIENCE (outside the emulators), and with two audiences.
  const noAudience: UploadContext = { ...base, config: { ...base.config, ALLOW_LOCAL_IDENTITY: false, AUTH_AUDIENCE: undefined, usingEmulators: false }, identity };
  const twoAudiences: UploadContext = { ...base, config: { ...base.config, ALLOW_LOCAL_IDENTITY: false, AUTH_AUDIENCE: ` https://web-client.test , ${AUDIENCE}` }, identity };
  unconfigured = await serveHttpFunction('upload-no-audience', createUploadHandler(() => noAudience));
  multi = await serveHttpFunction('upload-two-audiences', createUploadHandler(() => twoAudiences));
});

afterAll(async () => {
  await Promise.allSettled([upload?.close(), small?.close(), cloud?.close(), unconfigured?.close(), multi?.close()]);
  await suite?.stop();
});

describe('upload: multipart', () => {
  it('takes one PNG: 202 with a task id, the object under the caller prefix with the task metadata', async () => {
    const user = newUser();
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: 'scan.png', type: 'image/png' }]) });
    expect(res.status).toBe(202);
    expect(res.body.batchId).toBeUndefined();
    const [task] = res.body.tasks;
    expect(task).toEqual({ taskId: expect.stringMatching(/^[0-9a-f]{32}$/), fileName: 'scan.png', status: 'QUEUED', statusUrl: `/tasks/${task.taskId}` });
    expect(res.body.files).toEqual([{ accepted: true, ...task }]);
    // The task is there as upload answers, moved on by upload itself (dispatch is not running here): QUEUED, the caller's.
    expect(await base.tasks.getForUser(task.taskId, user.userHash)).toMatchObject({ status: 'QUEUED', source: 'upload', fileName: 'scan.png', size: PNG.length, object: `users/${user.userHash}/${task.taskId}/scan.png` });
    const files = await objectsOf(user.userHash);
    expect(files.map((f) => f.name)).toEqual([`users/${user.userHash}/${task.taskId}/scan.png`]);
    const [meta] = await files[0]!.getMetadata();
    expect(meta.contentType).toBe('image/png');
    expect(Number(meta.size)).toBe(PNG.length);
    expect(meta.metadata).toEqual({
      [OBJECT_METADATA.taskId]: task.taskId,
      [OBJECT_METADATA.originalName]: 'scan.png',
      [OBJECT_METADATA.source]: 'upload',
    });
  });

  it('takes a PNG and a PDF in one request as a batch, with language, priority and callback', async () => {
    const user = newUser();
    const body = form(
      [
        { data: PNG, name: 'page one.png', type: 'image/png' },
        { data: PDF, name: 'Rechnung März.pdf', type: 'application/pdf' },
      ],
      { language: 'eng+deu', priority: 'low', callbackUrl: 'https://hooks.example.com/ocr' },
    );
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body });
    expect(res.status).toBe(202);
    expect(res.body.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.tasks.map((t: { fileName: string }) => t.fileName)).toEqual(['page_one.png', 'Rechnung_Marz.pdf']);
    const files = await objectsOf(user.userHash);
    expect(files).toHaveLength(2);
    for (const [i, t] of (res.body.tasks as { taskId: string; fileName: string }[]).entries()) {
      const file = storage.bucket(TEST_BUCKETS.uploads).file(`users/${user.userHash}/${t.taskId}/${t.fileName}`);
      const [meta] = await file.getMetadata();
      expect(meta.contentType).toBe(i === 0 ? 'image/png' : 'application/pdf');
      expect(meta.metadata).toEqual({
        [OBJECT_METADATA.taskId]: t.taskId,
        [OBJECT_METADATA.batchId]: res.body.batchId,
        [OBJECT_METADATA.priority]: 'low',
        [OBJECT_METADATA.languages]: 'eng+deu',
        [OBJECT_METADATA.callbackUrl]: 'https://hooks.example.com/ocr',
        [OBJECT_METADATA.originalName]: i === 0 ? 'page one.png' : toHeaderText('Rechnung März.pdf'),
        [OBJECT_METADATA.source]: 'upload',
      });
    }
  });

  it('refuses a document over the page limit before writing it (PDF page tree, TIFF directories)', async () => {
    const user = newUser();
    const limited = await serveHttpFunction('upload-pages', createUploadHandler(() => ({ ...base, config: loadConfig({ ...process.env, MAX_PAGES: '1' }) })));
    try {
      const tiff = new Uint8Array(await sharp([Buffer.from(PNG), Buffer.from(PNG)], { join: { animated: true } }).tiff().toBuffer());
      for (const [data, name, type] of [
        [fixture('ocrmypdf_tagged.pdf'), 'two-pages.pdf', 'application/pdf'],
        [tiff, 'two-pages.tif', 'image/tiff'],
      ] as const) {
        const res = await fetchJson(limited.url, { method: 'POST', headers: asUser(user.email), body: form([{ data, name, type }]) });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'TOO_MANY_PAGES', details: { pages: 2, limit: 1 } });
      }
      expect(await objectsOf(user.userHash)).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('takes names in any script: an ASCII object name that keeps what it can, metadata that is header-safe and decodes to the name as typed', async () => {
    const user = newUser();
    const names = ['報告.png', 'été résumé العربية.png', 'invoice\u202Egnp.png'];
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body: form(names.map((name) => ({ data: PNG, name, type: 'image/png' }))) });
    expect(res.status).toBe(202);
    const tasks = res.body.tasks as { taskId: string; fileName: string }[];
    expect(tasks.map((t) => t.fileName)).toEqual(['document.png', 'ete_resume.png', 'invoice_gnp.png']);
    for (const [i, t] of tasks.entries()) {
      const object = storage.bucket(TEST_BUCKETS.uploads).file(`users/${user.userHash}/${t.taskId}/${t.fileName}`);
      // Read back through the headers a download carries: what the worker does first.
      expect((await object.download())[0].equals(PNG)).toBe(true);
      const [meta] = await object.getMetadata();
      for (const value of Object.values(meta.metadata ?? {})) expect(String(value)).toMatch(/^[\x20-\x7e]*$/);
      expect(fromHeaderText(String(meta.metadata?.[OBJECT_METADATA.originalName]))).toBe(names[i]);
    }
  });

  it('sanitises a path-traversal name: stored under the caller prefix, the original kept in metadata', async () => {
    const user = newUser();
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: '../../etc/passwd.png' }]) });
    expect(res.status).toBe(202);
    const { taskId } = res.body.tasks[0];
    const files = await objectsOf(user.userHash);
    expect(files.map((f) => f.name)).toEqual([`users/${user.userHash}/${taskId}/passwd.png`]);
    expect((await files[0]!.getMetadata())[0].metadata?.[OBJECT_METADATA.originalName]).toBe('../../etc/passwd.png');
    const [outside] = await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix: 'etc/' });
    expect(outside).toHaveLength(0);
  });

  const text = new TextEncoder().encode('just some text, not a document at all\n');
  const bad: { label: string; server: () => ServedFunction; body: () => FormData | string; headers?: Record<string, string>; status: number; code: string }[] = [
    { label: 'a zero-byte file', server: () => upload, body: () => form([{ data: new Uint8Array(), name: 'empty.pdf' }]), status: 400, code: 'EMPTY_FILE' },
    { label: 'a text file renamed .pdf', server: () => upload, body: () => form([{ data: text, name: 'notes.pdf', type: 'application/pdf' }]), status: 415, code: 'UNSUPPORTED_TYPE' },
    { label: 'a document over the size limit', server: () => small, body: () => form([{ data: PDF.slice(0, 10_000), name: 'big.pdf' }]), status: 413, code: 'FILE_TOO_LARGE' },
    { label: 'two files, both bad', server: () => upload, body: () => form([{ data: text, name: 'notes.png' }, { data: new Uint8Array(), name: 'empty.pdf' }]), status: 415, code: 'UNSUPPORTED_TYPE' },
    { label: 'a PDF header with no PDF behind it', server: () => upload, body: () => form([{ data: fixture('ocrmypdf_invalid.pdf'), name: 'invalid.pdf' }]), status: 400, code: 'CORRUPT_DOCUMENT' },
    { label: 'a request over the request limit', server: () => small, body: () => form([{ data: PDF, name: 'big.pdf' }]), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { label: 'too many files', server: () => small, body: () => form([1, 2, 3].map((i) => ({ data: PNG, name: `p${i}.png` }))), status: 400, code: 'TOO_MANY_FILES' },
    { label: 'no file', server: () => upload, body: () => form([], { language: 'eng' }), status: 400, code: 'INVALID_REQUEST' },
    { label: 'an unknown priority', server: () => upload, body: () => form([{ data: PNG, name: 'a.png' }], { priority: 'urgent' }), status: 400, code: 'INVALID_REQUEST' },
    { label: 'a callback that is not http(s)', server: () => upload, body: () => form([{ data: PNG, name: 'a.png' }], { callbackUrl: 'file:///etc/passwd' }), status: 400, code: 'INVALID_REQUEST' },
    { label: 'a callback with a user name and password', server: () => upload, body: () => form([{ data: PNG, name: 'a.png' }], { callbackUrl: 'http://user:pass@hooks.example.com/ocr' }), status: 400, code: 'INVALID_REQUEST' },
    { label: 'a body that is not multipart', server: () => upload, body: () => 'hello', headers: { 'content-type': 'text/plain' }, status: 400, code: 'INVALID_REQUEST' },
  ];
  it.each(bad)('refuses $label with $status $code and writes nothing', async ({ server, body, headers, status, code }) => {
    const user = newUser();
    const res = await fetchJson(server().url, { method: 'POST', headers: asUser(user.email, headers), body: body() });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(await objectsOf(user.userHash)).toHaveLength(0);
  });

  it('takes the good files of a request with bad ones: 207, each file with its outcome and code', async () => {
    const user = newUser();
    const body = form([
      { data: PNG, name: 'one.png' },
      { data: text, name: 'notes.png' },
      { data: PNG, name: 'two.png' },
      { data: new Uint8Array(), name: 'empty.pdf' },
    ]);
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body });
    expect(res.status).toBe(207);
    expect(res.body.tasks.map((t: { fileName: string }) => t.fileName)).toEqual(['one.png', 'two.png']);
    expect(res.body.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.files).toEqual([
      { accepted: true, ...res.body.tasks[0] },
      { accepted: false, fileName: 'notes.png', httpStatus: 415, error: expect.objectContaining({ code: 'UNSUPPORTED_TYPE', message: expect.stringMatching(/^notes\.png: /) }) },
      { accepted: true, ...res.body.tasks[1] },
      { accepted: false, fileName: 'empty.pdf', httpStatus: 400, error: expect.objectContaining({ code: 'EMPTY_FILE' }) },
    ]);
    expect((await objectsOf(user.userHash)).map((f) => f.name).sort()).toEqual(
      (res.body.tasks as { taskId: string; fileName: string }[]).map((t) => `users/${user.userHash}/${t.taskId}/${t.fileName}`).sort(),
    );
    // Nothing taken: the first file's error answers, with every file's outcome.
    const none = await fetchJson(small.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: text, name: 'a.png' }, { data: PDF.slice(0, 10_000), name: 'big.pdf' }]) });
    expect(none.status).toBe(415);
    expect(none.body.error.details.files.map((f: { error: { code: string } }) => f.error.code)).toEqual(['UNSUPPORTED_TYPE', 'FILE_TOO_LARGE']);
  });

  it('gives an absolute statusUrl on the api when API_URL is configured', async () => {
    const user = newUser();
    const deps = { ...base, config: { ...base.config, API_URL: 'http://127.0.0.1:8082/' } };
    const { bytes, contentType } = await encodedForm(form([{ data: PNG, name: 'abs.png' }]));
    const accepted = await acceptUpload(deps, user, { headers: { 'content-type': contentType }, body: bytes });
    expect(accepted.tasks[0]!.statusUrl).toBe(`http://127.0.0.1:8082/tasks/${accepted.tasks[0]!.taskId}`);
  });

  it('explains the signed-URL way when the request is too large', async () => {
    const res = await fetchJson(small.url, { method: 'POST', headers: asUser(newUser().email), body: form([{ data: PDF, name: 'big.pdf' }]) });
    expect(res.body.error.message).toMatch(/POST \/uploads/);
  });

  it('answers 405 to anything but POST', async () => {
    const res = await fetchJson(upload.url, { headers: asUser(newUser().email) });
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 422 STORAGE_REFUSED, not 500, when Cloud Storage refuses the write for good, and leaves nothing behind', async () => {
    const user = newUser();
    // The real adapter and emulator; the write carries more custom metadata than Cloud Storage's 8 KiB, which it refuses with a 400.
    class OverfullMetadata extends GcsBlobStore {
      override writeOnce(...[ref, data, type, metadata]: Parameters<GcsBlobStore['writeOnce']>) {
        return super.writeOnce(ref, data, type, { ...metadata, padding: 'x'.repeat(9 * 1024) });
      }
    }
    const refusing: UploadContext = { ...base, blobs: new OverfullMetadata(storage) };
    const served = await serveHttpFunction('upload-refused', createUploadHandler(() => refusing));
    try {
      const res = await fetchJson(served.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: 'refused.png' }]) });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'STORAGE_REFUSED', message: expect.stringMatching(/^Cloud Storage refused to write an object \(HTTP 400: /) });
      expect(await objectsOf(user.userHash)).toEqual([]);
    } finally {
      await served.close();
    }
  });
});

describe('upload: the service without the framework', () => {
  const encoded = encodedForm;

  it('reads the request stream when no buffered body is there', async () => {
    const user = newUser();
    const { bytes, contentType } = await encoded(form([{ data: PNG, name: 'streamed.png' }]));
    const accepted = await acceptUpload(base, user, { headers: { 'content-type': contentType }, body: Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]) });
    expect((await objectsOf(user.userHash)).map((f) => f.name)).toEqual([`users/${user.userHash}/${accepted.tasks[0]!.taskId}/streamed.png`]);
  });

  it('counts a stream without a Content-Length against the request limit', async () => {
    const user = newUser();
    const { bytes, contentType } = await encoded(form([{ data: PDF, name: 'big.pdf' }, { data: PDF, name: 'big2.pdf' }]));
    const deps = { ...base, config: loadConfig({ ...process.env, MAX_REQUEST_BYTES: String(64 * 1024) }) };
    const chunks = Array.from({ length: Math.ceil(bytes.length / 8192) }, (_, i) => bytes.subarray(i * 8192, (i + 1) * 8192));
    await expect(acceptUpload(deps, user, { headers: { 'content-type': contentType }, body: Readable.from(chunks) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await objectsOf(user.userHash)).toHaveLength(0);
  });
});

describe('upload: its own dispatch, and the finalize event after it', () => {
  /** Dispatch's deps as the dispatch function builds them, on the real stores; messages recorded, not sent. */
  const dispatchDeps = (queue: DispatchDeps['queue']): DispatchDeps => ({ ...dispatchSettings(base.config), tasks: base.tasks, admission: base.admission, queue, log: base.log });
  /** The object's finalize event as dispatch receives it: the object resource, read back from the bucket. */
  const finalizeEvent = async (name: string) => StorageObject.parse((await storage.bucket(TEST_BUCKETS.uploads).file(name).getMetadata())[0]);
  const userTasks = async (userHash: string) => (await base.firestore.collection(COLLECTIONS.tasks).where('userHash', '==', userHash).get()).docs.map((d) => d.id);
  let published: OcrMessage[];
  let subscriptions: Subscription[];

  beforeAll(async () => {
    published = [];
    const pubsub = new PubSub({ projectId: suite.projectId });
    subscriptions = await Promise.all(Object.values(PRIORITY_TOPICS).map(async (topic) => (await pubsub.topic(topic).createSubscription(`upload-test-${topic}`))[0]));
    for (const sub of subscriptions) {
      sub.on('message', (m: Message) => {
        published.push(OcrMessage.parse(JSON.parse(m.data.toString())));
        m.ack();
      });
    }
  });
  afterAll(() => Promise.allSettled(subscriptions.map((sub) => sub.close())));

  it('an upload answered is QUEUED and published with no finalize event delivered; the event, delivered after, changes nothing', async () => {
    const user = newUser();
    const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: 'own.png', type: 'image/png' }]) });
    expect(res.status).toBe(202);
    const { taskId } = res.body.tasks[0];
    expect(res.body.tasks[0].status).toBe('QUEUED');
    const name = `users/${user.userHash}/${taskId}/own.png`;
    const [object] = await storage.bucket(TEST_BUCKETS.uploads).file(name).getMetadata();
    // Upload's admission may end just after its answer (it waits UPLOAD_ADMISSION_WAIT_MS at most): the message first.
    const message = await waitFor('the task on its topic', async () => published.find((m) => m.taskId === taskId), 20_000, 50);
    const task = (await base.tasks.getForUser(taskId, user.userHash))!;
    // Admitted and published by upload (no finalize event is delivered here): the generation it wrote, no PENDING expiry left.
    expect(task).toMatchObject({ status: 'QUEUED', generation: String(object.generation), expireAt: null, admittedAt: expect.any(Date), dispatchedAt: expect.any(Date) });
    expect(message).toEqual(messageFor(task));

    // The finalize event dispatch would have: one task, nothing published, nothing written.
    const recorded = new RecordingQueue();
    const outcome = await dispatchObject(await finalizeEvent(name), dispatchDeps(recorded));
    expect(outcome).toMatchObject({ kind: 'queued', created: false, published: false, task: { taskId } });
    expect(recorded.tasks).toEqual([]);
    expect(await base.tasks.get(taskId)).toEqual(task);
    expect(await userTasks(user.userHash)).toEqual([taskId]);
    expect(published.filter((m) => m.taskId === taskId)).toHaveLength(1);
  });

  it("answers while another admission of the same user (a worker's, in another process) holds the user's admission document; the task is admitted and published once all the same", async () => {
    const user = newUser();
    // The other admitter: a transaction of its own client that holds the lock until upload has answered (15 s at most).
    const other = createFirestore(suite.projectId);
    const lock = other.collection(COLLECTIONS.admission).doc(user.userHash);
    let answered = false;
    let released = false;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const admitter = other
      .runTransaction(async (tx) => {
        await tx.get(lock);
        holding();
        const until = Date.now() + 15_000;
        while (!answered && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        tx.set(lock, { userHash: user.userHash }, { merge: true });
      })
      .finally(() => (released = true));
    try {
      await held;
      const res = await fetchJson(upload.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: 'contended.png', type: 'image/png' }]) });
      const releasedBeforeAnswer = released;
      answered = true;
      expect(res.status).toBe(202);
      // Before, upload's admission waited for the other one (on the emulator: its lock timeout, then the client's backoff, again and again).
      expect(releasedBeforeAnswer).toBe(false);
      const { taskId, status } = res.body.tasks[0];
      expect(status).toBe('QUEUED');
      await admitter;
      // Nothing lost: admitted and published (upload's admission carries on behind its answer, or the event would), once.
      const message = await waitFor('the task on its topic', async () => published.find((m) => m.taskId === taskId), 30_000, 50);
      const task = (await base.tasks.get(taskId))!;
      expect(task).toMatchObject({ status: 'QUEUED', admittedAt: expect.any(Date), dispatchedAt: expect.any(Date) });
      expect(message).toEqual(messageFor(task));
      await new Promise((r) => setTimeout(r, 500));
      expect(published.filter((m) => m.taskId === taskId)).toHaveLength(1);
    } finally {
      answered = true;
      await admitter.catch(() => undefined);
      await other.terminate();
    }
  }, 60_000);

  const failing = () => Object.assign(new Error('the service is unavailable'), { code: 14 });
  const failures: { label: string; deps: () => Partial<UploadContext>; left: string }[] = [
    {
      label: 'the publish fails',
      deps: () => ({ queue: { publishTask: async () => Promise.reject(failing()), publishEvent: (e) => base.queue.publishEvent(e) } }),
      left: 'QUEUED',
    },
    {
      label: 'moving the task on fails (Firestore)',
      deps: () => ({
        tasks: {
          createIfAbsent: (t) => base.tasks.createIfAbsent(t),
          get: (taskId) => base.tasks.get(taskId),
          createOrArrive: async () => Promise.reject(failing()),
          fail: (...a) => base.tasks.fail(...a),
          markDispatched: (...a) => base.tasks.markDispatched(...a),
          markAnnounced: (...a) => base.tasks.markAnnounced(...a),
        },
      }),
      left: 'PENDING',
    },
  ];
  it.each(failures)('when $label after the object is written: 202, the task kept ($left), and the finalize event carries it on', async ({ deps, left }) => {
    const user = newUser();
    const served = await serveHttpFunction('upload-failing', createUploadHandler(() => ({ ...base, ...deps() })));
    try {
      const res = await fetchJson(served.url, { method: 'POST', headers: asUser(user.email), body: form([{ data: PNG, name: 'later.png', type: 'image/png' }]) });
      expect(res.status).toBe(202);
      const { taskId } = res.body.tasks[0];
      expect(res.body.tasks[0].status).toBe('PENDING');
      expect(await base.tasks.get(taskId)).toMatchObject({ status: left, dispatchedAt: null, admittedAt: null });
      expect(logLines.some((l) => l.includes('task not dispatched by upload') && l.includes(taskId))).toBe(true);

      const recorded = new RecordingQueue();
      const outcome = await dispatchObject(await finalizeEvent(`users/${user.userHash}/${taskId}/later.png`), dispatchDeps(recorded));
      expect(outcome).toMatchObject({ kind: 'queued', created: false, published: true });
      const task = await base.tasks.get(taskId);
      expect(task).toMatchObject({ status: 'QUEUED', dispatchedAt: expect.any(Date) });
      expect(recorded.tasks).toEqual([messageFor(task!)]);
      expect(await userTasks(user.userHash)).toEqual([taskId]);
    } finally {
      await served.close();
    }
  });
});

describe('upload: a password when dispatch comes first', () => {
  it('the task dispatch creates from the object (its event before upload writes the task) has the password from its first write', async () => {
    const user = newUser();
    const password = 'dispatch-first-password';
    const { bytes, contentType } = await encodedForm(form([{ data: PDF, name: 'locked.pdf', type: 'application/pdf' }], { password }));
    const dispatched: DispatchOutcome[] = [];
    const dispatchDeps: DispatchDeps = {
      tasks: base.tasks,
      admission: base.admission,
      fairness: base.config.fairness,
      queue: new RecordingQueue(),
      log: base.log,
      uploadsBucket: base.config.UPLOADS_BUCKET,
      maxAttempts: base.config.MAX_ATTEMPTS,
      priorityRules: base.config.PRIORITY_RULES,
      maxBytes: base.config.limits.maxBytes,
      retentionMs: base.config.retentionMs,
    };
    // The object's finalize event handled before writeOnce returns: the order that lost the password.
    const blobs: UploadDeps['blobs'] = {
      delete: (ref) => base.blobs.delete(ref),
      writeOnce: async (ref, data, type, metadata) => {
        const outcome = await base.blobs.writeOnce(ref, data, type, metadata);
        const [object] = await storage.bucket(ref.bucket).file(ref.name).getMetadata();
        dispatched.push(await dispatchObject(StorageObject.parse(object), dispatchDeps));
        return outcome;
      },
    };
    const accepted = await acceptUpload({ ...base, blobs }, user, { headers: { 'content-type': contentType }, body: bytes });
    expect(dispatched).toHaveLength(1);
    const first = dispatched[0]!;
    expect(first).toMatchObject({ kind: 'queued', created: true, task: { taskId: accepted.tasks[0]!.taskId, status: 'QUEUED' } });
    const created = (first as Extract<DispatchOutcome, { kind: 'queued' }>).task;
    expect(openPassword(base.config.PASSWORD_KEY!, created.sealedPassword!)).toBe(password);
    expect(accepted.tasks[0]!.status).toBe('QUEUED');
    expect((await base.tasks.getForUser(created.taskId, user.userHash))?.sealedPassword).toBe(created.sealedPassword);
    expect(logLines.join('\n')).not.toContain(password);
  });
});

describe('upload: identity', () => {
  it('answers 401 without an identity, with a malformed one, or with a bad token, and writes nothing', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-user-email': 'not-an-email' }, { authorization: 'Bearer abc.def.ghi' }, { authorization: 'Basic dXNlcjpwdw==' }];
    for (const headers of attempts) {
      const res = await fetchJson(upload.url, { method: 'POST', headers, body: form([{ data: PNG, name: 'a.png' }]) });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    const [files] = await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix: 'users/' + userHashOf('not-an-email', TEST_SECRET) });
    expect(files).toHaveLength(0);
  });

  it('accepts a Firebase ID token of this project, not of another', async () => {
    const user = newUser();
    const firebase = (project: string) => signToken({ iss: `https://securetoken.google.com/${project}`, aud: project, email: user.email, email_verified: true });
    const ok = await fetchJson(cloud.url, { method: 'POST', headers: { authorization: `Bearer ${firebase(suite.projectId)}` }, body: form([{ data: PNG, name: 'f.png' }]) });
    expect(ok.status).toBe(202);
    const other = await fetchJson(cloud.url, { method: 'POST', headers: { authorization: `Bearer ${firebase('someone-elses-project')}` }, body: form([{ data: PNG, name: 'g.png' }]) });
    expect(other.status).toBe(401);
    expect((await objectsOf(user.userHash)).map((f) => f.name)).toEqual([`users/${user.userHash}/${ok.body.tasks[0].taskId}/f.png`]);
  });

  it('accepts a verified Google ID token and files the upload under that email; refuses X-User-Email outside emulator mode', async () => {
    const user = newUser();
    const ok = await fetchJson(cloud.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${signToken({ email: user.email.toUpperCase(), email_verified: true })}` },
      body: form([{ data: PNG, name: 'a.png' }]),
    });
    expect(ok.status).toBe(202);
    expect((await objectsOf(user.userHash)).map((f) => f.name)).toEqual([`users/${user.userHash}/${ok.body.tasks[0].taskId}/a.png`]);

    const now = Math.floor(Date.now() / 1000);
    const refused = [
      { authorization: `Bearer ${signToken({ email: user.email, email_verified: false })}` },
      { authorization: `Bearer ${signToken({ email: user.email, email_verified: true, aud: 'https://someone-else.test' })}` },
      { authorization: `Bearer ${signToken({ email: user.email, email_verified: true, iat: now - 7200, exp: now - 3600 })}` },
      { authorization: `Bearer ${signToken({ email: user.email, email_verified: true, iss: 'https://evil.example.com' })}` },
      { authorization: `Bearer ${signToken({ email: user.email, email_verified: true })}x` },
      asUser(user.email),
    ];
    for (const headers of refused) {
      const res = await fetchJson(cloud.url, { method: 'POST', headers, body: form([{ data: PNG, name: 'b.png' }]) });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(res.body)).not.toContain(user.email);
    }
    expect(await objectsOf(user.userHash)).toHaveLength(1);
  });
});

describe('upload: token audiences', () => {
  it('outside the emulators, without AUTH_AUDIENCE, refuses every Google ID token (one minted for another app would pass) but still takes Firebase ones', async () => {
    const user = newUser();
    for (const aud of [AUDIENCE, 'https://some-other-app.test']) {
      const res = await fetchJson(unconfigured.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${signToken({ email: user.email, email_verified: true, aud })}` },
        body: form([{ data: PNG, name: 'x.png' }]),
      });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/AUTH_AUDIENCE/);
    }
    const firebase = signToken({ iss: `https://securetoken.google.com/${suite.projectId}`, aud: suite.projectId, email: user.email, email_verified: true });
    expect((await fetchJson(unconfigured.url, { method: 'POST', headers: { authorization: `Bearer ${firebase}` }, body: form([{ data: PNG, name: 'f.png' }]) })).status).toBe(202);
  });

  it('takes a token for any audience listed in AUTH_AUDIENCE (comma-separated), and no other', async () => {
    const user = newUser();
    const send = (aud: string) =>
      fetchJson(multi.url, { method: 'POST', headers: { authorization: `Bearer ${signToken({ email: user.email, email_verified: true, aud })}` }, body: form([{ data: PNG, name: 'm.png' }]) });
    expect((await send('https://web-client.test')).status).toBe(202);
    expect((await send(AUDIENCE)).status).toBe(202);
    expect((await send('https://some-other-app.test')).status).toBe(401);
  });
});

describe('upload: callbacks outside the emulators', () => {
  it('refuses a callbackUrl on a private or internal host with 400, before anything is written; a public one is taken', async () => {
    const user = newUser();
    const firebase = signToken({ iss: `https://securetoken.google.com/${suite.projectId}`, aud: suite.projectId, email: user.email, email_verified: true });
    const send = (callbackUrl: string) =>
      fetchJson(unconfigured.url, { method: 'POST', headers: { authorization: `Bearer ${firebase}` }, body: form([{ data: PNG, name: 'c.png' }], { callbackUrl }) });
    for (const url of ['http://169.254.169.254/computeMetadata/v1/', 'http://metadata/', 'http://localhost.:8080/', 'http://[::ffff:10.0.0.1]/']) {
      const res = await send(url);
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    expect(await objectsOf(user.userHash)).toHaveLength(0);
    expect((await send('https://hooks.example.com/ocr')).status).toBe(202);
  });
});

describe('upload: signed URLs', () => {
  it('issues a resumable V4 signed URL; POST start + PUTs to the session land the object with the task metadata, once', async () => {
    const user = newUser();
    const res = await fetchJson(`${upload.url}/uploads`, {
      method: 'POST',
      headers: asUser(user.email, { 'content-type': 'application/json' }),
      body: JSON.stringify({ fileName: 'Big scan.pdf', size: PDF.length, contentType: 'application/pdf', language: 'deu', priority: 'high' }),
    });
    expect(res.status).toBe(200);
    const { taskId, uploadUrl, method, resumable, headers, expiresAt, statusUrl, howTo } = res.body;
    expect(method).toBe('POST');
    expect(resumable).toBe(true);
    expect(howTo).toMatch(/x-goog-resumable|these headers/);
    expect(howTo).toMatch(/PUT the bytes to that Location/);
    expect(statusUrl).toBe(`/tasks/${taskId}`);
    // Visible before its bytes: PENDING, with the declared size and the name as typed.
    expect(res.body.status).toBe('PENDING');
    expect(await base.tasks.getForUser(taskId, user.userHash)).toMatchObject({ status: 'PENDING', source: 'signed-url', fileName: 'Big scan.pdf', size: PDF.length, priority: 'high', languages: ['deu'] });
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
    const url = new URL(uploadUrl);
    const objectName = `users/${user.userHash}/${taskId}/Big_scan.pdf`;
    expect(`${url.origin}${url.pathname}`).toBe(`${suite.env.STORAGE_EMULATOR_HOST}/${TEST_BUCKETS.uploads}/${objectName}`);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    const signed = url.searchParams.get('X-Goog-SignedHeaders')!.split(';');
    expect(signed).toEqual(
      expect.arrayContaining(['content-type', 'x-goog-resumable', 'x-goog-meta-docvault-task-id', 'x-goog-if-generation-match', 'x-goog-content-length-range']),
    );
    // every header handed out is signed, so the client cannot send a different one
    expect(signed).toEqual(expect.arrayContaining(Object.keys(headers)));
    expect(headers['x-goog-resumable']).toBe('start');
    expect(headers['x-goog-content-length-range']).toMatch(/^1,\d+$/);

    // step 1: start the session
    const started = await fetch(uploadUrl, { method: 'POST', headers });
    expect(started.status).toBe(201);
    const session = started.headers.get('location')!;
    expect(session).toMatch(/upload_id=/);
    // step 2: the bytes, here in two chunks as a client resuming would send them
    const cut = Math.floor(PDF.length / 2);
    const first = await fetch(session, { method: 'PUT', headers: { 'content-range': `bytes 0-${cut - 1}/*` }, body: PDF.subarray(0, cut) });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe(`bytes=0-${cut - 1}`);
    const object = storage.bucket(TEST_BUCKETS.uploads).file(objectName);
    expect((await object.exists())[0]).toBe(false);
    const last = await fetch(session, { method: 'PUT', headers: { 'content-range': `bytes ${cut}-${PDF.length - 1}/${PDF.length}` }, body: PDF.subarray(cut) });
    expect(last.status).toBe(200);

    const [meta] = await object.getMetadata();
    expect(meta.contentType).toBe('application/pdf');
    expect(Number(meta.size)).toBe(PDF.length);
    expect((await object.download())[0].equals(PDF)).toBe(true);
    expect(meta.metadata).toEqual({
      [OBJECT_METADATA.taskId]: taskId,
      [OBJECT_METADATA.priority]: 'high',
      [OBJECT_METADATA.languages]: 'deu',
      [OBJECT_METADATA.originalName]: 'Big scan.pdf',
      [OBJECT_METADATA.source]: 'signed-url',
    });
    // The URL names one object that must not exist yet: a second session cannot replace the document.
    const again = await fetch(uploadUrl, { method: 'POST', headers });
    expect(again.status).toBe(412);
    expect((await object.download())[0].equals(PDF)).toBe(true);
  });

  it.each([
    { label: 'an empty file', body: { fileName: 'a.pdf', size: 0, contentType: 'application/pdf' }, status: 400, code: 'EMPTY_FILE' },
    { label: 'an unsupported type', body: { fileName: 'a.txt', size: 10, contentType: 'text/plain' }, status: 415, code: 'UNSUPPORTED_TYPE' },
    { label: 'a file over the document limit', body: { fileName: 'a.pdf', size: 10 * 1024 ** 3, contentType: 'application/pdf' }, status: 413, code: 'FILE_TOO_LARGE' },
    { label: 'a missing size', body: { fileName: 'a.pdf', contentType: 'application/pdf' }, status: 400, code: 'INVALID_REQUEST' },
    { label: 'a callback with user-info', body: { fileName: 'a.pdf', size: 10, contentType: 'application/pdf', callbackUrl: 'https://user:secret@hooks.example.com/' }, status: 400, code: 'INVALID_REQUEST' },
  ])('refuses $label with $code', async ({ body, status, code }) => {
    const res = await fetchJson(`${upload.url}/uploads`, { method: 'POST', headers: asUser(newUser().email, { 'content-type': 'application/json' }), body: JSON.stringify(body) });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('seals a password sent with the request into the task and the signed metadata header; the object carries it sealed, never in plain text', async () => {
    const user = newUser();
    const password = 'signed-url-pdf-password';
    const res = await fetchJson(`${upload.url}/uploads`, {
      method: 'POST',
      headers: asUser(user.email, { 'content-type': 'application/json' }),
      body: JSON.stringify({ fileName: 'locked.pdf', size: PDF.length, contentType: 'application/pdf', password }),
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(password);
    const task = await base.tasks.getForUser(res.body.taskId, user.userHash);
    expect(task?.sealedPassword).toMatch(/^v1\./);
    expect(openPassword(base.config.PASSWORD_KEY!, task!.sealedPassword!)).toBe(password);
    // The sealed form is a signed header: the object made through the URL carries it, and no other.
    const header = `x-goog-meta-${OBJECT_METADATA.sealedPassword}`;
    const sealed = res.body.headers[header] as string;
    expect(openPassword(base.config.PASSWORD_KEY!, sealed)).toBe(password);
    expect(new URL(res.body.uploadUrl).searchParams.get('X-Goog-SignedHeaders')!.split(';')).toContain(header);
    const started = await fetch(res.body.uploadUrl, { method: 'POST', headers: res.body.headers });
    expect(started.status).toBe(201);
    expect((await fetch(started.headers.get('location')!, { method: 'PUT', body: PDF })).status).toBe(200);
    const [meta] = await storage.bucket(TEST_BUCKETS.uploads).file(`users/${user.userHash}/${res.body.taskId}/locked.pdf`).getMetadata();
    expect(meta.metadata?.[OBJECT_METADATA.sealedPassword]).toBe(sealed);
    expect(JSON.stringify(meta)).not.toContain(password);
    expect(logLines.join('\n')).not.toContain(password);
  });

  it('answers 401 to POST /uploads without an identity', async () => {
    const res = await fetchJson(`${upload.url}/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fileName: 'a.pdf', size: 1, contentType: 'application/pdf' }) });
    expect(res.status).toBe(401);
  });
});

describe('upload: logs', () => {
  it('never wrote an email or a token to the logs', () => {
    expect(logLines.length).toBeGreaterThan(10);
    const all = logLines.join('\n');
    expect(all).not.toMatch(/@example\.com/i);
    for (const token of tokensSent) expect(all).not.toContain(token.split('.')[2]);
    for (const line of logLines) expect(JSON.parse(line)).toMatchObject({ severity: expect.any(String), message: expect.any(String) });
  });
});
