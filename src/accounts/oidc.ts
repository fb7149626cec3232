// Sign-in with the institution's identity provider (SPEC 11), OpenID Connect's authorization code flow
// with PKCE S256, `state` and `nonce` through openid-client. `start` keeps the flow in the database under
// the SHA-256 of a random cookie that binds it to the browser; `finish` takes it back once, redeems the
// code and checks the ID token (issuer, audience, signature, expiry, nonce), then the identity (issuer,
// `sub`, never the email), the verified email and the groups, and opens a session like a password login.
// Every refusal is a plain reason for the login page; nothing is opened then. The client secret is read
// from its own column for each use and never leaves this module.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import type { FetchLike } from './oidc-fetch.js';
import type { Institution, Sso, User } from './records.js';
import { recordInstitutionEvent } from './audit.js';
import { deleteSessionsOf } from './people-store.js';
import { openSession, type Session } from './sessions.js';
import * as flows from './oidc-store.js';
import * as store from './store.js';
import { TOKENS_FEATURE } from './users.js';

/** Why a sign-in was refused: the login page shows each as a sentence (`?login_error=`). */
export const OIDC_REFUSALS = [
  'sso_not_set',
  'sso_unavailable',
  'sso_failed',
  'email_unverified',
  'not_allowed',
  'ask_admin',
  'deactivated',
] as const;
export type OidcRefusal = (typeof OIDC_REFUSALS)[number];

export type OidcOutcome<T> = { ok: true; value: T } | { ok: false; reason: OidcRefusal; detail: string };

const refuse = (reason: OidcRefusal, detail: string) => ({ ok: false as const, reason, detail });

/** A begun flow lives this long: the user's time to sign in at the provider. */
export const FLOW_MS = 10 * 60_000;
const DISCOVERY_MS = 10 * 60_000;
const hash = (value: string) => createHash('sha256').update(value).digest('hex');
const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** `returnTo` as the flow keeps it: a path of this site (`/x`, not `//host` or `/\host`), else none. */
export function relativePath(returnTo: string | undefined): string | null {
  if (!returnTo || returnTo.length > 2000 || !returnTo.startsWith('/')) return null;
  if (
    returnTo.startsWith('//') ||
    returnTo.includes('\\') ||
    [...returnTo].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  )
    return null;
  return returnTo;
}

/** The redirect URI registered at the provider: the public URL's scheme and port, the first hostname. */
export function callbackUrl(publicUrl: string, hostnames: readonly string[]): string {
  const base = new URL(publicUrl);
  const first = hostnames[0];
  if (first !== undefined && !hostnames.includes(base.hostname.toLowerCase())) base.hostname = first;
  return `${base.origin}/apis/v1/session/oidc/callback`;
}

export interface OidcDeps {
  db: Db;
  clock: Clock;
  publicUrl: string;
  /** The HTTP client for the providers (one trusting TOKEND_OIDC_CA_FILE), or global fetch. */
  fetch?: FetchLike | undefined;
}

export class OidcService {
  private readonly discovered = new Map<string, { at: number; config: Promise<client.Configuration> }>();

  constructor(private readonly deps: OidcDeps) {}

  /** The provider's authorization URL for a new flow, and the cookie value that binds it to the browser. */
  async start(
    institution: Institution,
    returnTo: string | undefined,
  ): Promise<OidcOutcome<{ location: string; cookie: string }>> {
    const sso = institution.sso;
    if (!sso) return refuse('sso_not_set', 'this institution has no identity provider');
    const config = await this.configuration(institution.id, sso);
    if (!config.ok) return config;
    const cookie = randomBytes(32).toString('base64url');
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.deps.clock();
    await flows.insertOidcFlow(
      this.deps.db,
      hash(cookie),
      {
        institutionId: institution.id,
        state,
        nonce,
        codeVerifier,
        returnTo: relativePath(returnTo),
        createdAt: now,
      },
      new Date(now.getTime() - FLOW_MS),
    );
    const url = client.buildAuthorizationUrl(config.value, {
      redirect_uri: callbackUrl(this.deps.publicUrl, institution.hostnames),
      scope: 'openid email profile',
      response_type: 'code',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { ok: true, value: { location: url.href, cookie } };
  }

  /**
   * The provider's answer at the callback: the flow of this browser's cookie, taken once, the code
   * redeemed and the ID token checked, then the user found or created and a session opened.
   */
  async finish(
    institution: Institution,
    cookie: string | undefined,
    search: string,
    ip: string | null,
  ): Promise<OidcOutcome<{ sessionId: string; session: Session; returnTo: string | null }>> {
    const outcome = await this.redeem(institution, cookie, search);
    if (!outcome.ok) {
      await recordInstitutionEvent(this.deps.db, {
        institutionId: institution.id,
        type: 'session.login_failed',
        at: this.deps.clock(),
        actor: { userId: null, ip },
        details: { method: 'oidc', reason: outcome.reason },
      });
      return outcome;
    }
    const { user, returnTo } = outcome.value;
    const opened = await openSession(this.deps.db, this.deps.clock, user, 'oidc', ip);
    return { ok: true, value: { ...opened, returnTo } };
  }

  private async redeem(
    institution: Institution,
    cookie: string | undefined,
    search: string,
  ): Promise<OidcOutcome<{ user: User; returnTo: string | null }>> {
    const sso = institution.sso;
    if (!sso) return refuse('sso_not_set', 'this institution has no identity provider');
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie))
      return refuse('sso_failed', 'no sign-in was begun in this browser');
    const flow = await flows.takeOidcFlow(this.deps.db, hash(cookie));
    const now = this.deps.clock();
    if (!flow || flow.institutionId !== institution.id || now.getTime() - flow.createdAt.getTime() > FLOW_MS)
      return refuse('sso_failed', 'no sign-in was begun in this browser, or it is too old');
    const params = new URLSearchParams(search);
    const state = params.get('state');
    if (state === null || !sameText(state, flow.state))
      return refuse('sso_failed', 'the state does not match');
    const config = await this.configuration(institution.id, sso);
    if (!config.ok) return config;
    const redirectUri = callbackUrl(this.deps.publicUrl, institution.hostnames);
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(
        config.value,
        new URL(`${redirectUri}?${params.toString()}`),
        {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: redirectUri },
      );
      const idToken = tokens.claims();
      if (!idToken) return refuse('sso_failed', 'the provider sent no ID token');
      claims = { ...idToken };
      accessToken = tokens.access_token;
    } catch (error) {
      return this.failed(error);
    }
    const issuer = String(claims.iss);
    const subject = String(claims.sub);
    // Email and groups from the ID token, or else from userinfo (for the same subject).
    if (claims.email === undefined || claims[sso.groupsClaim] === undefined) {
      try {
        const info = await client.fetchUserInfo(config.value, accessToken, subject);
        claims = { ...info, ...claims };
      } catch (error) {
        return this.failed(error);
      }
    }
    return this.identify(institution, sso, issuer, subject, claims, flow.returnTo);
  }

  /** The user behind (issuer, sub) with the role the groups give now; refusals for the rest. */
  private async identify(
    institution: Institution,
    sso: Sso,
    issuer: string,
    subject: string,
    claims: Record<string, unknown>,
    returnTo: string | null,
  ): Promise<OidcOutcome<{ user: User; returnTo: string | null }>> {
    const { db, clock } = this.deps;
    const email = typeof claims.email === 'string' ? claims.email.trim() : '';
    if (!email || claims.email_verified !== true)
      return refuse('email_unverified', 'the provider gave no verified email address');
    const groups = groupsOf(claims[sso.groupsClaim]);
    const role: User['role'] | null = groups.includes(sso.adminGroup)
      ? 'admin'
      : sso.staffGroup !== null && groups.includes(sso.staffGroup)
        ? 'staff'
        : null;
    const features = role === 'staff' ? [TOKENS_FEATURE] : [];
    const known = await store.findUserByIdentity(db, institution.id, issuer, subject);
    if (known?.deactivatedAt) return refuse('deactivated', 'this account is deactivated');
    if (!role) {
      // Out of the groups: whatever sessions the user still has end now.
      if (known) await deleteSessionsOf(db, known.id);
      return refuse('not_allowed', 'not in the administrators’ or staff group');
    }
    if (known) {
      const changed = known.role !== role || known.features.join('\n') !== features.join('\n');
      if (!changed) return { ok: true, value: { user: known, returnTo } };
      await db.transaction(async (tx) => {
        await store.setUserRole(tx, known.id, role, features);
        await deleteSessionsOf(tx, known.id);
      });
      return { ok: true, value: { user: { ...known, role, features }, returnTo } };
    }
    // Never linked by email: an existing account with this address is the administrators' to sort out.
    if (await store.findUserByEmail(db, institution.id, email))
      return refuse('ask_admin', 'an account with this email exists without this identity');
    const name =
      typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email;
    const user: User = {
      id: randomUUID(),
      institutionId: institution.id,
      email,
      name,
      role,
      features,
      // No password opens this account: not a scrypt hash, so verifyPassword refuses every guess.
      passwordHash: '!oidc',
      breakGlass: false,
      deactivatedAt: null,
      lastLoginAt: null,
      createdAt: clock(),
    };
    if (!(await store.insertUser(db, user, { issuer, subject })))
      return refuse('ask_admin', 'an account with this email or identity exists');
    return { ok: true, value: { user, returnTo } };
  }

  /** The provider's configuration, discovered once per issuer, client and secret (cached ten minutes). */
  private async configuration(institutionId: string, sso: Sso): Promise<OidcOutcome<client.Configuration>> {
    const secret = await flows.findOidcClientSecret(this.deps.db, institutionId);
    if (!secret) return refuse('sso_not_set', 'this institution has no client secret');
    // The protocol checks (expiry, issued-at) use tokend's clock, as every other check does: its offset
    // from the system's is part of the configuration (always 0 but under a test's clock).
    const skew = Math.round((this.deps.clock().getTime() - Date.now()) / 1000);
    const key = `${sso.issuer}\n${sso.clientId}\n${hash(secret)}\n${skew}`;
    const cached = this.discovered.get(key);
    let config = cached && performance.now() - cached.at < DISCOVERY_MS ? cached.config : null;
    if (!config) {
      const options = this.deps.fetch
        ? { [client.customFetch]: this.deps.fetch, timeout: 10 }
        : { timeout: 10 };
      const metadata = { client_secret: secret, [client.clockSkew]: skew };
      config = client.discovery(new URL(sso.issuer), sso.clientId, metadata, undefined, options);
      this.discovered.set(key, { at: performance.now(), config });
    }
    try {
      return { ok: true, value: await config };
    } catch (error) {
      this.discovered.delete(key);
      return refuse('sso_unavailable', `the identity provider cannot be reached: ${describe(error)}`);
    }
  }

  /** A failed exchange: the provider unreachable, or an answer that does not check out. */
  private failed(error: unknown): OidcOutcome<never> {
    const unreachable =
      error instanceof TypeError ||
      (error instanceof Error &&
        /ECONNREFUSED|ECONNRESET|ETIMEDOUT|did not answer|fetch failed/.test(error.message));
    return unreachable
      ? refuse('sso_unavailable', `the identity provider cannot be reached: ${describe(error)}`)
      : refuse('sso_failed', `the provider's answer was refused: ${describe(error)}`);
  }
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 300);
