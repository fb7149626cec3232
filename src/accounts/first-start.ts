// The accounts a fresh database starts with: the institution `default` on the public URL's host and its
// administrator. The caller holds the migration lock, so instances starting together create them once.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { generatePassword, hashPassword } from './passwords.js';
import * as store from './store.js';

export interface FirstStart {
  adminEmail: string;
  /** Null: a password is generated, and returned to be shown once. */
  adminPassword: string | null;
  /** The normalized host of the public URL ('' for none). */
  host: string;
}

/** Creates the first accounts when there is no institution yet; returns the generated password, if any. */
export async function createFirstAccounts(db: Db, clock: Clock, start: FirstStart): Promise<string | null> {
  if ((await store.listInstitutions(db)).length > 0) return null;
  const password = start.adminPassword ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const now = clock();
  const institutionId = randomUUID();
  await db.transaction(async (tx) => {
    await store.insertInstitution(tx, {
      id: institutionId,
      slug: 'default',
      name: 'Default',
      notifyEmails: [],
      requireExpiry: false,
      maxLifetimeDays: null,
      createdAt: now,
    });
    await store.setHosts(tx, institutionId, start.host ? [start.host] : []);
    await store.insertUser(tx, {
      id: randomUUID(),
      institutionId,
      email: start.adminEmail,
      name: 'Administrator',
      role: 'admin',
      features: [],
      passwordHash,
      // The operator's break-glass account: it keeps password login when the institution closes it.
      breakGlass: true,
      createdAt: now,
    });
  });
  return start.adminPassword ? null : password;
}
