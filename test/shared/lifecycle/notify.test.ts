import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { finishedEvent, isPrivateHost, isPublicAddress, postCallback, publicLookup, signWebhook } from '../../../shared/lifecycle/notify.ts';
import { makeTask } from '../../support/tasks.ts';

describe('isPrivateHost', () => {
  it.each([
    'localhost',
    'localhost.',
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    'metadata.google.internal',
    'metadata.google.internal.',
    'metadata',
    '[::1]',
    'fd00::1',
    '[fec0::1]',
    '[::7f00:1]',
    '[::ffff:127.0.0.1]',
    '[64:ff9b::a9fe:a9fe]',
    '100.64.0.1',
    '0.0.0.0',
    '198.18.0.1',
    '192.0.0.1',
    '224.0.0.1',
    '255.255.255.255',
    'box.localhost',
  ])('%s is refused by name', (host) => expect(isPrivateHost(host)).toBe(true));
  it.each(['example.com', '8.8.8.8', '172.32.0.1', 'hooks.example.org', '[2606:4700::1111]'])('%s passes the name check', (host) => expect(isPrivateHost(host)).toBe(false));
});

describe('publicLookup', () => {
  const resolve = (lookup: ReturnType<typeof publicLookup>, host: string) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) => lookup(host, {}, (err, address) => done({ err, address })));

  it('answers a name whose every address is public, and refuses one with any private address (a public name aimed inside)', async () => {
    const dns = (answers: Record<string, string[]>) => publicLookup(async (host) => (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    const lookup = dns({ 'hooks.example.org': ['93.184.216.34'], '127.0.0.1.nip.io': ['127.0.0.1'], 'mixed.example.org': ['93.184.216.34', '10.0.0.7'], 'v6.example.org': ['::ffff:169.254.169.254'] });
    expect(await resolve(lookup, 'hooks.example.org')).toEqual({ err: null, address: '93.184.216.34' });
    for (const host of ['127.0.0.1.nip.io', 'mixed.example.org', 'v6.example.org', 'nothing.example.org']) {
      expect((await resolve(lookup, host)).err?.code, host).toBe('EPRIVATEADDRESS');
    }
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('not an address')).toBe(false);
  });
});

describe('callbacks', () => {
  it('follows no redirect: a 3xx is the answer, and the redirect target is never called', async () => {
    let targetCalls = 0;
    const target = createServer((_req, res) => {
      targetCalls += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const hops: number[] = [];
    const redirector = createServer((req, res) => {
      hops.push(1);
      req.resume();
      res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const task = makeTask({ status: 'COMPLETED', callbackUrl: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook` });
      // allowPrivateCallbacks: the test's receivers are on loopback; redirects are refused regardless.
      const attempt = await postCallback(task, finishedEvent(task), { allowPrivateCallbacks: true });
      expect(hops).toHaveLength(1);
      expect(targetCalls).toBe(0);
      expect(attempt).toMatchObject({ kind: 'refused', status: 307 });
    } finally {
      redirector.close();
      target.close();
    }
  });

  it('gives up an attempt after its time limit even when the receiver keeps trickling bytes', async () => {
    const sockets: Socket[] = [];
    const trickler = createNetServer((socket) => {
      sockets.push(socket);
      const status = 'HTTP/1.1 200 OK\r\n' + 'x-slow: ' + 'a'.repeat(10_000);
      let i = 0;
      const timer = setInterval(() => (i < status.length ? socket.write(status[i++]!) : clearInterval(timer)), 200);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    });
    await new Promise<void>((r) => trickler.listen(0, '127.0.0.1', r));
    const started = Date.now();
    try {
      const task = makeTask({ status: 'COMPLETED', callbackUrl: `http://127.0.0.1:${(trickler.address() as AddressInfo).port}/hook` });
      const attempt = await postCallback(task, finishedEvent(task), { allowPrivateCallbacks: true });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(attempt).toMatchObject({ kind: 'failed', status: null, error: expect.stringMatching(/no answer within/) });
    } finally {
      for (const s of sockets) s.destroy();
      trickler.close();
    }
  });

  it('refuses a callback to a private address without sending anything', async () => {
    const task = makeTask({ status: 'COMPLETED', callbackUrl: 'http://169.254.169.254/computeMetadata/v1/' });
    expect(await postCallback(task, finishedEvent(task), {})).toMatchObject({ kind: 'refused', error: expect.stringMatching(/private or internal/) });
  });
});

describe('signWebhook', () => {
  it('is HMAC-SHA256 over "timestamp.body", hex, prefixed', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signWebhook('secret', '1700000000', '{"a":1}')).toBe('sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
    expect(signWebhook('secret', '1700000000', '{"a":1}')).not.toBe(signWebhook('secret', '1700000001', '{"a":1}'));
  });
});
