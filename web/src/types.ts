// The shapes the management API answers with (SPEC.md section 5). The page only reads them; the
// server is the authority on every rule, so nothing here is validated beyond what display needs.

export type TokenState = 'active' | 'suspended' | 'revoked' | 'expired';

export interface UserRef {
  id: string;
  email: string;
  name: string;
}

export interface User extends UserRef {
  role: 'admin' | 'staff';
  features: string[];
  institution: { slug: string; name: string };
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface Token {
  id: string;
  name: string;
  description: string | null;
  issuedFor: string | null;
  display: string;
  state: TokenState;
  permissions: string[];
  createdAt: string;
  createdBy: UserRef | null;
  expiresAt: string | null;
  expirySetAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  lastUsedUserAgent: string | null;
  lastUsedCarrier: string | null;
  stateChangedAt: string | null;
  stateChangedBy: UserRef | null;
  stateReason: string | null;
  previousSecretValidUntil: string | null;
}

export interface TokenEvent {
  id: string;
  type: string;
  at: string;
  actor: UserRef | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TokenWithSecret {
  token: Token;
  secret: string;
}

export interface UsageDay {
  date: string;
  count: number;
}

export const TOKENS_FEATURE = 'core.institutions.settings_api_tokens_change';

export function canManageTokens(user: User): boolean {
  return user.role === 'admin' || user.features.includes(TOKENS_FEATURE);
}
