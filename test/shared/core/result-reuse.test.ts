/** The result key and the choice of an earlier result (core/result-reuse.ts). */
import { describe, expect, it } from 'vitest';
import { Limits, OcrOptions } from '../../../shared/core/options.ts';
import { chooseReuse, indexEntryOf, pacedPages, resultKey, reusedSummary, type ContentIndexEntry } from '../../../shared/core/result-reuse.ts';
import { resultObjectNames, type TaskSummary } from '../../../shared/core/task.ts';
import { makeTask } from '../../support/tasks.ts';

const inputs = { contentSha256: 'c'.repeat(64), reader: 'tesseract.js@7.0.0 eng:abc', version: '1.0.0' };
const options = OcrOptions.parse({ languages: ['eng', 'deu'], searchablePdf: true });
const key = resultKey(inputs, options);

function summary(over: Partial<TaskSummary> = {}): TaskSummary {
  return { pages: 10, failedPages: 0, confidence: 90, languages: ['eng'], category: 'letter', processingMs: 20_000, resultBucket: 'results', objects: resultObjectNames('a'.repeat(64), 't1'), ...over };
}

function entry(userHash: string, taskId: string, over: Partial<TaskSummary> = {}): ContentIndexEntry {
  return { v: 1, key, userHash, taskId, summary: summary(over), readingMs: 20_000, completedAt: new Date(), expireAt: null };
}

describe('resultKey', () => {
  it('is the same for the same inputs, whatever limits only decide failures', () => {
    const failuresOnly = OcrOptions.parse({ ...options, limits: Limits.parse({ pageTimeoutMs: 1, documentTimeoutMs: 2, maxPages: 3, maxBytes: 4, renderHeapMb: 5, maxOperatorsPerPage: 6, maxPixelsPerDocument: 7 }) });
    expect(resultKey(inputs, failuresOnly)).toBe(key);
    expect(resultKey({ ...inputs }, OcrOptions.parse({ ...options, password: 'secret' }))).toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the bytes, the engines and models, the version, and every option that changes the text', () => {
    const variants = [
      resultKey({ ...inputs, contentSha256: 'd'.repeat(64) }, options),
      resultKey({ ...inputs, reader: 'tesseract.js@7.0.1 eng:abc' }, options),
      resultKey({ ...inputs, reader: 'tesseract.js@7.0.0 eng:abd' }, options),
      resultKey({ ...inputs, version: '1.0.1' }, options),
      resultKey(inputs, { ...options, languages: ['deu', 'eng'] }),
      resultKey(inputs, { ...options, languages: ['eng'] }),
      resultKey(inputs, { ...options, dpi: 200 }),
      resultKey(inputs, { ...options, defaultImageDpi: 150 }),
      resultKey(inputs, { ...options, textLayerMinChars: 1 }),
      resultKey(inputs, { ...options, detectOrientation: false }),
      resultKey(inputs, { ...options, searchablePdf: false }),
      resultKey(inputs, { ...options, limits: { ...options.limits, maxPixelsPerPage: 1_000_000 } }),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('chooseReuse', () => {
  const alice = 'a'.repeat(64);
  const bob = 'b'.repeat(64);

  it("the user's own result first, said so; another user's result shared without a word", () => {
    expect(chooseReuse({ taskId: 'new', userHash: alice }, { own: entry(alice, 'mine'), latest: entry(bob, 'his') })).toMatchObject({ kind: 'own', entry: { taskId: 'mine' } });
    expect(chooseReuse({ taskId: 'new', userHash: alice }, { own: null, latest: entry(bob, 'his') })).toMatchObject({ kind: 'shared', entry: { taskId: 'his' } });
    expect(chooseReuse({ taskId: 'new', userHash: alice }, { own: null, latest: entry(alice, 'mine') })).toMatchObject({ kind: 'own' });
    expect(chooseReuse({ taskId: 'new', userHash: alice }, { own: null, latest: null })).toBeNull();
  });

  it('never a result with a failed page, nor the task itself', () => {
    expect(chooseReuse({ taskId: 'new', userHash: alice }, { own: entry(alice, 'mine', { failedPages: 1 }), latest: entry(alice, 'mine', { failedPages: 1 }) })).toBeNull();
    expect(chooseReuse({ taskId: 'mine', userHash: alice }, { own: entry(alice, 'mine'), latest: null })).toBeNull();
  });

  it('the reusing summary names its own objects; only the own kind names the earlier task', () => {
    const objects = resultObjectNames(alice, 'new');
    const own = reusedSummary({ kind: 'own', entry: entry(alice, 'mine') }, objects, 'results2', 12);
    expect(own).toMatchObject({ objects, resultBucket: 'results2', processingMs: 12, dedupedFrom: 'mine', pages: 10 });
    expect(own.dedupeReason).toMatch(/earlier document of yours/);
    const shared = reusedSummary({ kind: 'shared', entry: { ...entry(bob, 'his'), summary: { ...summary(), dedupedFrom: 'older', dedupeReason: 'x' } } }, objects, 'results', 20_100);
    expect(shared).toEqual({ ...summary(), objects, processingMs: 20_100 });
    expect(JSON.stringify(shared)).not.toMatch(/his|older/);
  });
});

describe('indexEntryOf and pacedPages', () => {
  it('indexes only COMPLETED tasks with whole results', () => {
    const done = makeTask({ status: 'COMPLETED', summary: summary(), completedAt: new Date() });
    expect(indexEntryOf(key, done)).toMatchObject({ key, taskId: done.taskId, userHash: done.userHash, readingMs: 20_000 });
    // a copy's entry keeps the first reading's time, not the copy's
    const copy = makeTask({ status: 'COMPLETED', summary: summary({ processingMs: 40 }), completedAt: new Date() });
    expect(indexEntryOf(key, copy, entry('a'.repeat(64), 'first'))).toMatchObject({ taskId: copy.taskId, readingMs: 20_000 });
    expect(indexEntryOf(key, { ...done, summary: summary({ failedPages: 2 }) })).toBeNull();
    expect(indexEntryOf(key, { ...done, status: 'FAILED' })).toBeNull();
  });

  it('spreads the pages over the earlier reading, the last left to completion', () => {
    expect(pacedPages(4, 8000)).toEqual([
      { atMs: 2000, done: 1, total: 4 },
      { atMs: 4000, done: 2, total: 4 },
      { atMs: 6000, done: 3, total: 4 },
    ]);
    expect(pacedPages(1, 8000)).toEqual([]);
  });
});
