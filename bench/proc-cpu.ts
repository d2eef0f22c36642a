/**
 * CPU-ms so far of a process group (a function's process, the Firestore emulator's gcloud and Java), from /proc:
 * utime + stime of each live process in the group, in clock ticks of 10 ms. NaN where /proc cannot say.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function groupCpuMs(pgid: number | undefined): number {
  if (!pgid) return NaN;
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(pid) === pgid || Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10;
}
