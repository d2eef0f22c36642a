/**
 * Where an instance's traineddata comes from, in order: the models bucket mounted read-only
 * (MODEL_CACHE_DIR), else a once-per-instance download from the models bucket, else (no bucket:
 * the CLI, a bare local run) the data shipped in npm packages. Never the internet.
 */
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { ModelDownloader } from '../adapters/model-bucket.ts';
import { langOf } from '../core/model-manifest.ts';
import type { Config } from '../config.ts';
import { modelDirs, ModelStore, type EngineStats, type ModelDir } from '../engines/index.ts';

export interface ModelSetup {
  dirs: ModelDir[];
  origin: 'mount' | 'download' | 'packaged';
  downloader?: ModelDownloader;
}

export function modelSetup(config: Pick<Config, 'MODEL_CACHE_DIR' | 'MODELS_BUCKET'>, storage: Storage, downloadDir = join(tmpdir(), 'docvault-models')): ModelSetup {
  if (config.MODEL_CACHE_DIR) {
    // The bucket's layout is tessdata/{lang}.traineddata; a flat folder works too.
    return {
      origin: 'mount',
      dirs: [
        { dir: join(config.MODEL_CACHE_DIR, 'tessdata'), label: 'mount' },
        { dir: config.MODEL_CACHE_DIR, label: 'mount' },
      ],
    };
  }
  if (config.MODELS_BUCKET) {
    const downloader = new ModelDownloader(storage, config.MODELS_BUCKET, downloadDir);
    return { origin: 'download', downloader, dirs: [{ dir: downloadDir, label: 'download', fetch: (lang) => downloader.ensure(lang) }] };
  }
  return { origin: 'packaged', dirs: modelDirs() };
}

export interface CacheInfo {
  origin: ModelSetup['origin'];
  folders: string[];
  languages: Array<{ lang: string; size: number; sha256?: string; source: string; local: boolean }>;
  loaded: string[];
  freeBytes: number | null;
}

/** What GET /cache/info reports: the languages on offer, their files, and this instance's cache. */
export async function cacheInfo(setup: ModelSetup, engineStats?: EngineStats): Promise<CacheInfo> {
  const local = await new ModelStore(setup.dirs.map(({ dir, label }) => ({ dir, label }))).list();
  const languages: CacheInfo['languages'] = [];
  if (setup.downloader) {
    const manifest = await setup.downloader.loadManifest();
    for (const f of manifest.files) {
      const lang = langOf(f.path);
      if (!lang) continue;
      languages.push({ lang, size: f.size, sha256: f.sha256, source: f.source, local: local.some((l) => l.lang === lang) });
    }
  } else {
    for (const f of local) languages.push({ lang: f.lang, size: f.size, source: f.source, local: true });
  }
  const free = await statfs(setup.dirs[0]?.dir ?? tmpdir()).catch(() => statfs(tmpdir()).catch(() => undefined));
  return {
    origin: setup.origin,
    folders: setup.dirs.map((d) => d.dir),
    languages: languages.sort((a, b) => a.lang.localeCompare(b.lang)),
    loaded: engineStats?.loadedLanguages ?? [],
    freeBytes: free ? free.bavail * free.bsize : null,
  };
}

/** This instance's model set-up for GET /cache/info, made on first use. */
let instanceSetup: ModelSetup | undefined;

/** The languages for everyone; the instance's folders and free space for the operators only. */
export async function cacheInfoFor(config: Pick<Config, 'MODEL_CACHE_DIR' | 'MODELS_BUCKET'>, storage: Storage, operator: boolean): Promise<Partial<CacheInfo>> {
  const info = await cacheInfo((instanceSetup ??= modelSetup(config, storage)));
  if (operator) return info;
  const { folders: _folders, freeBytes: _freeBytes, ...forUsers } = info;
  return forUsers;
}
