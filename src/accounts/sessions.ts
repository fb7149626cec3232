// Database-backed sessions, so any instance serves any session. The cookie holds a random id; only its
// SHA-256 is stored. Idle and absolute lifetimes are checked on every read; last-seen is written at most
// once a minute. Logins cost one scrypt whether or not the email exists, so timing does not reveal users.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
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
 * A password login. A deactivated user, and while the institution has closed password login
 * (`passwordLogin` false) anyone but a break-glass administrator, is refused like a wrong password.
 */
export async function login(
  q: Queryable,
  clock: Clock,
  institution: { id: string; passwordLogin: boolean },
  email: string,
  password: string,
): Promise<{ sessionId: string; session: Session } | null> {
  const user = await store.findUserByEmail(q, institution.id, email);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoy));
  if (!user || !valid || user.deactivatedAt) return null;
  if (!institution.passwordLogin && !user.breakGlass) return null;
  return openSession(q, clock, user);
}

/** A new session for a user already authenticated (by password or by the identity provider). */
export async function openSession(
  q: Queryable,
  clock: Clock,
  user: User,
): Promise<{ sessionId: string; session: Session }> {
  await store.setLastLogin(q, user.id, clock());
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const idHash = hash(sessionId);
  await store.insertSession(q, { idHash, userId: user.id, csrfToken, at: clock() });
  return { sessionId, session: { idHash, user, csrfToken } };
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

export const logout = (q: Queryable, session: Session) => store.deleteSession(q, session.idHash);
