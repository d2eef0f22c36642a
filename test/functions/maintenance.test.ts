/** The api's maintenance routes, as Cloud Scheduler calls them, against the real emulators. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, type ApiContext } from '../../functions/api/index.ts';
import { appContext } from '../../shared/services/context.ts';
import { asUser, fetchJson, serveHttpFunction, type ServedFunction } from '../support/http.ts';
import { startSuite, type Suite } from '../support/suite.ts';
import { makeTask } from '../support/tasks.ts';

const SCHEDULER = 'scheduler@docvault-test.iam.gserviceaccount.com';
let suite: Suite;
let api: ServedFunction;
let ctx: ApiContext;

beforeAll(async () => {
  suite = await startSuite();
  const base = appContext('api');
  ctx = { ...base, config: { ...base.config, MAINTENANCE_CALLERS: [SCHEDULER] } };
  api = await serveHttpFunction('api-maintenance', createApiHandler(() => ctx));
});
afterAll(async () => {
  await api?.close();
  await suite?.stop();
});

const post = (path: string, email: string, body: unknown = {}) =>
  fetchJson(`${api.url}${path}`, { method: 'POST', headers: asUser(email, { 'content-type': 'application/json' }), body: JSON.stringify(body) });

describe('maintenance routes', () => {
  it('recover-stale puts a task whose worker died back in the queue; only the scheduler may call it', async () => {
    const past = new Date(Date.now() - 3_600_000);
    const stale = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'dead-worker', expiresAt: past }, startedAt: past });
    await ctx.tasks.createIfAbsent(stale);
    expect((await post('/maintenance/recover-stale', 'alice@example.com')).status).toBe(404);
    // Any method answers a normal user the same: the route does not exist for them.
    for (const path of ['/maintenance/recover-stale', '/maintenance/cleanup']) {
      const wrongMethod = await fetchJson(`${api.url}${path}`, { headers: asUser('alice@example.com') });
      const right = await post(path, 'alice@example.com');
      expect([wrongMethod.status, right.status]).toEqual([404, 404]);
      expect(wrongMethod.body.error.code).toBe(right.body.error.code);
      expect(wrongMethod.body.error.message.replace('GET', 'POST')).toBe(right.body.error.message);
    }
    expect((await fetchJson(`${api.url}/maintenance/cleanup`, { headers: asUser(SCHEDULER) })).status).toBe(405);
    expect((await ctx.tasks.get(stale.taskId))!.status).toBe('PROCESSING');
    const res = await post('/maintenance/recover-stale', SCHEDULER);
    expect(res.status).toBe(200);
    expect(res.body.requeued).toContain(stale.taskId);
    expect((await ctx.tasks.get(stale.taskId))!.status).toBe('QUEUED');
  });

  it('cleanup removes long-finished tasks (a dry run changes nothing)', async () => {
    const old = new Date(Date.now() - 30 * 86_400_000);
    const done = makeTask({ status: 'COMPLETED', progress: 100, completedAt: old, createdAt: old });
    await ctx.tasks.createIfAbsent(done);
    const dry = await post('/maintenance/cleanup', SCHEDULER, { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.tasks.COMPLETED).toBeGreaterThanOrEqual(1);
    expect(await ctx.tasks.get(done.taskId)).not.toBeNull();
    expect((await post('/maintenance/cleanup', SCHEDULER)).status).toBe(200);
    expect(await ctx.tasks.get(done.taskId)).toBeNull();
  });
});
