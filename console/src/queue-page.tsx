/**
 * The caller's queue from /queue/stats as small bar charts; failures by code; for operators, the
 * lanes and every user's held-back backlog, and the model cache.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, listTasks, queueStats, type ApiError, type QueueStatsView } from './api.ts';
import { duration, when } from './format.ts';
import { watchTasks } from './live.ts';

import type { CacheInfo } from '../../shared/services/models.ts';

function Bars({ title, rows }: { title: string; rows: Array<[string, number]> }) {
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <figure class="bars">
      <figcaption>{title}</figcaption>
      <table>
        <tbody>
          {rows.map(([label, n]) => (
            <tr>
              <th scope="row">{label}</th>
              <td>
                <span class="bar" style={{ width: `${(n / max) * 100}%` }} aria-hidden="true" />
                <span class="value">{n}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function QueuePage() {
  const [stats, setStats] = useState<QueueStatsView | null>(null);
  const [failures, setFailures] = useState<Array<[string, number]>>([]);
  const [cache, setCache] = useState<Partial<CacheInfo> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = async () => {
    try {
      const [s, failed] = await Promise.all([queueStats(), listTasks({ status: 'FAILED', limit: 100 })]);
      const byCode = new Map<string, number>();
      for (const t of failed.tasks) byCode.set(t.error?.code ?? 'UNKNOWN', (byCode.get(t.error?.code ?? 'UNKNOWN') ?? 0) + 1);
      setStats(s);
      setFailures([...byCode].sort((a, b) => b[1] - a[1]));
    } catch (err) {
      setError(err as ApiError);
    }
  };
  useEffect(() => {
    void load();
    getJson<Partial<CacheInfo>>('cache/info').then(setCache, () => setCache(null));
  }, []);
  useEffect(() => watchTasks(() => void load(), () => undefined), []);

  return (
    <div class="queue-page">
      <h1>Queue</h1>
      {error && <p role="alert" class="error">{error.code}: {error.message}</p>}
      {stats && (
        <section class="card grid2" aria-label="My queue">
          <Bars
            title="My documents now"
            rows={[
              ['queued', stats.pending],
              ['processing', stats.processing],
              ['failed', stats.failed],
              ['completed today', stats.completedToday],
            ]}
          />
          <div>
            <dl class="facts">
              <dt>Average wait</dt>
              <dd>{duration(stats.averageWaitMs)}</dd>
              <dt>Oldest queued since</dt>
              <dd>{when(stats.oldestQueuedAt)}</dd>
            </dl>
            {failures.length > 0 ? <Bars title="Failed, by code (latest 100)" rows={failures} /> : <p class="muted">No failures.</p>}
          </div>
        </section>
      )}
      {stats?.lanes && (
        <section class="card grid2" aria-labelledby="lanes-title">
          <h2 id="lanes-title">Lanes and backlogs (all users)</h2>
          <Bars
            title="Queued: published / held back"
            rows={[
              ['interactive, published', stats.lanes.interactive.published],
              ['interactive, held back', stats.lanes.interactive.held],
              ['bulk, published', stats.lanes.bulk.published],
              ['bulk, held back', stats.lanes.bulk.held],
            ]}
          />
          {stats.backlogs && stats.backlogs.length > 0 ? (
            <table class="backlogs small">
              <caption>Users with held-back work</caption>
              <thead>
                <tr>
                  <th scope="col">user</th>
                  <th scope="col">in flight</th>
                  <th scope="col">held back</th>
                </tr>
              </thead>
              <tbody>
                {stats.backlogs.map((b) => (
                  <tr>
                    <td>
                      <code title={b.userHash}>{b.userHash.slice(0, 12)}…</code>
                    </td>
                    <td>{b.inFlight}</td>
                    <td>{b.held}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="muted">No user has work held back.</p>
          )}
        </section>
      )}
      {cache && (
        <section class="card" aria-labelledby="cache-title">
          <h2 id="cache-title">Model cache</h2>
          <dl class="facts">
            <dt>Languages</dt>
            <dd>{(cache.languages ?? []).map((l) => `${l.lang}${l.local ? '' : ' (in the bucket)'}`).join(', ') || '—'}</dd>
            {cache.loaded && (
              <>
                <dt>Loaded by this instance</dt>
                <dd>{cache.loaded.join(', ') || '—'}</dd>
              </>
            )}
            {typeof cache.freeBytes === 'number' && (
              <>
                <dt>Free space</dt>
                <dd>{Math.round(cache.freeBytes / 1024 / 1024)} MB</dd>
              </>
            )}
          </dl>
          {cache.folders && (
            <>
              <h3>Cache folders (operators)</h3>
              <ul class="small">
                {cache.folders.map((f) => (
                  <li>
                    <code>{f}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </div>
  );
}
