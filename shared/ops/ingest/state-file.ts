/** The append-only state file: what an earlier run already put in the bucket. */
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { STATE_FILE_NAME, type StateRecord } from './options.ts';

/** The recorded files, by bucket and object name (so one folder may be ingested for several users). */
export type IngestState = Map<string, StateRecord>;

export const stateKey = (bucket: string, object: string) => `${bucket}\n${object}`;

/** Reads the state file; a torn last line (the run was killed mid-write) is ignored. */
export async function readState(statePath: string): Promise<IngestState> {
  const state: IngestState = new Map();
  let handle;
  try {
    handle = await open(statePath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw err;
  }
  try {
    for await (const line of createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as StateRecord;
        if (typeof r.object === 'string' && typeof r.sha256 === 'string' && typeof r.generation === 'string') state.set(stateKey(r.bucket, r.object), r);
      } catch {
        // torn line
      }
    }
  } finally {
    await handle.close();
  }
  return state;
}

/** The default state file for a folder. */
export function defaultStatePath(dir: string): string {
  return join(resolve(dir), STATE_FILE_NAME);
}
