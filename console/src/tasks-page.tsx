import { useState } from 'preact/hooks';
import type { ConsoleSettings } from './api.ts';
import { TaskList } from './task-list.tsx';
import { Uploader } from './uploader.tsx';

export function TasksPage({ settings }: { settings: ConsoleSettings }) {
  const [uploaded, setUploaded] = useState(0);
  return (
    <div class="tasks-page">
      <h1 class="visually-hidden">Documents</h1>
      <Uploader settings={settings} onUploaded={() => setUploaded((n) => n + 1)} />
      <TaskList uploaded={uploaded} />
    </div>
  );
}
