// Which expiry notice a token is due at `now` (SPEC section 3), decided purely; the sweep claims and
// sends what this returns. A notice is due at expiresAt − N×24h (inclusive) and eligible only if that
// moment comes after the token's expirySetAt, so a short-lived or freshly renewed token is never told
// about a deadline it did not have. Of several due notices only the most urgent is sent.
import { canAuthenticate, effectiveState, TOKEN_STATES, type TokenState } from '../tokens/lifecycle.js';

/** Least urgent first. */
export const NOTICE_KINDS = ['expiry_14d', 'expiry_7d', 'expiry_3d', 'expiry_1d', 'expired'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/**
 * The stored states a notice may be sent in: a working token's expiry_* notices, an expired one's
 * `expired`. The claim re-checks them in SQL, so a token suspended or revoked since the sweep read it
 * gets nothing.
 */
export const NOTIFIED_STATES: readonly TokenState[] = [...TOKEN_STATES.filter(canAuthenticate), 'expired'];

export const NOTICE_DAYS: Record<NoticeKind, number> = {
  expiry_14d: 14,
  expiry_7d: 7,
  expiry_3d: 3,
  expiry_1d: 1,
  expired: 0,
};

const DAY_MS = 86_400_000;

export interface NoticeSubject {
  /** The stored state; the state in effect at `now` is derived from it here. */
  state: TokenState;
  expiresAt: Date;
  expirySetAt: Date;
  /** previousState of the token's `token.expired` event, once expiry has been recorded. */
  expiredFrom: TokenState | null;
}

export interface DueNotices {
  send: NoticeKind | null;
  /** Due notices that will never be sent: the sweep records them as skipped. */
  skip: NoticeKind[];
  /** Why the skipped ones are skipped. */
  reason: string | null;
}

const NOTHING: DueNotices = { send: null, skip: [], reason: null };

export function dueAt(kind: NoticeKind, expiresAt: Date): Date {
  return new Date(expiresAt.getTime() - NOTICE_DAYS[kind] * DAY_MS);
}

export function dueNotices(t: NoticeSubject, now: Date): DueNotices {
  const due = NOTICE_KINDS.filter((kind) => {
    const at = dueAt(kind, t.expiresAt).getTime();
    return at <= now.getTime() && at > t.expirySetAt.getTime();
  });
  const state = effectiveState(t.state, t.expiresAt, now);
  // While active, `expired` is not yet due, so this picks among the expiry_* notices.
  if (state === 'active') return mostUrgent(due);
  if (state === 'expired') {
    // An unrecorded expiry of a stored-active token went from active too: the sweep has not written it yet.
    if (t.state === 'active' || t.expiredFrom === 'active') return mostUrgent(due);
    const was = t.state === 'expired' ? (t.expiredFrom ?? 'not active') : t.state;
    return notSent(due, `the token was ${was} when it expired`);
  }
  // Suspended tokens wait: reactivated before expiry, they get the notice due then.
  if (state === 'revoked') return notSent(due, 'the token was revoked');
  return NOTHING;
}

function mostUrgent(due: NoticeKind[]): DueNotices {
  const send = due[due.length - 1];
  if (send === undefined) return NOTHING;
  const skip = due.slice(0, -1);
  return { send, skip, reason: skip.length > 0 ? `superseded by ${send}` : null };
}

/**
 * Tokens that stopped working other than by expiry never get the `expired` notice; recording it as
 * skipped (once it is due) also tells the sweep it is done with this token for good.
 */
function notSent(due: NoticeKind[], reason: string): DueNotices {
  return due.includes('expired') ? { send: null, skip: ['expired'], reason } : NOTHING;
}
