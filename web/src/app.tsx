// The page's root: restores the session (and its CSRF token) from GET /apis/v1/session on load, shows
// the login page without one, and returns there with a message whenever the API says the session lapsed.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, setCsrfToken, setSessionLostHandler } from './api.js';
import { Layout, NoPermission, SettingsOverview } from './layout.js';
import { LoginPage } from './login-page.js';
import { navigate, paths, useLocation } from './router.js';
import { AdministratorsOnly, PeoplePage } from './settings/people-page.js';
import { ApplicationsPage } from './inventory/applications-page.js';
import { AuditLogPage } from './inventory/audit-log-page.js';
import { TokenDetailPage } from './tokens/token-detail-page.js';
import { TokenListPage } from './tokens/token-list-page.js';
import { canManageTokens, type Session, type User } from './types.js';
import { WebhookDetailPage } from './webhooks/webhook-detail-page.js';
import { WebhookListPage } from './webhooks/webhook-list-page.js';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'unreachable'; message: string }
  | { kind: 'signed-in'; session: Session };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const { path } = useLocation();

  const signIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  }, []);
  const signOut = useCallback((notice: string | null) => {
    setCsrfToken(null);
    setState({ kind: 'signed-out', notice });
  }, []);

  // The state is `loading` until this answers (from the first render, or set by `retry`).
  const restore = useCallback(() => {
    api
      .getSession()
      .then(signIn)
      .catch((error: Error) =>
        error instanceof ApiError && error.status === 401
          ? signOut(null)
          : setState({ kind: 'unreachable', message: error.message }),
      );
  }, [signIn, signOut]);
  const retry = () => {
    setState({ kind: 'loading' });
    restore();
  };
  // Runs once, on load: the callbacks never change.
  useEffect(() => {
    setSessionLostHandler(() => signOut('Your session has ended. Please sign in again.'));
    restore();
  }, [restore, signOut]);

  if (state.kind === 'loading') return <p className="loading">Loading…</p>;
  if (state.kind === 'unreachable') {
    return (
      <main className="login">
        <div className="card login-card alert-error" role="alert">
          <h1>tokend could not be reached</h1>
          <p>{state.message}</p>
          <button type="button" className="button" onClick={retry}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (state.kind === 'signed-out') return <LoginPage notice={state.notice} onLogin={signIn} />;
  const { user } = state.session;
  const logout = () => {
    api.logout().then(
      () => signOut('You have signed out.'),
      () => signOut('You have signed out.'),
    );
  };
  return (
    <Layout user={user} path={path} onLogout={logout}>
      <Route user={user} path={path} />
    </Layout>
  );
}

function Route({ user, path }: { user: User; path: string }) {
  const allowed = canManageTokens(user);
  const home = allowed ? paths.tokens : paths.settings;
  useEffect(() => {
    if (path === '/' || path === '/login') navigate(home, { replace: true });
  }, [path, home]);
  useFocusHeadingOnNavigation(path);

  if (path === paths.settings) return <SettingsOverview user={user} />;
  if (path === paths.people) return user.role === 'admin' ? <PeoplePage /> : <AdministratorsOnly />;
  if (path === paths.applications) return allowed ? <ApplicationsPage /> : <NoPermission />;
  if (path === paths.auditLog) return allowed ? <AuditLogPage /> : <NoPermission />;
  if (path === paths.tokens || path === `${paths.tokens}/`)
    return allowed ? <TokenListPage /> : <NoPermission />;
  const detail = path.startsWith(`${paths.tokens}/`)
    ? decodeURIComponent(path.slice(paths.tokens.length + 1))
    : '';
  if (detail) return allowed ? <TokenDetailPage key={detail} id={detail} /> : <NoPermission />;
  const webhook = webhookRoute(path);
  if (webhook !== null) {
    if (!allowed) return <NoPermission title="Webhooks" what="webhooks" />;
    return webhook ? <WebhookDetailPage key={webhook} id={webhook} /> : <WebhookListPage />;
  }
  if (path === '/' || path === '/login') return null;
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>There is nothing at this address.</p>
    </>
  );
}

/** Under Settings → Webhooks: '' for the list, an endpoint's id for its page; null elsewhere. */
function webhookRoute(path: string): string | null {
  if (path === paths.webhooks || path === `${paths.webhooks}/`) return '';
  if (!path.startsWith(`${paths.webhooks}/`)) return null;
  return decodeURIComponent(path.slice(paths.webhooks.length + 1));
}

/** After an in-app navigation, move focus to the new page's heading so screen readers announce it. */
function useFocusHeadingOnNavigation(path: string) {
  const previous = useRef(path);
  useEffect(() => {
    if (previous.current === path) return;
    previous.current = path;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path]);
}
