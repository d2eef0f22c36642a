/**
 * `npm run conformance:gcs`: the whole conformance run against a fresh emulator — every case of
 * the client table (`gcs-conformance-cases.ts`) and the `gcloud storage` checklist
 * (`gcs-conformance-gcloud.ts`) — printing each result and the pass/fail counts per group.
 * Exit status 1 when anything failed. Needs gcloud on PATH for the checklist (skipped without it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCloudSdkRoot } from '../../emulators/gcloud.ts';
import { CASES, startConformanceEnv } from './gcs-conformance-cases.ts';
import { GCLOUD_CHECKLIST, gcloudContext, runGcloudCheck } from './gcs-conformance-gcloud.ts';

const counts = new Map<string, { pass: number; fail: number }>();
const record = (group: string, name: string, result: true | string): void => {
  const c = counts.get(group) ?? { pass: 0, fail: 0 };
  if (result === true) c.pass++;
  else c.fail++;
  counts.set(group, c);
  process.stdout.write(`${result === true ? 'PASS' : 'FAIL'}  ${group}: ${name}${result === true ? '' : `\n      ${result}`}\n`);
};

const started = Date.now();
const env = await startConformanceEnv();
const work = mkdtempSync(join(tmpdir(), 'gcs-conformance-'));
try {
  for (const c of CASES) {
    try {
      await c.run(env);
      record(c.group, c.name, true);
    } catch (err) {
      record(c.group, c.name, err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err));
    }
  }
  if (findCloudSdkRoot() === undefined) {
    process.stdout.write('SKIP  gcloud checklist: gcloud is not installed\n');
  } else {
    const ctx = gcloudContext(env.emulator, env.storage, work);
    for (const check of GCLOUD_CHECKLIST) record('gcloud', check.name, await runGcloudCheck(check, ctx));
  }
} finally {
  await env.emulator.stop();
  rmSync(work, { recursive: true, force: true });
}

let pass = 0;
let fail = 0;
process.stdout.write('\n');
for (const [group, c] of counts) {
  pass += c.pass;
  fail += c.fail;
  process.stdout.write(`${group.padEnd(16)} ${c.pass}/${c.pass + c.fail}\n`);
}
process.stdout.write(`${'total'.padEnd(16)} ${pass}/${pass + fail} passed, ${fail} failed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
process.exitCode = fail > 0 ? 1 : 0;
