// The API's Token as every answer shows it: the state in effect at `now` (an expiry nobody has recorded
// yet already reads as expired, since its expiry time), never the secret or its hash. Absent values are
// null (SPEC 5): a description or issued-for never given is stored empty and shown as null.
import { effectiveState, expiryUnrecorded } from './lifecycle.js';
import type { TokenRecord } from './store.js';

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function tokenView(t: TokenRecord, now: Date) {
  const state = effectiveState(t.state, t.expiresAt, now);
  const unrecordedExpiry = expiryUnrecorded(t.state, state);
  return {
    id: t.id,
    name: t.name,
    description: t.description || null,
    issuedFor: t.issuedFor || null,
    display: t.display,
    state,
    permissions: t.permissions,
    createdAt: t.createdAt.toISOString(),
    createdBy: t.createdBy,
    expiresAt: iso(t.expiresAt),
    expirySetAt: t.expirySetAt.toISOString(),
    lastUsedAt: iso(t.lastUsedAt),
    lastUsedIp: t.lastUsedIp,
    lastUsedUserAgent: t.lastUsedUserAgent,
    lastUsedCarrier: t.lastUsedCarrier,
    stateChangedAt: unrecordedExpiry ? iso(t.expiresAt) : iso(t.stateChangedAt),
    stateChangedBy: unrecordedExpiry ? null : t.stateChangedBy,
    stateReason: unrecordedExpiry ? null : t.stateReason,
    previousSecretValidUntil: iso(t.previousSecretValidUntil),
    allowedIps: t.allowedIps,
    recentIps: t.recentIps.map((r) => ({ ...r })),
    compromisedAt: iso(t.compromisedAt),
  };
}

export type TokenView = ReturnType<typeof tokenView>;
