/** The conformance table (`gcs-conformance-cases.ts`) through the real client, as part of `npm test`. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CASES, type ConformanceEnv, startConformanceEnv } from './gcs-conformance-cases.ts';

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
