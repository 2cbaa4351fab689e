// Sign in with an API token (the same tokens as kubectl and the CLI). The
// token is checked with the server before it is kept, and kept for this tab
// only (sessionStorage).
import { useEffect, useRef, useState } from 'preact/hooks';
import { whoami } from '../access.ts';
import { ApiError } from '../api.ts';
import { session } from '../session.ts';

function loginError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return `The server does not accept this token: ${err.message}. Use the admin token in .switchyard/admin.token or one from \`switchyard token create --role viewer|operator|admin\`.`;
    if (err.status === 0) return 'Cannot reach the API server. Is `switchyard up` running?';
    return err.message;
  }
  return (err as Error).message;
}

export function Login() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(() => {
    const expired = session.takeExpiredMessage();
    return expired ? `You were signed out: ${expired}` : undefined;
  });
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (t === '') {
      setError('Enter a token.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      session.signIn(t, await whoami(t));
    } catch (err) {
      setError(loginError(err));
      setBusy(false);
      input.current?.focus();
    }
  };

  return (
    <main id="main" tabIndex={-1} class="login">
      <h1>Switchyard</h1>
      <p>Sign in with an API token to watch and steer rollouts.</p>
      <form onSubmit={submit} noValidate>
        <label for="token">API token</label>
        <input id="token" ref={input} type="password" autocomplete="off" spellcheck={false} value={token} aria-invalid={error ? 'true' : 'false'}
          aria-describedby={error ? 'login-error token-help' : 'token-help'} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="token-help" class="muted">Kept in this browser tab only, until you sign out or close it.</p>
        {error && <p id="login-error" class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
