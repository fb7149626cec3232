// The accounts' own records: what services, HTTP and the CLI hold of an institution and a user. The
// store maps its rows to these; nothing outside accounts/ needs to know a column name.

export interface Institution {
  id: string;
  slug: string;
  name: string;
  hostnames: string[];
  notifyEmails: string[];
  requireExpiry: boolean;
  maxLifetimeDays: number | null;
  /** SPEC 8: every token must carry a network rule (checked on create and PATCH). */
  requireAllowedIps: boolean;
  /** SPEC 9: what a leak report of one of its tokens does. */
  leakResponse: LeakResponse;
  /** SPEC 11: whether a token may arrive in `?token=` (default true). */
  allowQueryToken: boolean;
  /** SPEC 12: the sweep suspends active tokens unused this many days (30-730), or never (null). */
  suspendUnusedAfterDays: number | null;
  /** SPEC 11: sign-in with the institution's OpenID provider, or null. Its client secret is not here. */
  sso: Sso | null;
  /** SPEC 11: false refuses password logins but for break-glass accounts. */
  passwordLogin: boolean;
  createdAt: Date;
}

/** The operator's OpenID Connect client of an institution, without its secret (read on its own). */
export interface Sso {
  /** An `https://` URL: the provider's issuer, discovered at `/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** The claim holding the user's groups (default `groups`). */
  groupsClaim: string;
  adminGroup: string;
  staffGroup: string | null;
}

export const LEAK_RESPONSES = ['suspend', 'revoke', 'notify'] as const;
export type LeakResponse = (typeof LEAK_RESPONSES)[number];

export interface User {
  id: string;
  institutionId: string;
  email: string;
  name: string;
  role: 'admin' | 'staff';
  features: string[];
  passwordHash: string;
  /** An administrator made by the first start or `tokend users create`: may use a password always. */
  breakGlass: boolean;
  createdAt: Date;
  /** SPEC 11: a deactivated user cannot sign in and has no session (null: active). */
  deactivatedAt: Date | null;
  /** The last password or SSO login, or null. */
  lastLoginAt: Date | null;
}

/** A user as People lists them: how they sign in (`oidc` once an identity provider's subject is set). */
export interface Person extends User {
  signIn: 'password' | 'oidc';
}
