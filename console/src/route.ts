/** Pages by URL hash (#/, #/tasks/ID, #/batches/ID, #/queue): the api's own paths stay free. */
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'tasks' } | { page: 'task'; taskId: string } | { page: 'batch'; batchId: string } | { page: 'queue' };

export function parseRoute(hash: string): Route {
  const [, first, id] = hash.replace(/^#/, '').split('/');
  if (first === 'tasks' && id) return { page: 'task', taskId: decodeURIComponent(id) };
  if (first === 'batches' && id) return { page: 'batch', batchId: decodeURIComponent(id) };
  if (first === 'queue') return { page: 'queue' };
  return { page: 'tasks' };
}

export const href = {
  tasks: '#/',
  task: (id: string) => `#/tasks/${encodeURIComponent(id)}`,
  batch: (id: string) => `#/batches/${encodeURIComponent(id)}`,
  queue: '#/queue',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
