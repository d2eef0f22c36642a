/**
 * functions/request-limits.ts replaces the body parsers the functions framework loads, a private
 * detail of the framework. These checks fail loudly when an upgrade of the framework changes what
 * that relies on (which module it loads, which parsers it calls), instead of the protection
 * silently lapsing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import '../../functions/request-limits.ts';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

const frameworkEntry = createRequire(import.meta.url).resolve('@google-cloud/functions-framework');
const serverJs = frameworkEntry.replace(/index\.js$/, 'server.js');

describe('the framework body parsers request-limits.ts replaces', () => {
  it('the framework still builds its server from body-parser, calling the four parsers we replace', () => {
    const source = readFileSync(serverJs, 'utf8');
    expect(source, `${serverJs} no longer requires body-parser: re-check functions/request-limits.ts`).toMatch(/require\("body-parser"\)/);
    for (const kind of ['json', 'text', 'urlencoded', 'raw']) {
      expect(source, `the framework's server no longer calls bodyParser.${kind}(): re-check functions/request-limits.ts`).toContain(`bodyParser.${kind}(`);
    }
  });

  it('the framework builds its server with http.createServer(app), whose listener request-limits.ts wraps', async () => {
    expect(readFileSync(serverJs, 'utf8'), `the framework's server is no longer built by http.createServer(app): re-check functions/request-limits.ts`).toMatch(/http\.createServer\(app\)/);
    const nodeHttp = (await import('node:http')).default as { docvaultGateFirst?: true };
    expect(nodeHttp.docvaultGateFirst).toBe(true);
  });

  it('the body-parser the framework\'s server loads is the instance we patched', () => {
    const parser = createRequire(serverJs)('body-parser') as { docvaultLimits?: true };
    expect(parser.docvaultLimits).toBe(true);
  });

  it('a server the framework builds refuses a compressed body with 415, in our error shape', async () => {
    http('request-limits-pin', (_req, res) => void res.status(200).send('handled'));
    const server = getTestServer('request-limits-pin');
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify({ a: 1 })),
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ error: { code: 'UNSUPPORTED_ENCODING' } });
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});
