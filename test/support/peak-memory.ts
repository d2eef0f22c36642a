/**
 * Peak memory of one piece of work, measured in a fresh Node process: its high-water RSS
 * (getrusage's maxrss) before and after. A test process cannot see a peak that came and went.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;

/**
 * Runs `body` (an async function body with the repository root as `root`, that may `await import()`)
 * and answers how far the process's peak RSS rose while it ran, in MB, and what it returned.
 */
export async function peakGrowthMb(body: string): Promise<{ growthMb: number; value: unknown }> {
  const script = `
    const root = ${JSON.stringify(ROOT)};
    const before = process.resourceUsage().maxRSS;
    let value;
    try { value = await (async () => { ${body} })(); } catch (err) { value = { thrown: err?.code ?? String(err) }; }
    const after = process.resourceUsage().maxRSS;
    process.stdout.write(JSON.stringify({ growthMb: Math.round((after - before) / 1024), value }));
  `;
  const { stdout } = await promisify(execFile)(NODE, ['--input-type=module', '-e', script], { cwd: ROOT, maxBuffer: 1 << 20, timeout: 60_000 });
  return JSON.parse(stdout) as { growthMb: number; value: unknown };
}
