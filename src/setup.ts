// Opening the database as every entry point does: the lock on the embedded folder, migrations, and on
// first start the institution `default` and its administrator — all under one advisory lock, so that
// instances starting together on an empty PostgreSQL end with one schema, one institution, one admin.
import { join } from 'node:path';
import { createFirstAccounts } from './accounts/first-start.js';
import { normalizeHost } from './accounts/institutions.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { lockDataDir } from './data-lock.js';
import { type Db, LOCKS, openDb } from './db/db.js';
import { migrate } from './db/migrate.js';

export interface Opened {
  db: Db;
  /** Set when this start created the administrator with a generated password: show it once. */
  generatedPassword: string | null;
  close(): Promise<void>;
}

export async function openDatabase(
  // Without the timeouts (the bench's databases) the pool keeps db.ts's defaults.
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'adminEmail' | 'adminPassword' | 'publicUrl'> &
    Partial<Pick<Config, 'dbConnectTimeoutMs' | 'tokenQueryTimeoutMs'>>,
  clock: Clock,
  role: 'server' | 'cli',
): Promise<Opened> {
  const release = config.databaseUrl ? () => {} : lockDataDir(config.dataDir, role);
  try {
    const db = await openDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pgdata'),
      connectTimeoutMs: config.dbConnectTimeoutMs,
      tokenQueryTimeoutMs: config.tokenQueryTimeoutMs,
    });
    await migrate(db);
    const generatedPassword = await db.withAdvisoryLock(LOCKS.migrate, () => firstStart(db, config, clock));
    return {
      db,
      generatedPassword,
      close: async () => {
        await db.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

function firstStart(
  db: Db,
  config: Pick<Config, 'adminEmail' | 'adminPassword' | 'publicUrl'>,
  clock: Clock,
) {
  return createFirstAccounts(db, clock, {
    adminEmail: config.adminEmail,
    adminPassword: config.adminPassword ?? null,
    host: normalizeHost(new URL(config.publicUrl).host),
  });
}
