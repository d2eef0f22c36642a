/**
 * Traineddata from the models bucket, for an instance without the bucket mounted: each language is
 * downloaded once into a local folder, checked against the bucket's manifest.json (sha256), and
 * reused by every later task. A cached file that no longer matches is fetched again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { DocVaultError } from '../core/errors.ts';
import { langOf, MANIFEST_NAME, ModelManifest } from '../core/model-manifest.ts';
import { downloadObject } from './object-read.ts';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class ModelDownloader {
  private manifest: Promise<ModelManifest> | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly storage: Storage;
  private readonly bucket: string;
  readonly dir: string;

  constructor(storage: Storage, bucket: string, dir: string) {
    this.storage = storage;
    this.bucket = bucket;
    this.dir = dir;
  }

  loadManifest(): Promise<ModelManifest> {
    this.manifest ??= downloadObject(this.storage.bucket(this.bucket).file(MANIFEST_NAME))
      .then((data) => ModelManifest.parse(JSON.parse(data.toString('utf8'))))
      .catch((err: unknown) => {
        this.manifest = undefined; // try again next time
        throw new DocVaultError('ENGINE_FAILURE', `The models bucket gs://${this.bucket} has no readable ${MANIFEST_NAME}: ${(err as Error).message}`);
      });
    return this.manifest;
  }

  async languages(): Promise<string[]> {
    return (await this.loadManifest()).files.map((f) => langOf(f.path)).filter((l): l is string => l !== null);
  }

  /** Makes `{dir}/{lang}.traineddata` present and verified; false when the bucket does not have the language. */
  async ensure(lang: string): Promise<boolean> {
    const entry = (await this.loadManifest()).files.find((f) => langOf(f.path) === lang);
    if (!entry) return false;
    let pending = this.inFlight.get(lang);
    if (!pending) {
      pending = this.fetch(lang, entry.path, entry.sha256).finally(() => this.inFlight.delete(lang));
      this.inFlight.set(lang, pending);
    }
    await pending;
    return true;
  }

  private async fetch(lang: string, path: string, expected: string): Promise<void> {
    const target = join(this.dir, `${lang}.traineddata`);
    const cached = await readFile(target).catch(() => undefined);
    if (cached && sha256(cached) === expected) return;
    await mkdir(this.dir, { recursive: true });
    const data = await downloadObject(this.storage.bucket(this.bucket).file(path));
    const actual = sha256(data);
    if (actual !== expected) {
      throw new DocVaultError(
        'ENGINE_FAILURE',
        `gs://${this.bucket}/${path} does not match the manifest (sha256 ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…): run docvault models sync again.`,
        { language: lang },
      );
    }
    // Written under a temporary name and renamed: a crash never leaves half a model behind.
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, data);
    await rename(temp, target).catch(async (err: unknown) => {
      await rm(temp, { force: true });
      throw err;
    });
  }
}
