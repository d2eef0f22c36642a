/** One cold start of the OCR worker's engine: process start → first page read. Prints JSON. */
import { readFileSync } from 'node:fs';
import { Storage } from '@google-cloud/storage';
import { loadConfig } from '../shared/config.ts';
import { createOcr } from '../shared/engines/index.ts';
import { modelSetup } from '../shared/services/models.ts';

const imported = performance.now();
const config = loadConfig();
const setup = modelSetup(config, new Storage({ projectId: config.GOOGLE_CLOUD_PROJECT }), process.env.BENCH_DOWNLOAD_DIR);
const ocr = createOcr({ modelDirs: setup.dirs, workers: 1 });
const { result } = await ocr.process(new Uint8Array(readFileSync(process.env.BENCH_PAGE!)));
const firstResult = performance.now();
// CPU of the process and all its threads (the OCR worker's, V8's compilers) up to the first result.
const { user, system } = process.cpuUsage();
await ocr.close();
process.stdout.write(JSON.stringify({ origin: setup.origin, importMs: imported, firstResultMs: firstResult, firstResultCpuMs: (user + system) / 1000, chars: result.text.length }) + '\n');
