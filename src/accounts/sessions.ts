// Database-backed sessions, so any instance serves any session. The cookie holds a random id; only its
// SHA-256 is stored. Idle and absolute lifetimes are checked on every read; last-seen is written at most
// once a minute. Logins cost one scrypt whether or not the email exists, so timing does not reveal users.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { type Actor, recordInstitutionEvent } from './audit.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { User } from './records.js';
import * as store from './store.js';

export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

export interface Session {
  idHash: string;
  user: User;
  csrfToken: string;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex');
const TOUCH_EVERY_MS = 60_000;
// Verified against when the email is unknown, so both paths cost one scrypt.
const decoy = hashPassword(randomBytes(16).toString('hex'));

/**
 * A password login: a new session for the right email and password of an active user, or null. A
 * deactivated user, and while the institution has closed password login (`passwordLogin` false) anyone
 * but a break-glass administrator, is refused like a wrong password; a refusal records
 * `session.login_failed`.
 */
export async function login(
  db: Db,
  clock: Clock,
  institution: { id: string; passwordLogin: boolean },
  email: string,
  password: string,
  ip: string | null = null,
): Promise<{ sessionId: string; session: Session } | null> {
  const user = await store.findUserByEmail(db, institution.id, email);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoy));
  // The answer does not say whether the account exists, is deactivated or is not break-glass.
  if (!user || !valid || user.deactivatedAt || (!institution.passwordLogin && !user.breakGlass)) {
    const details = { email: email.trim().slice(0, 320), method: 'password' };
    const actor: Actor = { userId: null, ip };
    await recordInstitutionEvent(db, {
      institutionId: institution.id,
      type: 'session.login_failed',
      at: clock(),
      actor,
      details,
    });
    return null;
  }
  return openSession(db, clock, user, 'password', ip);
}

/**
 * A new session for a user already authenticated (by password or by the identity provider): the
 * session, the user's last login and `session.login` with the method are written together.
 */
export async function openSession(
  db: Db,
  clock: Clock,
  user: User,
  method: 'password' | 'oidc',
  ip: string | null,
): Promise<{ sessionId: string; session: Session }> {
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const idHash = hash(sessionId);
  const at = clock();
  await db.transaction(async (tx) => {
    await store.insertSession(tx, { idHash, userId: user.id, csrfToken, at });
    await store.setLastLogin(tx, user.id, at);
    const actor = { userId: user.id, ip };
    const details = { method };
    await recordInstitutionEvent(tx, {
      institutionId: user.institutionId,
      type: 'session.login',
      at,
      actor,
      details,
    });
  });
  return { sessionId, session: { idHash, user: { ...user, lastLoginAt: at }, csrfToken } };
}

/** The live session for a cookie value, or null (unknown, idle too long, or past its absolute end). */
export async function findSession(
  q: Queryable,
  clock: Clock,
  policy: SessionPolicy,
  sessionId: string,
): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
  const idHash = hash(sessionId);
  const row = await store.findSession(q, idHash);
  if (!row) return null;
  const now = clock().getTime();
  if (now - row.lastSeenAt.getTime() >= policy.idleMs || now - row.createdAt.getTime() >= policy.maxMs) {
    await store.deleteSession(q, idHash);
    return null;
  }
  if (now - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await store.touchSession(q, idHash, new Date(now));
  return { idHash, user: row.user, csrfToken: row.csrfToken };
}

export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Ends the session, with `session.logout` in the same transaction. */
export const logout = (db: Db, clock: Clock, session: Session, ip: string | null = null) =>
  db.transaction(async (tx) => {
    await store.deleteSession(tx, session.idHash);
    const { institutionId, id } = session.user;
    const actor = { userId: id, ip };
    await recordInstitutionEvent(tx, { institutionId, type: 'session.logout', at: clock(), actor });
  });
