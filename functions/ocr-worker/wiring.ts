/**
 * The worker's dependencies, built once per instance from the config and the clients: the OCR
 * engine (warm across tasks), this instance's worker id, and everything handleOcrMessage takes.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { FirestoreContentIndex } from '../../shared/adapters/content-index.ts';
import { createOcr, type Ocr } from '../../shared/engines/index.ts';
import { readerIdentity } from '../../shared/engines/reader-identity.ts';
import { notifySettings } from '../../shared/lifecycle/notify.ts';
import { pagePreview } from '../../shared/outputs/preview.ts';
import { appContext } from '../../shared/services/context.ts';
import { withPoisonMarker } from '../../shared/services/faults.ts';
import { modelSetup } from '../../shared/services/models.ts';
import type { OcrProcessor, WorkerDeps } from '../../shared/services/ocr-worker.ts';
import { ShardStore } from '../../shared/adapters/firestore-shards.ts';
import { countPages } from '../../shared/engines/page-count.ts';
import { VERSION } from '../../shared/version.ts';
import { holderId } from '../../shared/core/lease-holder.ts';

const INCARNATION = `${process.pid}:${randomBytes(3).toString('hex')}`;
let workerId: string | undefined;

/** This instance's lease holder id: under its stable name when it has one (core/lease-holder.ts), else unique to the process. */
export function instanceWorkerId(): string {
  const { config } = appContext('ocr-worker');
  workerId ??= config.WORKER_INSTANCE ? holderId(config.WORKER_INSTANCE, INCARNATION) : `${process.env.K_REVISION ?? 'local'}:${hostname()}:${INCARNATION}`;
  return workerId;
}
let ocr: Ocr | undefined;
let deps: WorkerDeps | undefined;

export function engine(): Ocr {
  const { config, storage } = appContext('ocr-worker');
  ocr ??= (() => {
    const models = modelSetup(config, storage);
    // language=auto chooses among the bucket's languages (its manifest), not only those downloaded so far.
    const downloader = models.downloader;
    return createOcr({ modelDirs: models.dirs, workers: config.OCR_WORKERS, preview: pagePreview, ...(downloader ? { installedLanguages: () => downloader.languages() } : {}) });
  })();
  return ocr;
}

function processor(): OcrProcessor {
  const { config } = appContext('ocr-worker');
  return config.OCR_FAULT_MARKER ? withPoisonMarker(engine(), config.OCR_FAULT_MARKER) : engine();
}

export function workerDeps(): WorkerDeps {
  deps ??= buildWorkerDeps();
  return deps;
}

function buildWorkerDeps(): WorkerDeps {
  const { config, tasks, queue, blobs, log, firestore } = appContext('ocr-worker');
  return {
    workerId: instanceWorkerId(),
    tasks,
    queue,
    blobs,
    ocr: processor(),
    log,
    resultsBucket: config.RESULTS_BUCKET,
    limits: config.limits,
    leaseMs: config.LEASE_SECONDS * 1000,
    progressIntervalMs: config.PROGRESS_INTERVAL_MS,
    retentionMs: config.retentionMs,
    deleteUploadOnSuccess: config.DELETE_UPLOAD_ON_SUCCESS,
    passwordKey: config.PASSWORD_KEY,
    shards: { store: new ShardStore(firestore), shardPages: config.SHARD_PAGES, countPages: (bytes) => countPages(bytes, 'pdf') },
    ...notifySettings(config),
    dedupe: config.DEDUPE_RESULTS ? { index: new FirestoreContentIndex(firestore), reader: (languages) => readerIdentity(engine(), languages), version: VERSION } : undefined,
  };
}
