/** Ingest's settings, its defaults and what a run reports. */
import { EXTENSION_CONTENT_TYPES } from '../../core/document-type.ts';
import type { Priority } from '../../core/task.ts';

/** Extensions tried first, for speed; dispatch and the worker decide on the content itself. */
export const SUPPORTED_EXTENSIONS = EXTENSION_CONTENT_TYPES;

export const STATE_FILE_NAME = '.docvault-ingest.jsonl';
/** Up to this size a file is read whole and sent in one request; larger ones are streamed (resumable). */
export const SMALL_FILE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_RETRY = { attempts: 6, initialDelayMs: 250, maxDelayMs: 8_000 } as const;
/** Failures and conflicts listed by path in the report, at most (all are counted). */
export const MAX_LISTED = 1_000;
/** How often --monitor reads the tasks it still waits for. */
export const MONITOR_INTERVAL_MS = 1_000;
/** --monitor gives up after this long without any task finishing. */
export const MONITOR_STALL_MS = 30 * 60_000;

/** One line of the state file: a file that is in the bucket, and the task it became. */
export interface StateRecord {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  bucket: string;
  object: string;
  generation: string;
  taskId: string;
}

export type FileOutcome =
  /** Written now: a new task. */
  | 'uploaded'
  /** In the state file and unchanged (same size and mtime, or same content): nothing sent. */
  | 'unchanged'
  /** Not recorded, but the bucket already holds these bytes under this name (an interrupted run, or a gsutil drop): recorded, nothing sent. */
  | 'present'
  /** The bucket holds different bytes under this name that this state file does not know: left alone. */
  | 'conflict'
  /** --dry-run: would be uploaded. */
  | 'would-upload'
  | 'failed';

export interface IngestOptions {
  dir: string;
  bucket: string;
  userHash: string;
  concurrency?: number;
  priority?: Priority;
  languages?: string[];
  /** An encrypted PDF's password, sealed under PASSWORD_KEY: put in each object's metadata, where dispatch takes it into the task. */
  sealedPassword?: string;
  /** Globs over the path relative to DIR; one without a slash is matched against the file name. */
  include?: string[];
  exclude?: string[];
  dryRun?: boolean;
  /** Default: DIR/.docvault-ingest.jsonl */
  statePath?: string;
  signal?: AbortSignal;
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  onProgress?: (progress: IngestProgress) => void;
  /** Keep the list of tasks submitted (for --monitor); off, a run of any size keeps no per-file list. */
  trackSubmitted?: boolean;
  /** The batch this run's uploads join (object metadata → the tasks' batchId). Default: a new one per run. */
  batchId?: string;
  /** Called for each file once settled. */
  onFile?: (file: { path: string; outcome: FileOutcome; taskId?: string; error?: string }) => void;
}

export interface SubmittedTask {
  path: string;
  taskId: string;
  /** Written by this run, so in its batch. */
  inBatch?: boolean;
}

export interface IngestProgress {
  /** Files seen by the walk that pass the filters. */
  found: number;
  /** All matching files, once a separate counting walk has finished (null until then). */
  total: number | null;
  done: number;
  uploaded: number;
  skipped: number;
  failed: number;
  /** Bytes sent. */
  bytes: number;
  elapsedMs: number;
}

export interface IngestReport {
  dir: string;
  bucket: string;
  prefix: string;
  statePath: string;
  dryRun: boolean;
  aborted: boolean;
  /** Matching files seen. */
  files: number;
  /** Files left out: unsupported extension or filtered by --include/--exclude. */
  ignored: number;
  outcomes: Record<FileOutcome, number>;
  bytes: number;
  elapsedMs: number;
  /** Every task this run's uploads became belongs to this batch: GET /batches/{batchId}. */
  batchId: string;
  /**
   * Tasks this run created (uploaded, inBatch) or adopted (present: written by an earlier run, so in
   * its batch, or by someone else): what --monitor follows. Only with trackSubmitted.
   */
  submitted: SubmittedTask[];
  /** The first MAX_LISTED failed files and conflicts (outcomes counts them all). */
  failures: Array<{ path: string; error: string }>;
  conflicts: string[];
}

