/**
 * Cloud Storage emulator benchmark, through the real @google-cloud/storage client:
 *   - small-object uploads per second (1 KiB, multipart), sequential and 16 in flight
 *   - large-object MB/s up and down (256 MiB, resumable), with and without client-side validation,
 *     against the peer: writing/reading the same bytes to/from a local file on the same disk
 *   - peak RSS of the emulator process (filesystem backend) while a 1 GiB object streams in
 * The emulator runs as a child process (the CLI) so its RSS is its own.
 *
 *   npm run bench:gcs-emulator            # BENCH_LARGE_MIB=256 BENCH_HUGE_MIB=1024 BENCH_SMALL_COUNT=500
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';

const MiB = 1024 * 1024;
const LARGE_MIB = Number(process.env.BENCH_LARGE_MIB ?? 256);
const HUGE_MIB = Number(process.env.BENCH_HUGE_MIB ?? 1024);
const SMALL_COUNT = Number(process.env.BENCH_SMALL_COUNT ?? 500);
const CLI = fileURLToPath(new URL('../emulators/gcs/cli.ts', import.meta.url));

async function startEmulatorProcess(dataDir: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc. */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** `mib` MiB of incompressible bytes without holding them: one 8 MiB block repeated. */
function source(mib: number): Readable {
  const block = randomBytes(8 * MiB);
  let left = mib * MiB;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

const sink = (): Writable => new Writable({ write: (_c, _e, done) => done() });
const seconds = async (f: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
};
const fmt = (n: number, d = 1): string => n.toFixed(d);

// One scenario read top to bottom (start, the measured cases, the table): long on purpose.
async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-gcs-emulator-'));
  const emulator = await startEmulatorProcess(join(work, 'data'));
  const pid = emulator.child.pid as number;
  const rows: [string, string][] = [];
  try {
    const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'bench' });
    const [bucket] = await storage.createBucket('bench');
    const idle = rssOf(pid);

    // small objects
    const payload = randomBytes(1024);
    const seq = await seconds(async () => {
      for (let i = 0; i < SMALL_COUNT; i++) await bucket.file(`small/seq-${i}`).save(payload, { resumable: false });
    });
    rows.push([`small 1 KiB uploads/s, sequential (${SMALL_COUNT})`, fmt(SMALL_COUNT / seq, 0)]);
    const par = await seconds(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < SMALL_COUNT) {
            const i = next++;
            await bucket.file(`small/par-${i}`).save(payload, { resumable: false });
          }
        }),
      );
    });
    rows.push([`small 1 KiB uploads/s, 16 in flight (${SMALL_COUNT})`, fmt(SMALL_COUNT / par, 0)]);

    // large objects vs the local disk
    const large = bucket.file('large/object.bin');
    const upValidated = await seconds(() => pipeline(source(LARGE_MIB), large.createWriteStream({ resumable: true })));
    const upRaw = await seconds(() => pipeline(source(LARGE_MIB), large.createWriteStream({ resumable: true, validation: false })));
    const downValidated = await seconds(() => pipeline(large.createReadStream(), sink()));
    const downRaw = await seconds(() => pipeline(large.createReadStream({ validation: false }), sink()));
    const diskFile = join(work, 'peer.bin');
    const diskUp = await seconds(() => pipeline(source(LARGE_MIB), createWriteStream(diskFile)));
    const diskDown = await seconds(() => pipeline(createReadStream(diskFile), sink()));
    rmSync(diskFile);
    rows.push([`large ${LARGE_MIB} MiB upload MB/s (client crc32c validation on)`, fmt(LARGE_MIB / upValidated)]);
    rows.push([`large ${LARGE_MIB} MiB upload MB/s (validation: false)`, fmt(LARGE_MIB / upRaw)]);
    rows.push([`large ${LARGE_MIB} MiB download MB/s (validation on)`, fmt(LARGE_MIB / downValidated)]);
    rows.push([`large ${LARGE_MIB} MiB download MB/s (validation: false)`, fmt(LARGE_MIB / downRaw)]);
    rows.push([`peer: local file write MB/s, same bytes`, fmt(LARGE_MIB / diskUp)]);
    rows.push([`peer: local file read MB/s`, fmt(LARGE_MIB / diskDown)]);
    rows.push([`ratio upload (validation: false) / local write`, fmt(diskUp / upRaw, 2)]);
    rows.push([`ratio download (validation: false) / local read`, fmt(diskDown / downRaw, 2)]);

    // 1 GiB: peak RSS of the emulator
    const before = rssOf(pid);
    let peakSeen = before.rss;
    const timer = setInterval(() => (peakSeen = Math.max(peakSeen, rssOf(pid).rss)), 100);
    const hugeSecs = await seconds(() =>
      pipeline(source(HUGE_MIB), bucket.file('huge/object.bin').createWriteStream({ resumable: true, validation: false })),
    );
    clearInterval(timer);
    const after = rssOf(pid);
    const [m] = await bucket.file('huge/object.bin').getMetadata();
    if (Number(m.size) !== HUGE_MIB * MiB) throw new Error(`huge object has ${m.size} bytes`);
    rows.push([`emulator RSS idle, MiB`, fmt(idle.rss)]);
    rows.push([`emulator RSS before the ${HUGE_MIB} MiB upload, MiB`, fmt(before.rss)]);
    rows.push([`emulator RSS peak during the ${HUGE_MIB} MiB upload (sampled / VmHWM), MiB`, `${fmt(peakSeen)} / ${fmt(after.peak)}`]);
    rows.push([`${HUGE_MIB} MiB upload MB/s (validation: false)`, fmt(HUGE_MIB / hugeSecs)]);
  } finally {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

await main();
