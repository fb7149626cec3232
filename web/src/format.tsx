// Shared display pieces: times in the viewer's local time with the exact UTC value on hover, and the
// token status as a coloured badge that always carries its text label (colour is never the only cue).
import type { TokenState, UserRef } from './types.js';

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

export function Time({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={`${iso} (UTC)`}>
      {/* Two unbreakable parts: in a narrow column the time wraps below the date, not mid-date. */}
      <span className="nowrap">{day.format(new Date(iso))},</span>{' '}
      <span className="nowrap">{clock.format(new Date(iso))}</span>
    </time>
  );
}

export const stateLabels: Record<TokenState, string> = {
  active: 'Active',
  suspended: 'Suspended',
  revoked: 'Revoked',
  expired: 'Expired',
};

export function StatusBadge({ state }: { state: TokenState }) {
  return (
    <span className={`status status-${state}`}>
      <span className="status-dot" aria-hidden="true" />
      {stateLabels[state]}
    </span>
  );
}

/** A token whose current secret was reported leaked (until a rotation clears it). */
export function CompromisedBadge() {
  return (
    <span className="status status-compromised" title="Its current secret was reported leaked">
      <span className="status-dot" aria-hidden="true" />
      Compromised
    </span>
  );
}

export function Person({ user, empty = 'System' }: { user: UserRef | null; empty?: string }) {
  if (!user) return <span className="muted">{empty}</span>;
  return <span title={user.email}>{user.name || user.email}</span>;
}

export function Text({ value, empty = '—' }: { value: string | null | undefined; empty?: string }) {
  return value ? value : <span className="muted">{empty}</span>;
}
