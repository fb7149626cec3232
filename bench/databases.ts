// The databases a bench run uses, made fresh and thrown away afterwards: on PostgreSQL two new databases
// (small: only the tokens in use; big: BENCH_TOKENS) beside the one DATABASE_URL names; on PGlite two
// data folders plus a copy of the small one, since an embedded database belongs to one process. The
// small one also holds (p)'s tokens: as many again, with 10 permissions and a rule of 50 ranges each.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/setup.js';
import { seedRestricted, seedTokens } from './seed.js';

export const ADMIN = { email: 'bench@example.test', password: 'bench-password-123' };

export interface Prepared {
  /** Environment of a server on the small database; `smallCopy` is a second one (PGlite needs its own). */
  small: Record<string, string>;
  smallCopy: Record<string, string>;
  big: Record<string, string>;
  smallSecrets: string[];
  /** (p)'s tokens, in the small database beside (b)'s. */
  restrictedSecrets: string[];
  bigSecrets: string[];
  seeded: { tokens: number; ms: number; vacuumMs: number };
  version: string;
  drop(): Promise<void>;
}

interface Seeding {
  tokens: number;
  perInstitution: number;
  inUse: number;
}

async function seedOne(
  env: Record<string, string>,
  tokens: number,
  s: Seeding,
  vacuum: boolean,
  restricted = 0,
) {
  const config = {
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TOKEND_DATA_DIR as string,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    publicUrl: 'http://localhost:3000',
  };
  const opened = await openDatabase(config, systemClock, 'cli');
  try {
    const seeded = await seedTokens(opened.db, tokens, s.perInstitution, s.inUse);
    const restrictedSecrets = restricted > 0 ? await seedRestricted(opened.db, restricted) : [];
    const started = performance.now();
    // What autovacuum would do after a bulk load, done now so that it does not run during the load.
    if (vacuum) await opened.db.exec('VACUUM (ANALYZE) api_tokens');
    else await opened.db.exec('ANALYZE api_tokens');
    const [row] = await opened.db.query<{ version: string }>('SELECT version()');
    return {
      ...seeded,
      restrictedSecrets,
      vacuumMs: performance.now() - started,
      version: row?.version ?? '',
    };
  } finally {
    await opened.close();
  }
}

export async function preparePostgres(adminUrl: string, s: Seeding): Promise<Prepared> {
  const suffix = randomBytes(4).toString('hex');
  const names = [`tokend_bench_small_${suffix}`, `tokend_bench_big_${suffix}`];
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
  const env = (name: string) => {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { DATABASE_URL: url.toString(), TOKEND_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokend-bench-')) };
  };
  const small = env(names[0] as string);
  const big = env(names[1] as string);
  const drop = async () => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    const few = await seedOne(small, s.inUse, s, false, s.inUse);
    const many = await seedOne(big, s.tokens, s, true);
    return {
      small,
      smallCopy: small,
      big,
      smallSecrets: few.secrets,
      restrictedSecrets: few.restrictedSecrets,
      bigSecrets: many.secrets,
      seeded: { tokens: s.tokens, ms: many.ms, vacuumMs: many.vacuumMs },
      version: many.version,
      drop,
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

export async function preparePglite(s: Seeding): Promise<Prepared> {
  const root = mkdtempSync(join(tmpdir(), 'tokend-bench-pglite-'));
  const dir = (name: string) => ({ TOKEND_DATA_DIR: join(root, name) });
  const small = dir('small');
  const big = dir('big');
  const few = await seedOne(small, s.inUse, s, false, s.inUse);
  const many = await seedOne(big, s.tokens, s, true);
  const smallCopy = dir('small-copy');
  cpSync(small.TOKEND_DATA_DIR, smallCopy.TOKEND_DATA_DIR, { recursive: true });
  return {
    small,
    smallCopy,
    big,
    smallSecrets: few.secrets,
    restrictedSecrets: few.restrictedSecrets,
    bigSecrets: many.secrets,
    seeded: { tokens: s.tokens, ms: many.ms, vacuumMs: many.vacuumMs },
    version: many.version,
    drop: () => rm(root, { recursive: true, force: true }),
  };
}
