/**
 * `npm run bench:gcs-system-test -- DIR [mocha args...]`: the official Node.js client's system tests
 * (googleapis/nodejs-storage `system-test/storage.ts`) against our storage emulator. The test file is
 * not in this repository: DIR is a folder prepared by hand (bench/RESULTS.md, "Cloud Storage emulator
 * against the official system tests", says how) holding `system-test/storage.test.ts`, its
 * `system-test/data/` files and its own node_modules (mocha and the suite's imports).
 *
 * Starts the Pub/Sub emulator (notification tests) and the storage emulator in this process, writes a
 * throwaway service-account key (signed URLs need one) and a shim for Pub/Sub IAM (the Pub/Sub
 * emulator answers setIamPolicy with UNIMPLEMENTED; the suite's global `before` calls it), then runs
 * mocha under this project's Node with the groups no emulator can serve left out, and prints
 * mocha's counts. Exit status: mocha's.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startPubsubEmulator } from '../emulators/gcloud.ts';
import { startStorageEmulator } from '../emulators/gcs/index.ts';

/** IAM, KMS, HMAC keys, requester pays (a second project), a real public bucket: out of any emulator's reach. */
const SKIPPED_GROUPS = '^storage (iam |requester pays |HMAC keys )|kms keys|public data';
const PROJECT = 'system-test';

const [dirArg, ...mochaArgs] = process.argv.slice(2);
if (!dirArg) {
  process.stderr.write('usage: npm run bench:gcs-system-test -- DIR [mocha args...]\n');
  process.exit(2);
}
const dir = resolve(dirArg);
const testFile = join(dir, 'system-test', 'storage.test.ts');
const mocha = join(dir, 'node_modules', 'mocha', 'bin', '_mocha');
for (const needed of [testFile, mocha]) {
  if (!existsSync(needed)) {
    process.stderr.write(`missing ${needed} (see bench/RESULTS.md for how DIR is prepared)\n`);
    process.exit(2);
  }
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(dir, 'service-account.json');
writeFileSync(
  keyFile,
  JSON.stringify({
    type: 'service_account',
    project_id: PROJECT,
    client_email: `${PROJECT}@${PROJECT}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }),
);
const shim = join(dir, 'system-test', 'pubsub-iam-shim.ts');
writeFileSync(
  shim,
  `import {IAM} from '@google-cloud/pubsub';\nIAM.prototype.setPolicy = async function (policy: unknown) { return [policy]; } as never;\n`,
);

const pubsub = await startPubsubEmulator({ projectId: PROJECT });
const gcs = await startStorageEmulator({ projectId: PROJECT, pubsubEmulatorHost: pubsub.host });
const started = Date.now();
let code: number;
try {
  code = await new Promise<number>((done) => {
    const child = spawn(
      process.execPath,
      [mocha, '--timeout', '120000', '--exit', '--require', shim, '--grep', SKIPPED_GROUPS, '--invert', ...mochaArgs, testFile],
      {
        cwd: dir,
        stdio: 'inherit',
        env: {
          ...process.env,
          ...pubsub.env,
          STORAGE_EMULATOR_HOST: gcs.url,
          GOOGLE_APPLICATION_CREDENTIALS: keyFile,
          GOOGLE_CLOUD_PROJECT: PROJECT,
          GCLOUD_PROJECT: PROJECT,
          PROJECT_ID: PROJECT,
        },
      },
    );
    child.on('exit', (c) => done(c ?? 1));
  });
} finally {
  await gcs.stop();
  await pubsub.stop();
}
process.stdout.write(`official system tests against emulators/gcs: mocha exit ${code}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(code);
