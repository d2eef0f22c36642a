/**
 * language=auto over HTTP, end to end on the emulator suite: upload takes it, the worker asks OSD for
 * the first page's script and reads the document in the installed languages of that script; the task's
 * summary and the result name the languages chosen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../shared/core/text-metrics.ts';
import { fixture, groundTruth } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

const OWNER = 'auto-language@example.com';
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1' } } });
}, 180_000);
afterAll(async () => {
  await pipeline?.stop();
});

describe('language=auto', () => {
  it('reads a German and English page in the Latin languages installed, and says which', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tess_eurotext.tif'))], { type: 'image/tiff' }), 'eurotext.tif');
    form.append('language', 'auto');
    const uploaded = await fetchJson(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: asUser(OWNER) });
    expect(uploaded.status).toBe(202);
    const taskId = uploaded.body.tasks[0].taskId as string;
    const api = pipeline.functions.api!.url;
    const task = await waitFor(
      'the task to finish',
      async () => {
        const res = await fetchJson(`${api}/tasks/${taskId}`, { headers: asUser(OWNER) });
        return ['COMPLETED', 'FAILED'].includes(res.body.status) ? res.body : undefined;
      },
      180_000,
      250,
    );
    expect(task.status, JSON.stringify(task.error)).toBe('COMPLETED');
    expect(task.summary.languages).toEqual(['eng', 'deu']);
    const text = await (await fetch(`${api}/tasks/${taskId}/result?format=txt`, { headers: asUser(OWNER) })).text();
    expect(characterErrorRate(groundTruth('tess_eurotext.tif'), text)).toBeLessThanOrEqual(0.1);
  }, 240_000);
});
