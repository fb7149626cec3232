// Sign-in form for staff and administrators. `notice` explains why the user is here again (a lapsed
// session, a sign-out); a failed sign-in shows the server's message.
import { type FormEvent, useState } from 'react';
import { api } from './api.js';
import { ErrorMessage } from './dialog.js';
import { TextField } from './fields.js';
import type { Session } from './types.js';
import { useRequest } from './use-request.js';

export function LoginPage({
  notice,
  onLogin,
}: {
  notice: string | null;
  onLogin: (session: Session) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useRequest();

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(() => api.login(email.trim(), password), onLogin);
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit}>
        <p className="brand brand-large">tokend</p>
        <h1>Sign in</h1>
        {notice ? (
          <p className="alert alert-info" role="status">
            {notice}
          </p>
        ) : null}
        <ErrorMessage message={error?.message ?? null} />
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
