import { useState } from 'preact/hooks';
import { api, type Session } from '../api.js';
import { ErrorMessage, TextField } from '../ui.js';

export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (session: Session) => void;
  notice: string | null;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<Session>('POST', 'session', { json: { key } }));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }
  return (
    <main class="sign-in" id="main">
      <form onSubmit={submit} class="card">
        <h1>Sign in to roster</h1>
        <p>
          Paste a secret API key of your project (it starts with <code>sk_</code>). <code>roster serve</code>{' '}
          prints one when it creates the project; <code>roster keys create</code> makes another.
        </p>
        {notice ? (
          <p class="alert" role="status">
            {notice}
          </p>
        ) : null}
        <TextField
          id="key"
          label="Secret key"
          name="key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onValue={setKey}
        />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">The key stays on the server: your browser only keeps a session cookie.</p>
      </form>
    </main>
  );
}
