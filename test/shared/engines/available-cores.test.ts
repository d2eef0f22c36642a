import { describe, expect, it } from 'vitest';
import { availableCores, cgroupCpuQuota } from '../../../shared/engines/available-cores.ts';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe('available cores', () => {
  it.each([
    ['cgroup v2 without a limit', { 'cpu.max': 'max 100000\n' }, undefined, 32],
    ['cgroup v2 limited to 1 CPU (Cloud Run --cpu 1)', { 'cpu.max': '100000 100000\n' }, 1, 1],
    ['cgroup v2 limited to 1.5 CPUs', { 'cpu.max': '150000 100000\n' }, 1.5, 2],
    ['cgroup v1 without a limit', { 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' }, undefined, 32],
    ['cgroup v1 limited to 4 CPUs', { 'cpu/cpu.cfs_quota_us': '400000\n', 'cpu/cpu.cfs_period_us': '100000\n' }, 4, 4],
    ['cgroup v1 with the combined controller folder', { 'cpu,cpuacct/cpu.cfs_quota_us': '200000', 'cpu,cpuacct/cpu.cfs_period_us': '100000' }, 2, 2],
    ['no cgroup filesystem', {}, undefined, 32],
    ['a quota above the host count', { 'cpu.max': '6400000 100000' }, 64, 32],
  ])('%s', (_name, entries, quota, cores) => {
    expect(cgroupCpuQuota(files(entries))).toBe(quota);
    expect(availableCores(files(entries), 32)).toBe(cores);
  });

  it('is at least one core', () => {
    expect(availableCores(files({ 'cpu.max': '1000 100000' }), 0)).toBe(1);
  });
});
