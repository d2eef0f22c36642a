/**
 * The cores this process may really use: the host's count (or CPU affinity) capped by the cgroup's CPU
 * quota. A container limited to 1 CPU on a 32-core host (Cloud Run's `--cpu 1`, a Docker `--cpus 1`) sees 32
 * from os.availableParallelism(); 32 OCR workers there thrash against each other and hold 32 WASM heaps.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Reads a file of the cgroup filesystem; undefined when it is not there. */
export type CgroupReader = (path: string) => string | undefined;

const CGROUP_ROOT = '/sys/fs/cgroup';

function readCgroupFile(path: string): string | undefined {
  try {
    return readFileSync(join(CGROUP_ROOT, path), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CPU quota in cores (possibly fractional), or undefined when there is none: cgroup v2's `cpu.max`
 * ("max 100000" or "150000 100000"), else v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 = none).
 */
export function cgroupCpuQuota(read: CgroupReader = readCgroupFile): number | undefined {
  const v2 = read('cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length === 2) {
    const [quota, period] = v2.map(Number) as [number, number];
    return v2[0] === 'max' || !(quota > 0) || !(period > 0) ? undefined : quota / period;
  }
  const quota = Number(read('cpu/cpu.cfs_quota_us')?.trim() ?? read('cpu,cpuacct/cpu.cfs_quota_us')?.trim());
  const period = Number(read('cpu/cpu.cfs_period_us')?.trim() ?? read('cpu,cpuacct/cpu.cfs_period_us')?.trim());
  return quota > 0 && period > 0 ? quota / period : undefined;
}

/** Whole cores to size a pool by: at least 1, a fractional quota rounded up (1.5 CPUs can keep 2 workers busy part-time). */
export function availableCores(read: CgroupReader = readCgroupFile, host: number = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  return Math.max(1, quota === undefined ? host : Math.min(host, Math.ceil(quota)));
}
