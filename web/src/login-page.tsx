// Sign-in form for staff and administrators. `notice` explains why the user is here again (a lapsed
// session, a sign-out); a failed sign-in shows the server's message.
import { type FormEvent, useState } from 'react';
import { api } from './api.js';
import { ErrorMessage } from './dialog.js';
import { TextField } from './fields.js';
import type { Session } from './types.js';

export function LoginPage({
  notice,
  onLogin,
}: {
  notice: string | null;
  onLogin: (session: Session) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.login(email.trim(), password));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Sign-in failed.');
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={(event) => void submit(event)}>
        <p className="brand brand-large">tokend</p>
        <h1>Sign in</h1>
        {notice ? (
          <p className="alert alert-info" role="status">
            {notice}
          </p>
        ) : null}
        <ErrorMessage message={error} />
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoComplete="username"
        />
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          required
          autoComplete="current-password"
        />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
