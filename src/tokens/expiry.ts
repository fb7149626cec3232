// Pure rules for choosing an expiry (SPEC section 3): none, 30/90/365 days, or a custom moment between
// one minute and five years ahead, within the institution's policy. Used by create, renew and rotate.
import { fail, ok, type Result } from '../errors.js';

export const EXPIRY_DAYS = [30, 90, 365] as const;
const DAY_MS = 86_400_000;

export interface ExpiryChoice {
  expiresInDays?: number | undefined;
  expiresAt?: string | undefined;
}

export interface ExpiryPolicy {
  requireExpiry: boolean;
  maxLifetimeDays: number | null;
}

/** The chosen expiry, `null` for none, or the failure naming the field at fault. */
export function chooseExpiry(choice: ExpiryChoice, policy: ExpiryPolicy, now: Date): Result<Date | null> {
  if (choice.expiresInDays !== undefined && choice.expiresAt !== undefined) {
    return fail('invalid_request', 'give expiresInDays or expiresAt, not both', 'expiresAt');
  }
  let expiresAt: Date | null = null;
  if (choice.expiresInDays !== undefined) {
    if (!(EXPIRY_DAYS as readonly number[]).includes(choice.expiresInDays)) {
      return fail('invalid_request', 'expiresInDays must be 30, 90 or 365', 'expiresInDays');
    }
    expiresAt = new Date(now.getTime() + choice.expiresInDays * DAY_MS);
  } else if (choice.expiresAt !== undefined) {
    const at = parseIsoTime(choice.expiresAt);
    if (!at)
      return fail('invalid_request', 'expiresAt must be an ISO-8601 time with a time zone', 'expiresAt');
    const latest = new Date(now);
    latest.setUTCFullYear(latest.getUTCFullYear() + 5);
    if (at.getTime() < now.getTime() + 60_000 || at > latest) {
      return fail('invalid_request', 'expiresAt must be between 1 minute and 5 years ahead', 'expiresAt');
    }
    expiresAt = at;
  }
  if (policy.requireExpiry && !expiresAt) {
    return fail('invalid_request', 'this institution requires tokens to expire', 'expiresAt');
  }
  if (
    policy.maxLifetimeDays !== null &&
    (!expiresAt || expiresAt.getTime() > now.getTime() + policy.maxLifetimeDays * DAY_MS)
  ) {
    return fail(
      'invalid_request',
      `this institution allows tokens of at most ${policy.maxLifetimeDays} days`,
      'expiresAt',
    );
  }
  return ok(expiresAt);
}

/** Strict ISO-8601 with a zone (Z or ±hh:mm); Date.parse alone accepts too much. */
export function parseIsoTime(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}
