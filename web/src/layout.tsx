// The signed-in frame: a top bar (institution, Settings, the user and Sign out) and the Settings area
// with its "General settings" side menu. "Manage API Tokens", "Applications", "Audit log" and "Webhooks" are
// listed only for users who hold the feature, "People" only for administrators; Overview shows the
// institution's settings (editable by administrators).
import type { ReactNode } from 'react';
import { followLink, paths } from './router.js';
import { InstitutionSettingsCard } from './settings/institution-settings.js';
import { canManageTokens, type User } from './types.js';

interface LayoutProps {
  user: User;
  path: string;
  onLogout: () => void;
  children: ReactNode;
}

function MenuLink({ href, current, children }: { href: string; current: boolean; children: ReactNode }) {
  return (
    <a href={href} onClick={followLink} aria-current={current ? 'page' : undefined} className="menu-link">
      {children}
    </a>
  );
}

export function Layout({ user, path, onLogout, children }: LayoutProps) {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">tokend</span>
        <span className="institution">{user.institution.name}</span>
        <nav aria-label="Main" className="topnav">
          <a href={paths.settings} onClick={followLink} aria-current="true" className="topnav-link">
            Settings
          </a>
        </nav>
        <span className="user" title={user.email}>
          {user.name || user.email}
        </span>
        <button type="button" className="button button-quiet" onClick={onLogout}>
          Sign out
        </button>
      </header>
      <div className="settings">
        <nav className="side-menu" aria-labelledby="side-menu-title">
          <h2 id="side-menu-title">General settings</h2>
          <ul>
            <li>
              <MenuLink href={paths.settings} current={path === paths.settings}>
                Overview
              </MenuLink>
            </li>
            {user.role === 'admin' ? (
              <li>
                <MenuLink href={paths.people} current={path === paths.people}>
                  People
                </MenuLink>
              </li>
            ) : null}
            {canManageTokens(user) ? (
              <li>
                <MenuLink href={paths.tokens} current={path.startsWith(paths.tokens)}>
                  Manage API Tokens
                </MenuLink>
              </li>
            ) : null}
            {canManageTokens(user) ? (
              <>
                <li>
                  <MenuLink href={paths.applications} current={path === paths.applications}>
                    Applications
                  </MenuLink>
                </li>
                <li>
                  <MenuLink href={paths.auditLog} current={path === paths.auditLog}>
                    Audit log
                  </MenuLink>
                </li>
                <li>
                  <MenuLink href={paths.webhooks} current={path.startsWith(paths.webhooks)}>
                    Webhooks
                  </MenuLink>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
        <main id="content" className="content">
          {children}
        </main>
      </div>
    </>
  );
}

export function SettingsOverview({ user }: { user: User }) {
  return (
    <>
      <h1 tabIndex={-1}>General settings</h1>
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        <dl className="meta">
          <div className="meta-item">
            <dt>Institution</dt>
            <dd>
              {user.institution.name} <span className="muted">({user.institution.slug})</span>
            </dd>
          </div>
          <div className="meta-item">
            <dt>Signed in as</dt>
            <dd>
              {user.name} <span className="muted">&lt;{user.email}&gt;</span>
            </dd>
          </div>
          <div className="meta-item">
            <dt>Role</dt>
            <dd>{user.role === 'admin' ? 'Administrator' : 'Staff'}</dd>
          </div>
        </dl>
        {canManageTokens(user) ? null : (
          <p className="muted">Ask an administrator if you need to manage API tokens.</p>
        )}
      </section>
      <InstitutionSettingsCard canEdit={user.role === 'admin'} />
    </>
  );
}

export function NoPermission({ title = 'Manage API Tokens', what = 'API tokens' }) {
  return (
    <>
      <h1 tabIndex={-1}>{title}</h1>
      <p className="alert alert-error" role="alert">
        You do not have permission to view or manage {what}. Ask an administrator to grant you the feature{' '}
        <code>core.institutions.settings_api_tokens_change</code>.
      </p>
    </>
  );
}
