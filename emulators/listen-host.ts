/**
 * Preloaded (`node --import`) into each function process the local suite starts. The functions
 * framework listens on every interface (`server.listen(port)`; it has no host option), while the
 * local functions trust an `X-User-Email` header: anyone on the network could act as any user. So a
 * listen without a host goes to FUNCTION_HOST instead (default 127.0.0.1; `0.0.0.0` when told so).
 * Only the local suite loads this: in the cloud the platform's front end needs every interface.
 */
import { Server } from 'node:net';

const host = process.env.FUNCTION_HOST || '127.0.0.1';
const listen = Server.prototype.listen as (this: Server, ...args: unknown[]) => Server;

Server.prototype.listen = function listenOnHost(this: Server, ...args: unknown[]): Server {
  // listen(port) and listen(port, callback): the framework's calls. Anything naming a host, a path
  // or an options object is left as it is.
  const [port, second] = args;
  const portOnly = (typeof port === 'number' || typeof port === 'string') && (args.length === 1 || (args.length === 2 && typeof second === 'function'));
  return portOnly ? listen.call(this, port, host, ...args.slice(1)) : listen.apply(this, args);
} as Server['listen'];
