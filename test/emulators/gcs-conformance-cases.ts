/**
 * What Cloud Storage does, asserted against the emulator through the real `@google-cloud/storage`
 * client (and, for what a browser or a signed URL sends, plain HTTP). One table, two runners: the
 * vitest file `gcs-conformance.test.ts` (part of `npm test`) and `gcs-conformance-run.ts`
 * (`npm run conformance:gcs`, with the gcloud checklist, printing pass/fail counts).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, Storage, type Bucket, type FileMetadata } from '@google-cloud/storage';
import { startStorageEmulator, type StorageEmulator } from '../../emulators/gcs/index.ts';
import { fakeCredentials } from '../support/gcs-keys.ts';

export interface ConformanceEnv {
  emulator: StorageEmulator;
  storage: Storage;
  /** A fresh bucket name per case, so cases never see each other's objects. */
  bucketName(): string;
  logs: Record<string, unknown>[];
}

export interface ConformanceCase {
  group: string;
  name: string;
  run(env: ConformanceEnv): Promise<void>;
}

export async function startConformanceEnv(): Promise<ConformanceEnv> {
  const logs: Record<string, unknown>[] = [];
  const emulator = await startStorageEmulator({
    projectId: 'conformance',
    log: (e) => logs.push(e),
    delivery: { initialBackoffMs: 20, maxBackoffMs: 50, retryDeadlineMs: 2_000 },
  });
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'conformance', credentials: fakeCredentials() });
  let n = 0;
  return { emulator, storage, logs, bucketName: () => `conf-${process.pid}-${++n}` };
}

const ORIGIN = 'http://console.local:5173';

async function newBucket(env: ConformanceEnv, metadata: Record<string, unknown> = {}): Promise<Bucket> {
  const [b] = await env.storage.createBucket(env.bucketName(), metadata);
  return b;
}

/** The API error a call rejects with (status and message), or a failed assertion if it succeeded. */
async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  assert.fail('expected the call to be refused');
}

/** A browser-style form upload under a V4 POST policy: the policy's fields, then `file` last. */
async function postForm(policy: { url: string; fields: Record<string, string> }, file: string | Blob): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  form.append('file', file);
  return fetch(policy.url, { method: 'POST', body: form });
}

async function signedUrl(bucket: Bucket, name: string, config: Record<string, unknown>): Promise<string> {
  const [url] = await bucket.file(name).getSignedUrl({ version: 'v4', expires: Date.now() + 60_000, ...config } as never);
  return url;
}

const CORS_RULES = [{ origin: [ORIGIN], method: ['GET', 'POST', 'PUT'], responseHeader: ['Content-Type', 'Location', 'X-Goog-Generation'], maxAgeSeconds: 600 }];

export const CASES: ConformanceCase[] = [
  // ---- CORS ----
  {
    group: 'cors',
    name: 'a bucket CORS configuration is stored and read back as written; [] removes it',
    async run(env) {
      const b = await newBucket(env);
      await b.setCorsConfiguration(CORS_RULES);
      const [m] = await b.getMetadata();
      assert.deepEqual(m.cors, CORS_RULES);
      await b.setCorsConfiguration([]);
      const [after] = await b.getMetadata();
      assert.equal(after.cors, undefined);
    },
  },
  {
    group: 'cors',
    name: 'preflight OPTIONS on the JSON API allows the origin and the requested method and headers',
    async run(env) {
      const b = await newBucket(env);
      const r = await fetch(`${env.emulator.url}/upload/storage/v1/b/${b.name}/o?uploadType=resumable`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-upload-content-type' },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.equal(r.headers.get('access-control-allow-headers'), 'content-type,x-upload-content-type');
      const get = await fetch(`${env.emulator.url}/storage/v1/b/${b.name}`, { headers: { origin: ORIGIN } });
      assert.equal(get.headers.get('access-control-allow-origin'), ORIGIN);
    },
  },
  {
    group: 'cors',
    name: 'a browser uploads to a signed resumable URL: preflights, start, PUT, all with Access-Control-Allow-Origin',
    async run(env) {
      const b = await newBucket(env, { cors: CORS_RULES });
      const url = await signedUrl(b, 'from-browser.pdf', { action: 'resumable', contentType: 'application/pdf' });
      const pre = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-goog-resumable' },
      });
      assert.equal(pre.status, 200);
      assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(pre.headers.get('access-control-max-age'), '600');
      const start = await fetch(url, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/pdf', 'x-goog-resumable': 'start' } });
      assert.equal(start.status, 201);
      assert.equal(start.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(start.headers.get('access-control-expose-headers') ?? '', /Location/);
      const session = start.headers.get('location') as string;
      const prePut = await fetch(session, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' } });
      assert.equal(prePut.status, 200);
      const put = await fetch(session, { method: 'PUT', headers: { origin: ORIGIN }, body: '%PDF-1.4 from a page' });
      assert.equal(put.status, 200);
      assert.equal(put.headers.get('access-control-allow-origin'), ORIGIN);
      const [content] = await b.file('from-browser.pdf').download();
      assert.equal(content.toString(), '%PDF-1.4 from a page');
    },
  },
  {
    group: 'cors',
    name: 'an origin or method no rule allows: preflight 403, no Access-Control-Allow-Origin on the answer',
    async run(env) {
      const b = await newBucket(env, { cors: CORS_RULES });
      await b.file('x.txt').save('x');
      const url = await signedUrl(b, 'x.txt', { action: 'read' });
      const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://evil.local', 'access-control-request-method': 'GET' } });
      assert.equal(pre.status, 403);
      const del = await fetch(url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'DELETE' } });
      assert.equal(del.status, 403);
      const get = await fetch(url, { headers: { origin: 'http://evil.local' } });
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('access-control-allow-origin'), null);
      const ok = await fetch(url, { headers: { origin: ORIGIN } });
      assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(ok.headers.get('access-control-expose-headers'), 'Content-Type, Location, X-Goog-Generation');
    },
  },

  // ---- silent successes ----
  {
    group: 'silent-success',
    name: 'a V4 POST-policy form upload stores the object (204) with its metadata',
    async run(env) {
      const b = await newBucket(env);
      const file = b.file('form/upload.txt');
      const [policy] = await file.generateSignedPostPolicyV4({
        expires: Date.now() + 60_000,
        conditions: [['content-length-range', 0, 1000]],
        fields: { 'x-goog-meta-test': 'data' },
      });
      const form = new FormData();
      for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
      form.append('file', new Blob(['my-content']), 'upload.txt');
      const r = await fetch(policy.url, { method: 'POST', body: form });
      assert.equal(r.status, 204);
      const [content] = await file.download();
      assert.equal(content.toString(), 'my-content');
      const [m] = await file.getMetadata();
      assert.deepEqual(m.metadata, { test: 'data' });
    },
  },
  {
    group: 'silent-success',
    name: 'a POST-policy form whose file part has no filename (a plain text field) stores that text',
    async run(env) {
      const b = await newBucket(env);
      const file = b.file('form/text-field.txt');
      const [policy] = await file.generateSignedPostPolicyV4({ expires: Date.now() + 60_000, conditions: [['content-length-range', 0, 50]] });
      const r = await postForm(policy, 'plain text, no filename');
      assert.equal(r.status, 204);
      assert.equal((await file.download())[0].toString(), 'plain text, no filename');
    },
  },
  {
    group: 'silent-success',
    name: 'a POST-policy form breaking its content-length-range or a condition is refused and stores nothing',
    async run(env) {
      const b = await newBucket(env);
      const file = b.file('form/too-big.txt');
      const [policy] = await file.generateSignedPostPolicyV4({ expires: Date.now() + 60_000, conditions: [['content-length-range', 0, 4]] });
      const r = await postForm(policy, new Blob(['longer than four bytes']));
      assert.equal(r.status, 400);
      assert.match(await r.text(), /EntityTooLarge/);
      assert.equal((await file.exists())[0], false);

      const t = await postForm({ ...policy, fields: { ...policy.fields, key: 'form/elsewhere.txt' } }, new Blob(['abc']));
      assert.equal(t.status, 403);
      assert.equal((await b.file('form/elsewhere.txt').exists())[0], false);
    },
  },
  {
    group: 'silent-success',
    name: 'PATCH metadata {} clears the custom metadata; a key set to null is removed, the others kept',
    async run(env) {
      const b = await newBucket(env);
      const f = b.file('m.txt');
      await f.save('x', { metadata: { metadata: { a: '1', b: '2', c: '3' } } });
      await f.setMetadata({ metadata: { a: null } });
      assert.deepEqual((await f.getMetadata())[0].metadata, { b: '2', c: '3' });
      await f.setMetadata({ metadata: {} });
      assert.equal((await f.getMetadata())[0].metadata, undefined);
    },
  },
  {
    group: 'silent-success',
    name: 'matchGlob dir/**/x matches dir/x and deeper, not other names',
    async run(env) {
      const b = await newBucket(env);
      for (const n of ['d/x', 'd/a/x', 'd/a/b/x', 'd/y', 'e/x']) await b.file(n).save(n);
      const [files] = await b.getFiles({ matchGlob: 'd/**/x' });
      assert.deepEqual(files.map((f) => f.name), ['d/a/b/x', 'd/a/x', 'd/x']);
    },
  },
  {
    group: 'silent-success',
    name: 'fields= answers only the fields asked for',
    async run(env) {
      const b = await newBucket(env);
      await b.file('f.txt').save('x');
      const r = await fetch(`${env.emulator.url}/storage/v1/b/${b.name}/o/f.txt?fields=name,size`);
      assert.deepEqual(await r.json(), { name: 'f.txt', size: '1' });
      const list = await fetch(`${env.emulator.url}/storage/v1/b/${b.name}/o?fields=items(name),nextPageToken`);
      assert.deepEqual(await list.json(), { items: [{ name: 'f.txt' }] });
      const bad = await fetch(`${env.emulator.url}/storage/v1/b/${b.name}/o?fields=items(name`);
      assert.equal(bad.status, 400);
    },
  },
  {
    group: 'silent-success',
    name: 'custom metadata over 8 KiB is refused (400); a 2.1 MB metadata part gets "Metadata part is too large"',
    async run(env) {
      const b = await newBucket(env);
      const err = await rejection(b.file('big-meta.txt').save('x', { resumable: false, metadata: { metadata: { k: 'v'.repeat(9000) } } }));
      assert.equal(err.code, 400);
      const huge = await rejection(b.file('huge-meta.txt').save('x', { resumable: false, metadata: { metadata: { k: 'a'.repeat(2.1e6) } } }));
      assert.match(huge.message, /Metadata part is too large/);
      assert.equal((await b.file('big-meta.txt').exists())[0], false);
    },
  },

  // ---- versioned delete ----
  {
    group: 'versioning',
    name: 'deleting a named live generation in a versioned bucket removes it; deleteFiles({versions}) empties the bucket',
    async run(env) {
      const b = await newBucket(env, { versioning: { enabled: true } });
      const f = b.file('v.txt');
      await f.save('one');
      await f.save('two');
      const [versions] = await b.getFiles({ versions: true });
      assert.equal(versions.length, 2);
      await b.deleteFiles({ versions: true });
      assert.equal((await b.getFiles({ versions: true }))[0].length, 0);
      await b.delete();
      assert.equal((await b.exists())[0], false);
    },
  },
  {
    group: 'versioning',
    name: 'a delete without a generation keeps the live object as a noncurrent version',
    async run(env) {
      const b = await newBucket(env, { versioning: { enabled: true } });
      const f = b.file('keep.txt');
      await f.save('one');
      const [m] = await f.getMetadata();
      await f.delete();
      const [versions] = await b.getFiles({ versions: true });
      assert.equal(versions.length, 1);
      assert.equal(versions[0]?.metadata.generation, m.generation);
      assert.ok(versions[0]?.metadata.timeDeleted);
    },
  },

  // ---- bucket metadata ----
  {
    group: 'bucket-metadata',
    name: 'lifecycle, website, logging, labels, autoclass and rpo are stored as written; null removes',
    async run(env) {
      const b = await newBucket(env, { autoclass: { enabled: true, terminalStorageClass: 'ARCHIVE' } });
      await b.addLifecycleRule({ action: { type: 'Delete' }, condition: { age: 30, isLive: true } });
      await b.setMetadata({ website: { mainPageSuffix: 'index.html', notFoundPage: '404.html' }, labels: { a: 'b', c: 'd' }, rpo: 'ASYNC_TURBO' });
      await b.enableLogging({ prefix: 'logs' });
      let [m] = await b.getMetadata();
      assert.deepEqual(m.lifecycle, { rule: [{ action: { type: 'Delete' }, condition: { age: 30, isLive: true } }] });
      assert.deepEqual(m.website, { mainPageSuffix: 'index.html', notFoundPage: '404.html' });
      assert.deepEqual(m.logging, { logBucket: b.name, logObjectPrefix: 'logs' });
      assert.equal(m.autoclass?.terminalStorageClass, 'ARCHIVE');
      assert.equal(m.rpo, 'ASYNC_TURBO');
      await b.setMetadata({ lifecycle: null, labels: { a: null } });
      [m] = await b.getMetadata();
      assert.equal(m.lifecycle, undefined);
      assert.deepEqual(m.labels, { c: 'd' });
      await b.setMetadata({ labels: { c: null } });
      [m] = await b.getMetadata();
      assert.equal(m.labels, undefined);
      assert.equal(m.versioning, undefined);
    },
  },
  {
    group: 'bucket-metadata',
    name: 'GCS validation: a bad publicAccessPrevention, storage class or lifecycle action is a 400',
    async run(env) {
      const b = await newBucket(env);
      assert.equal((await rejection(b.setMetadata({ iamConfiguration: { publicAccessPrevention: 'unexpected value' } }))).code, 400);
      assert.equal((await rejection(b.setStorageClass('shiny'))).code, 400);
      assert.equal((await rejection(b.addLifecycleRule({ action: { type: 'Explode' }, condition: { age: 1 } } as never))).code, 400);
      await b.setMetadata({ iamConfiguration: { publicAccessPrevention: 'enforced' } });
      await b.setMetadata({ iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } });
      const [m] = await b.getMetadata();
      assert.equal(m.iamConfiguration?.publicAccessPrevention, 'enforced');
      assert.equal(m.iamConfiguration?.uniformBucketLevelAccess?.enabled, true);
    },
  },
  {
    group: 'bucket-metadata',
    name: 'a retention policy is stored and enforced (403 on delete and overwrite); locked, it cannot shrink',
    async run(env) {
      const b = await newBucket(env, { retentionPolicy: { retentionPeriod: 60 } });
      let [m] = await b.getMetadata();
      assert.equal(m.retentionPolicy?.retentionPeriod, '60');
      const f = b.file('kept.txt');
      await f.save('x');
      assert.equal((await rejection(f.delete())).code, 403);
      assert.equal((await rejection(f.save('y'))).code, 403);
      assert.ok((await f.getExpirationDate())[0] instanceof Date);
      [m] = await b.getMetadata();
      await b.lock(String(m.metageneration));
      assert.equal((await rejection(b.setRetentionPeriod(30))).code, 403);
    },
  },

  // ---- ACLs ----
  {
    group: 'acl',
    name: 'bucket ACL and default object ACL: add, get, update, delete',
    async run(env) {
      const b = await newBucket(env);
      const entity = 'user-someone@example.com';
      const [list] = await b.acl.get();
      assert.ok((list as { entity: string }[]).some((e) => e.entity.startsWith('project-owners-')));
      const [added] = await b.acl.add({ entity, role: 'OWNER' });
      assert.equal(added.role, 'OWNER');
      const [updated] = await b.acl.update({ entity, role: 'WRITER' });
      assert.equal(updated.role, 'WRITER');
      await b.acl.delete({ entity });
      assert.equal((await rejection(b.acl.get({ entity }))).code, 404);
      const [def] = await b.acl.default.add({ entity, role: 'READER' });
      assert.equal(def.role, 'READER');
    },
  },
  {
    group: 'acl',
    name: 'a file made public has allUsers READER; makePrivate removes it',
    async run(env) {
      const b = await newBucket(env);
      const f = b.file('pub.txt');
      await f.save('x');
      await f.makePublic();
      const [e] = await f.acl.get({ entity: 'allUsers' });
      assert.deepEqual({ entity: (e as { entity: string }).entity, role: (e as { role: string }).role }, { entity: 'allUsers', role: 'READER' });
      assert.equal((await f.isPublic())[0], true);
      const full = (await (await fetch(`${env.emulator.url}/storage/v1/b/${b.name}/o/pub.txt?projection=full`)).json()) as { acl: unknown[] };
      assert.ok(full.acl.some((g) => JSON.stringify(g) === JSON.stringify({ entity: 'allUsers', role: 'READER' })));
      await f.makePrivate();
      assert.equal((await rejection(f.acl.get({ entity: 'allUsers' }))).code, 404);
    },
  },
  {
    group: 'acl',
    name: 'under uniform bucket-level access an ACL request is a 400 with GCS\'s message; enforced PAP refuses public grants (412)',
    async run(env) {
      const b = await newBucket(env, { iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } });
      const f = b.file('u.txt');
      await f.save('x');
      const err = await rejection(f.acl.get());
      assert.equal(err.code, 400);
      assert.match(err.message, /uniform bucket-level access/);
      const pap = await newBucket(env, { iamConfiguration: { publicAccessPrevention: 'enforced' } });
      await pap.file('p.txt').save('x');
      assert.equal((await rejection(pap.file('p.txt').makePublic())).code, 412);
    },
  },

  // ---- signed and path-style requests ----
  {
    group: 'signed',
    name: 'a V4 URL not yet valid is a 403; an expired one a 400; a signed list URL answers ListBucketResult',
    async run(env) {
      const b = await newBucket(env);
      await b.file('s.txt').save('signed');
      const future = await signedUrl(b, 's.txt', { action: 'read', accessibleAt: Date.now() + 3_600_000, expires: Date.now() + 5_400_000 });
      assert.equal((await fetch(future)).status, 403);
      // the client will not sign an expired URL: move a valid one's start two hours back (the emulator checks no signature)
      const expired = new URL(await signedUrl(b, 's.txt', { action: 'read', expires: Date.now() + 60_000 }));
      const twoHoursAgo = new Date(Date.now() - 7_200_000).toISOString().replace(/[-:]|\.\d{3}/g, '');
      expired.searchParams.set('X-Goog-Date', twoHoursAgo);
      const old = await fetch(expired);
      assert.equal(old.status, 400);
      assert.match(await old.text(), /ExpiredToken/);
      const [list] = await b.getSignedUrl({ version: 'v4', action: 'list', expires: Date.now() + 60_000 });
      const r = await fetch(list);
      assert.equal(r.status, 200);
      assert.match(await r.text(), /<ListBucketResult.*<Key>s\.txt<\/Key>/);
    },
  },

  // ---- holds, retention, keys, soft delete ----
  {
    group: 'holds-retention',
    name: 'a temporary or event-based hold blocks delete and overwrite (403) until released',
    async run(env) {
      const b = await newBucket(env);
      const f = b.file('held.txt');
      await f.save('x');
      await f.setMetadata({ temporaryHold: true });
      assert.equal((await f.getMetadata())[0].temporaryHold, true);
      assert.equal((await rejection(f.delete())).code, 403);
      await f.setMetadata({ temporaryHold: false, eventBasedHold: true });
      assert.equal((await rejection(f.save('y'))).code, 403);
      await f.setMetadata({ eventBasedHold: null });
      await f.delete();
    },
  },
  {
    group: 'holds-retention',
    name: 'object retention: retainUntilTime is enforced; removing it needs overrideUnlockedRetention',
    async run(env) {
      const [b] = await env.storage.createBucket(env.bucketName(), { enableObjectRetention: true });
      assert.deepEqual(b.metadata.objectRetention, { mode: 'Enabled' });
      const retention = { mode: 'Unlocked', retainUntilTime: new Date(Date.now() + 60_000).toISOString() };
      const f = b.file('r.txt');
      await f.save('x', { metadata: { retention } });
      assert.deepEqual((await f.getMetadata())[0].retention, retention);
      assert.equal((await rejection(f.delete())).code, 403);
      assert.equal((await rejection(f.setMetadata({ retention: null }))).code, 403);
      await f.setMetadata({ retention: null }, { overrideUnlockedRetention: true });
      await f.delete();
    },
  },
  {
    group: 'holds-retention',
    name: 'a customer-supplied key gates the content and hashes; rotation rewrites under the new key',
    async run(env) {
      const b = await newBucket(env);
      const key = Buffer.alloc(32, 1);
      const encrypted = b.file('enc.txt', { encryptionKey: key });
      await encrypted.save('secret data', { resumable: false });
      const [withKey] = await encrypted.getMetadata();
      assert.equal(withKey.customerEncryption?.encryptionAlgorithm, 'AES256');
      assert.ok(withKey.crc32c);
      const plain = b.file('enc.txt');
      assert.equal((await plain.getMetadata())[0].crc32c, undefined);
      assert.match((await rejection(plain.download())).message, /encrypted by a customer-supplied encryption key/);
      assert.match((await rejection(b.file('enc.txt', { encryptionKey: Buffer.alloc(32, 2) }).download())).message, /key is incorrect/);
      await encrypted.rotateEncryptionKey(Buffer.alloc(32, 3));
      assert.equal((await b.file('enc.txt', { encryptionKey: Buffer.alloc(32, 3) }).download())[0].toString(), 'secret data');
    },
  },
  {
    group: 'holds-retention',
    name: 'KMS keys and hierarchical namespace are refused with a 400 that names them',
    async run(env) {
      const b = await newBucket(env);
      const kms = await rejection(b.setMetadata({ encryption: { defaultKmsKeyName: 'projects/p/locations/us/keyRings/r/cryptoKeys/k' } }));
      assert.equal(kms.code, 400);
      assert.match(kms.message, /KMS/);
      const hns = await rejection(env.storage.createBucket(env.bucketName(), { hierarchicalNamespace: { enabled: true } }));
      assert.equal(hns.code, 400);
      assert.match(hns.message, /Hierarchical namespace/);
    },
  },

  // ---- soft delete ----
  {
    group: 'soft-delete',
    name: 'softDeletePolicy: 0 or 7 to 90 days, stored with its effective time; a bucket starts with 0',
    async run(env) {
      const b = await newBucket(env);
      assert.equal(b.metadata.softDeletePolicy?.retentionDurationSeconds, '0');
      const week = 7 * 24 * 3600;
      await b.setMetadata({ softDeletePolicy: { retentionDurationSeconds: week } });
      const [md] = await b.getMetadata();
      assert.equal(md.softDeletePolicy?.retentionDurationSeconds, String(week));
      assert.ok(Date.parse(String(md.softDeletePolicy?.effectiveTime)) > 0);
      for (const bad of [3600, 91 * 24 * 3600]) {
        const err = await rejection(b.setMetadata({ softDeletePolicy: { retentionDurationSeconds: bad } }));
        assert.equal(err.code, 400);
        assert.match(err.message, /retentionDurationSeconds/);
      }
      await b.setMetadata({ softDeletePolicy: { retentionDurationSeconds: 0 } });
      assert.equal((await b.getMetadata())[0].softDeletePolicy?.retentionDurationSeconds, '0');
    },
  },
  {
    group: 'soft-delete',
    name: 'a deleted or overwritten object is listed only with softDeleted=true, with its soft and hard delete times',
    async run(env) {
      const b = await newBucket(env, { softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 } });
      await b.file('gone.txt').save('one');
      await b.file('kept.txt').save('v1');
      await b.file('kept.txt').save('v2');
      await b.file('gone.txt').delete();
      assert.deepEqual((await b.getFiles())[0].map((f) => f.name), ['kept.txt']);
      const [soft] = await b.getFiles({ softDeleted: true });
      assert.deepEqual(soft.map((f) => f.name).sort(), ['gone.txt', 'kept.txt']);
      for (const f of soft) {
        const deleted = Date.parse(String(f.metadata.softDeleteTime));
        assert.equal(Date.parse(String(f.metadata.hardDeleteTime)) - deleted, 7 * 24 * 3600 * 1000);
      }
      // soft-deleted objects do not keep the bucket from being deleted
      await b.deleteFiles({ versions: true });
      await b.delete();
    },
  },
  {
    group: 'soft-delete',
    name: 'GET of a soft-deleted generation needs softDeleted=true and its generation; its content is not served',
    async run(env) {
      const b = await newBucket(env, { softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 } });
      const f = b.file('g.txt');
      await f.save('content');
      const generation = Number((await f.getMetadata())[0].generation);
      await f.delete();
      assert.equal((await rejection(f.getMetadata())).code, 404);
      const [got] = await f.get({ softDeleted: true, generation });
      assert.equal(Number(got.metadata.generation), generation);
      assert.ok(got.metadata.softDeleteTime);
      assert.equal((await rejection(f.get({ softDeleted: true }))).code, 400);
      const media = await fetch(`${env.emulator.url}/storage/v1/b/${b.name}/o/g.txt?alt=media&generation=${generation}&softDeleted=true`);
      assert.equal(media.status, 400);
    },
  },
  {
    group: 'soft-delete',
    name: 'restore brings a soft-deleted generation back as a new live generation; preconditions apply',
    async run(env) {
      const b = await newBucket(env, { softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 } });
      const f = b.file('r.txt');
      await f.save('first', { metadata: { metadata: { k: 'v' } } });
      const [before] = await f.getMetadata();
      await f.delete();
      // the client types the answer as a File; what it resolves to is the object resource
      const restored = (await f.restore({ generation: Number(before.generation) })) as unknown as FileMetadata;
      assert.equal(restored.name, 'r.txt');
      assert.notEqual(String(restored.generation), String(before.generation));
      assert.equal(String(restored.metageneration), '1');
      assert.equal(restored.metadata?.k, 'v');
      assert.equal((await f.download())[0].toString(), 'first');
      assert.equal((await b.getFiles({ softDeleted: true }))[0].length, 0);
      // restoring over a live object: ifGenerationMatch=0 refuses (412); without it the live one is soft-deleted
      await f.save('second');
      const secondGen = Number((await f.getMetadata())[0].generation);
      await f.save('third');
      assert.equal((await rejection(f.restore({ generation: secondGen, ifGenerationMatch: 0 } as never))).code, 412);
      await f.restore({ generation: secondGen });
      assert.equal((await f.download())[0].toString(), 'second');
      assert.equal((await rejection(f.restore({ generation: 1 }))).code, 404);
    },
  },
  {
    group: 'soft-delete',
    name: 'without a policy a delete is final: nothing to list or restore',
    async run(env) {
      const b = await newBucket(env);
      const f = b.file('x.txt');
      await f.save('x');
      const generation = Number((await f.getMetadata())[0].generation);
      await f.delete();
      assert.equal((await b.getFiles({ softDeleted: true }))[0].length, 0);
      assert.equal((await rejection(f.restore({ generation }))).code, 404);
    },
  },

  // ---- hostile names and headers (issue 17) ----
  {
    group: 'names-headers',
    name: 'an object name with CR or LF is refused (400), as GCS refuses it',
    async run(env) {
      const b = await newBucket(env);
      const err = await rejection(b.file('bad\r\nname.txt').save('x', { resumable: false }));
      assert.equal(err.code, 400);
      assert.match(err.message, /Carriage Return or Line Feed/);
    },
  },
  {
    group: 'names-headers',
    name: 'x-goog-content-length-range is enforced on a signed PUT and a signed resumable upload',
    async run(env) {
      const b = await newBucket(env);
      const headers = { 'x-goog-content-length-range': '0,10' };
      const put = await signedUrl(b, 'small.bin', { action: 'write', extensionHeaders: headers });
      assert.equal((await fetch(put, { method: 'PUT', headers, body: 'x'.repeat(11) })).status, 400);
      assert.equal((await fetch(put, { method: 'PUT', headers, body: 'x'.repeat(10) })).status, 200);
      const start = await signedUrl(b, 'small2.bin', { action: 'resumable', extensionHeaders: headers });
      const s = await fetch(start, { method: 'POST', headers: { ...headers, 'x-goog-resumable': 'start' } });
      assert.equal(s.status, 201);
      const r = await fetch(s.headers.get('location') as string, { method: 'PUT', body: 'y'.repeat(50) });
      assert.equal(r.status, 400);
      assert.equal((await b.file('small2.bin').exists())[0], false);
    },
  },
  {
    group: 'names-headers',
    name: 'non-ASCII custom metadata and names: stored intact, percent-encoded in response headers, events delivered',
    async run(env) {
      const received: Record<string, string>[] = [];
      const target = createServer((req, res) => {
        received.push(req.headers as Record<string, string>);
        req.resume();
        res.end();
      });
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
      try {
        const b = await newBucket(env);
        env.emulator.addEventTarget({ url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/`, eventTypes: ['finalized'], buckets: [b.name] });
        const f = b.file('報告 été.png');
        await f.save('x', { metadata: { metadata: { 'original-name': '報告 été.png' } } });
        assert.deepEqual((await f.getMetadata())[0].metadata, { 'original-name': '報告 été.png' });
        const url = await signedUrl(b, '報告 été.png', { action: 'read' });
        const r = await fetch(url);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-goog-meta-original-name'), encodeURIComponent('報告 été.png').replace(/%20/g, ' '));
        await env.emulator.eventsIdle();
        const subjects = received.map((h) => h['ce-subject']);
        assert.ok(subjects.includes(`objects/${encodeURIComponent('報告')} ${encodeURIComponent('été')}.png`), `got ${subjects.join(', ')}`);
      } finally {
        target.close();
      }
    },
  },
  {
    group: 'names-headers',
    name: 'an event that can never be delivered is logged once at ERROR, not retried',
    async run(env) {
      const name = env.bucketName();
      env.emulator.addEventTarget({ url: 'http://in valid/', buckets: [name] });
      const [b] = await env.storage.createBucket(name);
      const started = Date.now();
      await b.file('n.txt').save('x');
      await env.emulator.eventsIdle();
      assert.ok(Date.now() - started < 1_000, 'given up at once, not after the retry deadline');
      const lines = env.logs.filter((l) => l.url === 'http://in valid/');
      assert.deepEqual(lines.map((l) => [l.severity, l.message]), [['ERROR', 'event can never be delivered']]);
    },
  },
];
