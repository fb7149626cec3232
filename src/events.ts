// The audit events tokend records (SPEC sections 5 and 12), in one list: the API's Event schema, the
// institution's audit log filter and the webhook subscriptions all take their types from here.

/** A token's history (SPEC section 5): each of these names the token it is about. */
export const TOKEN_EVENT_TYPES = [
  'token.created',
  'token.suspended',
  'token.reactivated',
  'token.revoked',
  'token.expired',
  'token.rotated',
  'token.renewed',
  'token.reminder_sent',
  'token.reminder_skipped',
  'token.auth_failed',
  'token.updated',
  'token.leaked',
] as const;

/** The institution's own events (SPEC sections 11, 10 and 12): they name no token. */
export const INSTITUTION_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'session.login',
  'session.login_failed',
  'session.logout',
  'institution.updated',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
] as const;

export const EVENT_TYPES = [...TOKEN_EVENT_TYPES, ...INSTITUTION_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];
