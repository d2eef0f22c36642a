/**
 * Live task changes: one server-sent-events stream per tab (GET /events), read with fetch so the
 * sign-in header goes along (EventSource cannot send one). The server ends each stream after a
 * while; the next one opens at once, so the tab always holds exactly one request.
 */
import { authHeaders, type TaskView } from './api.ts';

export interface LiveStatus {
  connected: boolean;
}

export function watchTasks(onTasks: (tasks: TaskView[]) => void, onStatus: (s: LiveStatus) => void): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  const run = async () => {
    let failures = 0;
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch('events', { headers: { ...authHeaders(), accept: 'text/event-stream' }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        onStatus({ connected: true });
        failures = 0;
        await readEvents(res.body, (event, data) => {
          if (event === 'tasks') onTasks(JSON.parse(data) as TaskView[]);
        });
      } catch {
        if (stopped) return;
        failures += 1;
        onStatus({ connected: false });
      }
      // Straight on after a stream's normal end; backing off after failures.
      await new Promise((r) => setTimeout(r, failures === 0 ? 100 : Math.min(15_000, 1000 * 2 ** failures)));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** Parses an event stream (event:/data: lines, blank line ends an event). */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(event, data.join('\n'));
    }
  }
}
