/**
 * Before `npm start` starts anything: every port it is to listen on must be free. Each service's own start only
 * waits for its port to answer, and a port held by another suite answers: a second `npm start` on the same ports
 * said "Ready." while talking to the first one's emulators and functions (and provisioned its subscriptions).
 */
import { createServer } from 'node:net';
import { LOCAL_PORTS } from '../shared/names.ts';
import type { RunningSuite } from '../shared/ops/local-suite.ts';

export type PortName = keyof typeof LOCAL_PORTS;

/** Whether a server could listen on `host:port` now. */
export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => done(true)));
  });
}

/** The ports (by their variable) that something else holds. */
export async function takenPorts(ports: Readonly<Record<PortName, number>>, host: string): Promise<Array<{ name: PortName; port: number }>> {
  const entries = Object.entries(ports) as Array<[PortName, number]>;
  const free = await Promise.all(entries.map(([, port]) => portFree(port, host)));
  return entries.filter((_, i) => !free[i]).map(([name, port]) => ({ name, port }));
}

/** One message: which ports are taken, by whom when it is a running suite, and what to do. */
export function takenPortsMessage(taken: ReadonlyArray<{ name: PortName; port: number }>, suite: Pick<RunningSuite, 'dataDir' | 'pid'> | null): string {
  const list = taken.map(({ name, port }) => `${port} (${name})`).join(', ');
  const holder = suite ? ` by the local suite of npm start in ${suite.dataDir} (pid ${suite.pid}): stop it (Ctrl-C, or kill -INT ${suite.pid}), or` : ': free them, or';
  return `port${taken.length === 1 ? '' : 's'} ${list} already in use${holder} move this launch's ports with the variables named`;
}
