import { useEffect, useState } from 'preact/hooks';
import { loadSettings, setIdentity, whenSignInExpires, type ConsoleSettings, type Identity } from './api.ts';
import { BatchPage } from './batch-page.tsx';
import { QueuePage } from './queue-page.tsx';
import { href, useRoute } from './route.ts';
import { saveIdentity, savedIdentity, SignIn } from './sign-in.tsx';
import { TasksPage } from './tasks-page.tsx';
import { Viewer } from './viewer.tsx';

export function App() {
  const [settings, setSettings] = useState<ConsoleSettings | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [identity, setCurrent] = useState<Identity | null>(null);
  const route = useRoute();

  useEffect(() => {
    loadSettings()
      .then((s) => {
        const saved = savedIdentity(s);
        setIdentity(saved);
        setCurrent(saved);
        setSettings(s);
      })
      .catch((err: Error) => setFailure(err.message));
  }, []);

  const signIn = (next: Identity | null) => {
    setIdentity(next);
    saveIdentity(next);
    setCurrent(next);
  };
  whenSignInExpires(() => signIn(null));

  if (failure) return <main id="main"><p role="alert" class="error">The console could not load its settings: {failure}</p></main>;
  if (!settings) return <main id="main" aria-busy="true"><p class="muted">Loading…</p></main>;
  if (!identity) return <SignIn settings={settings} onSignedIn={signIn} />;

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href={href.tasks}>DocVault OCR</a>
        <nav aria-label="Pages">
          <a href={href.tasks} aria-current={route.page === 'tasks' ? 'page' : undefined}>Documents</a>
          <a href={href.queue} aria-current={route.page === 'queue' ? 'page' : undefined}>Queue</a>
        </nav>
        <div class="who">
          <span class="email" title={identity.email}>{identity.email}</span>
          {settings.emulators && <span class="badge">local</span>}
          <button type="button" onClick={() => signIn(null)}>Sign out</button>
        </div>
      </header>
      {/* Re-mounted per user, so nothing of one user's stays on screen for the next. */}
      <main id="main" key={identity.email}>
        {route.page === 'tasks' && <TasksPage settings={settings} />}
        {route.page === 'task' && <Viewer taskId={route.taskId} />}
        {route.page === 'batch' && <BatchPage batchId={route.batchId} />}
        {route.page === 'queue' && <QueuePage />}
      </main>
    </>
  );
}
