/**
 * Batch ingest (`docvault ingest DIR`): every supported file under a folder becomes an object in the
 * user's prefix of the uploads bucket — exactly what a gsutil drop becomes — and the storage trigger
 * turns each into a task (its id: derivedTaskId(bucket, name, generation)).
 *
 * walk (streamed, bounded) → state check (size + mtime, then content hash) → upload once
 * (ifGenerationMatch) with retries → one JSON line appended to the state file.
 *
 * The state file is append-only: an interrupted run picks up where it stopped, and an object that
 * was written but not yet recorded is recognised by its MD5 (the precondition refuses a second copy).
 *
 * The parts live in `ingest/`: options and report, walk, retries, the state file, one file, the run, the monitor.
 */
export { DEFAULT_CONCURRENCY, DEFAULT_RETRY, MAX_LISTED, MONITOR_INTERVAL_MS, MONITOR_STALL_MS, SMALL_FILE_BYTES, STATE_FILE_NAME, SUPPORTED_EXTENSIONS } from './ingest/options.ts';
export type { FileOutcome, IngestOptions, IngestProgress, IngestReport, StateRecord, SubmittedTask } from './ingest/options.ts';
export { selects, walk, type WalkEntry } from './ingest/walk.ts';
export { isTransient, withRetry } from './ingest/retry.ts';
export { defaultStatePath, readState, type IngestState } from './ingest/state-file.ts';
export { ingest } from './ingest/run.ts';
export { monitorTasks, type MonitorOptions, type MonitorReport, type MonitorSource } from './ingest/monitor.ts';
