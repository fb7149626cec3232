// The inactivity policy (SPEC 12), decided purely: an active token idle for the institution's
// suspendUnusedAfterDays is suspended, after a warning seven days before. Measured to the moment from the
// start of the idle spell (the latest of creation, last use and reactivation, so a reactivated token
// starts a new spell). The warning is what arms the suspension: a token is never suspended earlier than
// seven days after its warning went out, so turning the policy on for long-idle tokens warns them all
// first and suspends them a week later.

export const IDLE_NOTICE_KINDS = ['unused_7d', 'unused_suspended'] as const;
export type IdleNoticeKind = (typeof IDLE_NOTICE_KINDS)[number];

/** The warning comes this long before the suspension. */
export const WARNING_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

/** A token_notices status, as the core names it (the store owns the table). */
export type ClaimStatus = 'claimed' | 'sent' | 'failed' | 'skipped';

export interface IdleSubject {
  /** The institution's suspendUnusedAfterDays. */
  days: number;
  /** The start of the idle spell. */
  idleSince: Date;
  /** This spell's warning as recorded: its status, and when the claim that holds it was made. */
  warning: { status: ClaimStatus; claimedAt: Date } | null;
}

export type IdlePlan =
  | { action: 'none' }
  /** Send the spell's warning now; the suspension comes at suspensionAt(…, the claim's moment). */
  | { action: 'warn' }
  | { action: 'suspend'; reason: string };

/** When the token is suspended if it stays idle: its deadline, and never before a week after the warning. */
export function suspensionAt(days: number, idleSince: Date, warnedAt: Date): Date {
  const deadline = idleSince.getTime() + days * DAY_MS;
  return new Date(Math.max(deadline, warnedAt.getTime() + WARNING_MS));
}

/** The reason the suspension records (SPEC 12). */
export const idleReason = (days: number) => `unused for ${days} days`;

/**
 * What the sweep does at `now` for an active token idle since `idleSince`. A warning claim older than
 * `staleBefore` belongs to a process that died; a failed one is retried: both are warned again.
 */
export function idlePlan(t: IdleSubject, now: Date, staleBefore: Date): IdlePlan {
  const warnAt = t.idleSince.getTime() + t.days * DAY_MS - WARNING_MS;
  if (now.getTime() < warnAt) return { action: 'none' };
  const w = t.warning;
  if (!w || w.status === 'failed' || (w.status === 'claimed' && w.claimedAt <= staleBefore))
    return { action: 'warn' };
  // A live claim: another sweep is sending it.
  if (w.status === 'claimed') return { action: 'none' };
  // Sent, or skipped (nobody to send it to): the week's notice has been given either way.
  if (now < suspensionAt(t.days, t.idleSince, w.claimedAt)) return { action: 'none' };
  return { action: 'suspend', reason: idleReason(t.days) };
}
