import { execFileSync } from 'node:child_process';

/** Whether this machine lets us run a command in its own network namespace (loopback only). */
export function canIsolateNetwork(): boolean {
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
