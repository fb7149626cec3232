// Sign-in for staff and administrators. `notice` explains why the user is here again (a lapsed session,
// a sign-out); a failed sign-in shows the server's message. With the institution's identity provider set
// (GET /apis/v1/session/options) the page offers "Sign in with <provider>"; the password form shows while
// password login is open, else behind a small link for the operator's break-glass accounts. A refused
// sign-in at the provider comes back as `?login_error=<reason>`, worded here.
import { type FormEvent, useEffect, useState } from 'react';
import { api } from './api.js';
import { ErrorMessage } from './dialog.js';
import { TextField } from './fields.js';
import type { Session, SessionOptions } from './types.js';
import { useRequest } from './use-request.js';

/** What each refusal of the callback (src/accounts/oidc.ts OIDC_REFUSALS) means to the person. */
const REFUSALS: Record<string, string> = {
  sso_not_set: 'Single sign-on is not set up for this institution.',
  sso_unavailable: 'The identity provider cannot be reached right now. Please try again in a moment.',
  sso_failed: 'The sign-in could not be completed. Please start again from this page.',
  email_unverified: 'Your identity provider did not confirm your email address, so you cannot sign in.',
  not_allowed: 'You are signed in at your identity provider, but your account may not manage API tokens.',
  ask_admin: 'An account with your email address already exists. Please ask an administrator.',
  deactivated: 'Your account is deactivated. Please ask an administrator.',
};

/** The refusal in the address (once: it is taken out so a reload does not show it again). */
function takeLoginError(): string | null {
  const url = new URL(window.location.href);
  const reason = url.searchParams.get('login_error');
  if (reason === null) return null;
  url.searchParams.delete('login_error');
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return REFUSALS[reason] ?? 'The sign-in was refused.';
}

export function LoginPage({
  notice,
  onLogin,
}: {
  notice: string | null;
  onLogin: (session: Session) => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [options, setOptions] = useState<SessionOptions | null>(null);
  const [showPassword, setShowPassword] = useState(false);
  const [refusal] = useState(takeLoginError);
  const { busy, error, run } = useRequest();

  useEffect(() => {
    // Without the options (an old server, a failure) the password form is offered, as before.
    api
      .sessionOptions()
      .then(setOptions, () => setOptions({ sso: false, provider: null, passwordLogin: true }));
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(() => api.login(email.trim(), password), onLogin);
  }

  const here = `${window.location.pathname}${window.location.search}`;
  const ssoHref = `/apis/v1/session/oidc?returnTo=${encodeURIComponent(here)}`;
  const passwordForm = options !== null && (options.passwordLogin || showPassword || !options.sso);

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
        {refusal ? (
          <p className="alert alert-error" role="alert">
            {refusal}
          </p>
        ) : null}
        {options?.sso ? (
          <a className="button button-primary button-block" href={ssoHref}>
            Sign in with {options.provider ?? 'your identity provider'}
          </a>
        ) : null}
        {passwordForm ? (
          <>
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
            <button
              type="submit"
              className={`button button-block${options.sso ? '' : ' button-primary'}`}
              disabled={busy}
            >
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </>
        ) : null}
        {options?.sso && !options.passwordLogin && !showPassword ? (
          <button type="button" className="link-button" onClick={() => setShowPassword(true)}>
            Sign in with a password
          </button>
        ) : null}
      </form>
    </main>
  );
}
