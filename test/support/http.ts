/**
 * Drives an HTTP function through the real functions framework: registered under a name, served
 * by the framework's own Express server (`getTestServer`) on a free port, called with fetch.
 */
// The framework's body parsers as deployed (no inflating, the body limit): before getTestServer builds one.
import '../../functions/request-limits.ts';
import type { AddressInfo } from 'node:net';
import { http, type HttpFunction } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

export interface ServedFunction {
  url: string;
  close(): Promise<void>;
}

export async function serveHttpFunction(name: string, fn: HttpFunction): Promise<ServedFunction> {
  http(name, fn);
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Headers that identify a caller the way the local emulator mode allows. */
export function asUser(email: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-user-email': email, ...extra };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape; each test asserts what it reads
export interface JsonAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export async function fetchJson<T = any>(url: string, init: RequestInit = {}): Promise<JsonAnswer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}
