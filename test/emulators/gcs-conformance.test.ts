/** The conformance table (`gcs-conformance-cases.ts`) through the real client, as part of `npm test`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCloudSdkRoot } from '../../emulators/gcloud.ts';
import { CASES, type ConformanceEnv, startConformanceEnv } from './gcs-conformance-cases.ts';
import { GCLOUD_CHECKLIST, gcloudContext, runGcloudCheck } from './gcs-conformance-gcloud.ts';

let env: ConformanceEnv;
beforeAll(async () => {
  env = await startConformanceEnv();
});
afterAll(async () => {
  await env?.emulator.stop();
});

for (const group of new Set(CASES.map((c) => c.group))) {
  describe(`Cloud Storage conformance: ${group}`, () => {
    for (const c of CASES.filter((x) => x.group === group)) it(c.name, () => c.run(env));
  });
}

/** The checklist's metadata and CORS commands through the real gcloud (the whole list: `npm run conformance:gcs`). */
const GCLOUD_IN_NPM_TEST = [
  'buckets create',
  'buckets update --cors-file',
  'cp --content-type',
  'cp --custom-metadata',
  'objects update --update-custom-metadata',
  'objects update --remove-custom-metadata',
  'objects update --clear-custom-metadata',
];

describe.skipIf(findCloudSdkRoot() === undefined)('Cloud Storage conformance: gcloud storage', () => {
  const work = mkdtempSync(join(tmpdir(), 'gcs-conformance-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  for (const name of GCLOUD_IN_NPM_TEST) {
    const check = GCLOUD_CHECKLIST.find((c) => c.name === name);
    if (!check) throw new Error(`no checklist entry named ${name}`);
    it(name, async () => {
      expect(await runGcloudCheck(check, gcloudContext(env.emulator, env.storage, work))).toBe(true);
    });
  }
});
