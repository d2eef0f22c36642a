/**
 * Sign-in. On the local emulators: "act as user (email)", sent as X-User-Email (the server accepts
 * it only there). In the cloud: Google sign-in (Google Identity Services), whose ID token the api and
 * upload verify against AUTH_AUDIENCE. Its script is the one file the page loads from elsewhere:
 * sign-in with Google cannot happen without Google's own code, and the CSP allows it only when a
 * client id is configured.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConsoleSettings, Identity } from './api.ts';

const SAVED = 'docvault-console-identity';

export function savedIdentity(settings: ConsoleSettings): Identity | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SAVED) ?? 'null') as Identity | null;
    if (saved?.kind === 'local' && settings.emulators) return saved;
    if (saved?.kind === 'google' && !settings.emulators && tokenExpiry(saved.token) > Date.now() + 60_000) return saved;
  } catch {
    // nothing usable saved
  }
  return null;
}

export function saveIdentity(identity: Identity | null): void {
  if (identity) sessionStorage.setItem(SAVED, JSON.stringify(identity));
  else sessionStorage.removeItem(SAVED);
}

function claims(token: string): { email?: string; exp?: number } {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { email?: string; exp?: number };
  } catch {
    return {};
  }
}
const tokenExpiry = (token: string): number => (claims(token).exp ?? 0) * 1000;

export function SignIn({ settings, onSignedIn }: { settings: ConsoleSettings; onSignedIn: (identity: Identity) => void }) {
  return (
    <main class="sign-in" id="main">
      <h1>DocVault OCR</h1>
      <p class="lead">Upload scans and photos, watch them being read page by page, and check the text over each page.</p>
      {settings.emulators ? <LocalSignIn onSignedIn={onSignedIn} /> : settings.googleClientId ? <GoogleSignIn clientId={settings.googleClientId} onSignedIn={onSignedIn} /> : (
        <p role="alert" class="error">Sign-in is not configured: set AUTH_AUDIENCE on the api to include the OAuth client id.</p>
      )}
    </main>
  );
}

function LocalSignIn({ onSignedIn }: { onSignedIn: (identity: Identity) => void }) {
  const [email, setEmail] = useState('');
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        if (email.trim()) onSignedIn({ kind: 'local', email: email.trim() });
      }}
    >
      <p class="note">Local emulator suite: no password. Any email address stands for a user; each sees only their own documents.</p>
      <label for="act-as">Act as user (email)</label>
      <div class="row">
        <input id="act-as" name="email" type="email" required autocomplete="email" placeholder="you@example.com" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <button type="submit" class="primary">Continue</button>
      </div>
    </form>
  );
}

interface GoogleIdentityServices {
  accounts: { id: { initialize(o: { client_id: string; callback: (r: { credential: string }) => void }): void; renderButton(el: HTMLElement, o: Record<string, string>): void } };
}

function GoogleSignIn({ clientId, onSignedIn }: { clientId: string; onSignedIn: (identity: Identity) => void }) {
  const button = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const script = document.createElement('script');
    script.src = 'https://accounts.google.com/gsi/client';
    script.async = true;
    script.onerror = () => setFailed(true);
    script.onload = () => {
      const google = (window as unknown as { google: GoogleIdentityServices }).google;
      google.accounts.id.initialize({
        client_id: clientId,
        callback: ({ credential }) => onSignedIn({ kind: 'google', email: claims(credential).email ?? '', token: credential }),
      });
      if (button.current) google.accounts.id.renderButton(button.current, { theme: 'outline', size: 'large', text: 'signin_with' });
    };
    document.head.append(script);
    return () => script.remove();
  }, [clientId]);
  return (
    <div class="card">
      <p>Sign in with your Google account.</p>
      <div ref={button} />
      {failed && <p role="alert" class="error">Google sign-in could not be loaded: check your network.</p>}
    </div>
  );
}
