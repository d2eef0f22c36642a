/**
 * The ingest side of bench:ingest, in a process of its own so its peak RSS is the CLI's alone:
 * `docvault ingest DIR --user EMAIL --json` (the command's own code path, minus argument parsing),
 * then the process's peak RSS. Environment: the suite's (GOOGLE_CLOUD_PROJECT, *_EMULATOR_HOST, …).
 */
import { runIngestCommand } from '../cli/ingest-command.ts';

const [dir, user, concurrency] = process.argv.slice(2);
let out = '';
const code = await runIngestCommand(dir!, { user: user!, concurrency: Number(concurrency ?? 16), json: true }, {
  stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
  stderr: process.stderr,
});
const report = JSON.parse(out) as Record<string, unknown>;
// maxRSS is in kilobytes.
process.stdout.write(JSON.stringify({ code, report, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
