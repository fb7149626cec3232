// The institution's settings as staff see them (read-only), and what the operator sets (hostnames, single
// sign-on) as everyone sees it: shown, never edited on the page.
import type { InstitutionSettings, Policy } from '../types.js';

export const LEAK_LABELS: Record<Policy['leakResponse'], string> = {
  suspend: 'Suspend the token',
  revoke: 'Revoke the token',
  notify: 'Only notify',
};

const days = (n: number | null, none: string) => (n === null ? none : `${n} days`);
const yesNo = (b: boolean) => (b ? 'Yes' : 'No');

export function SettingsList({ settings }: { settings: InstitutionSettings }) {
  const p = settings.policy;
  const rows: [string, string][] = [
    ['Name', settings.name],
    ['Notification addresses', settings.notificationAddresses.join(', ') || 'None'],
    ['Tokens must expire', yesNo(p.requireExpiry)],
    ['Longest token lifetime', days(p.maxLifetimeDays, 'No limit')],
    ['Tokens must have allowed addresses', yesNo(p.requireAllowedIps)],
    ['Tokens accepted in ?token=', yesNo(p.allowQueryToken)],
    ['When a token leaks', LEAK_LABELS[p.leakResponse]],
    ['Suspend tokens unused for', days(p.suspendUnusedAfterDays, 'Never')],
  ];
  return (
    <section className="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Institution settings</h2>
      <p className="muted">Only administrators can change these.</p>
      <dl className="meta">
        {rows.map(([term, value]) => (
          <div className="meta-item" key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export function SsoCard({ settings }: { settings: InstitutionSettings }) {
  const { sso, hosts } = settings;
  return (
    <section className="card" aria-labelledby="operator-title">
      <h2 id="operator-title">Set by the operator</h2>
      <dl className="meta">
        <div className="meta-item">
          <dt>Hostnames</dt>
          <dd>{hosts.join(', ') || 'Any'}</dd>
        </div>
        <div className="meta-item">
          <dt>Single sign-on</dt>
          <dd>{sso ? `${sso.issuer} (client ${sso.clientId ?? '—'})` : 'Not set up'}</dd>
        </div>
        {sso ? (
          <div className="meta-item">
            <dt>Password sign-in</dt>
            <dd>{sso.passwordLogin ? 'Open' : 'Only the operator’s break-glass accounts'}</dd>
          </div>
        ) : null}
      </dl>
    </section>
  );
}
