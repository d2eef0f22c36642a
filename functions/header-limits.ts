/**
 * A request Node's HTTP parser refuses before any handler runs (headers over its 16 KB limit, a
 * malformed request line) was answered with a bare status and an empty body. Every server built
 * in this process (the functions framework builds its own with http.createServer) answers those
 * in the service's error shape instead: 431 HEADERS_TOO_LARGE, or 400 INVALID_REQUEST. Imported
 * by functions/index.ts before the framework builds its server.
 */
import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DocVaultError } from '../shared/core/errors.ts';
import { toHttpError } from '../shared/http-errors.ts';

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function refusal(err: NodeJS.ErrnoException): DocVaultError | null {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new DocVaultError('HEADERS_TOO_LARGE', 'The request headers are too large: send fewer or shorter headers (cookies, tokens).');
  }
  if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return null;
  return new DocVaultError('INVALID_REQUEST', 'The request could not be parsed as HTTP.');
}

/** The 'clientError' handler: Node's own answers, with a JSON body. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const error = refusal(err);
  if (!error || !socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy(err);
    return;
  }
  const { status, body } = toHttpError(error);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n${text}`,
  );
}

const patched = http as typeof http & { docvaultClientErrors?: true };
if (!patched.docvaultClientErrors) {
  const createServer = http.createServer.bind(http) as (...args: unknown[]) => Server;
  patched.createServer = ((...args: unknown[]) => createServer(...args).on('clientError', answerClientError)) as typeof http.createServer;
  patched.docvaultClientErrors = true;
}
