// Test harness: a real database per test file (PGlite always; PostgreSQL too when TEST_DATABASE_URL is
// set), the real app through app.inject, and a tenant factory so that each test makes its own data.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { createInstitution } from '../accounts/institutions.js';
import type { Institution, User } from '../accounts/store.js';
import { createUser, TOKENS_FEATURE } from '../accounts/users.js';
import { type Config, loadConfig } from '../config.js';
import { type Db, openPglite, openPostgres } from '../db/db.js';
import { loadMigrations, migrate } from '../db/migrate.js';
import { buildApp } from '../http/app.js';
import { type FailureLimiter, memoryLimiter } from '../http/rate-limit.js';
import { buildServices, type Services } from '../services.js';
import type { TokenView } from '../tokens/view.js';

export type DbKind = 'pglite' | 'postgres';

export function databaseKinds(): DbKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

let template: Promise<Blob> | null = null;

// The package does not export its package.json; the installed copy sits at the project root.
const pgliteVersion = (
  JSON.parse(
    readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

/**
 * Names the migrated database by what made it: the migrations' contents and the PGlite version (its
 * data-directory format). A changed migration gets a new template; old ones are simply not used.
 */
const templateKey = (() => {
  const hash = createHash('sha256').update(pgliteVersion);
  for (const migration of loadMigrations()) hash.update(`${migration.name}\0${migration.sql}\0`);
  return hash.digest('hex').slice(0, 16);
})();

/**
 * The migrated PGlite data directory, built once per migration set and kept as a file: a test process
 * loads it (about 0.6 s) instead of migrating from scratch (about 4 s). Parallel test processes may build
 * it together; each writes a temp file and renames it, so a reader sees a whole dump or none.
 */
async function pgliteTemplate(): Promise<Blob> {
  const dir = join(tmpdir(), 'tokend-test-cache');
  const path = join(dir, `pglite-${templateKey}.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);
  const db = await openPglite();
  await migrate(db);
  const dump = await db.pglite.dumpDataDir('none');
  await db.close();
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
  renameSync(temp, path);
  return dump;
}

/** A fresh, migrated database: PGlite loaded from the migrated template, or a PostgreSQL copy of one. */
export async function freshDb(kind: DbKind): Promise<Db> {
  if (kind === 'pglite') {
    template ??= pgliteTemplate();
    return openPglite(undefined, await template);
  }
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `tokend_t_${randomBytes(6).toString('hex')}`;
  await createFromTemplate(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  const close = db.close;
  return Object.assign(db, {
    close: async () => {
      await close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
    url: url.toString(),
  });
}

// Held while a template is checked, built or copied: parallel test processes (and other checkouts on
// the same server) then never copy a half-migrated template, and CREATE DATABASE never finds one in use.
const TEMPLATE_LOCK = 7_150_015;

/**
 * CREATE DATABASE … TEMPLATE a migrated database named by the template key, made on first use. It is
 * migrated under a building name and renamed when complete, so a run killed halfway leaves nothing
 * another run would copy.
 */
async function createFromTemplate(adminUrl: string, name: string): Promise<void> {
  const ready = `tokend_tpl_${templateKey}`;
  const building = `${ready}_building`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [ready]);
    if (found.rowCount === 0) {
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const db = openPostgres(url.toString());
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${ready}`);
    }
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${ready}`);
  } finally {
    await admin.end(); // ending the session releases the lock
  }
}

/**
 * A clock that follows real time plus an offset tests can move forward. `advance` moves only the wall
 * clock that decisions read (an expiry passes, cached entries stay); `elapse` lets time pass as a sleep
 * would, moving the clock's `perf` too, which drives the token cache's lifetimes.
 */
export function offsetClock() {
  let offset = 0;
  let elapsed = 0;
  const clock = () => new Date(Date.now() + offset);
  clock.advance = (ms: number) => {
    offset += ms;
  };
  clock.elapse = (ms: number) => {
    offset += ms;
    elapsed += ms;
  };
  clock.perf = { now: () => performance.now() + elapsed };
  return clock;
}

export const PASSWORD = 'correct horse battery staple';

export interface Env {
  kind: DbKind;
  db: Db;
  clock: ReturnType<typeof offsetClock>;
  config: Config;
  services: Services;
  app: FastifyInstance;
  limiter: FailureLimiter;
  tenant(options?: { requireExpiry?: boolean; maxLifetimeDays?: number }): Promise<Tenant>;
  close(): Promise<void>;
}

export interface Tenant {
  institution: Institution;
  host: string;
  admin: User;
  /** Creates a user; returns it with a logged-in agent. */
  user(role: 'admin' | 'staff', features?: string[]): Promise<Agent>;
  adminAgent(): Promise<Agent>;
  /** A request to this tenant's host with no credentials. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface Agent {
  user: User;
  cookie: string;
  csrf: string;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  createToken(body?: Record<string, unknown>): Promise<{ token: TokenView; secret: string }>;
}

export async function createEnv(
  kind: DbKind,
  overrides: Partial<Config> = {},
  options: { logger?: Logger } = {},
): Promise<Env> {
  const db = await freshDb(kind);
  const clock = offsetClock();
  const config = { ...loadConfig({}), ...overrides };
  const services = buildServices(config, db, clock);
  const limiter = memoryLimiter(config.failureWindowMs);
  const logger = options.logger ?? pino({ level: 'silent' });
  const app = await buildApp({ config, services, logger, limiter });
  await app.ready();

  async function tenant(policy: { requireExpiry?: boolean; maxLifetimeDays?: number } = {}): Promise<Tenant> {
    const slug = `t-${randomBytes(5).toString('hex')}`;
    const host = `${slug}.example.test`;
    const created = await createInstitution(db, clock, {
      slug,
      name: `Tenant ${slug}`,
      hosts: [host],
      notify: [],
      requireExpiry: policy.requireExpiry ?? false,
      maxLifetimeDays: policy.maxLifetimeDays ?? null,
    });
    if (!created.ok) throw new Error(created.message);
    services.institutions.invalidate();
    const institution = created.value;
    const request = (o: InjectOptions) => app.inject({ ...o, headers: { host, ...(o.headers ?? {}) } });
    async function user(role: 'admin' | 'staff', features: string[] = []): Promise<Agent> {
      const email = `${role}-${randomBytes(4).toString('hex')}@${host}`;
      const made = await createUser(db, clock, {
        institutionId: institution.id,
        email,
        name: `${role} user`,
        role,
        features,
        password: PASSWORD,
      });
      if (!made.ok) throw new Error(made.message);
      const login = await request({
        method: 'POST',
        url: '/apis/v1/session',
        payload: { email, password: PASSWORD },
      });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
      const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const csrf = (login.json() as { csrfToken: string }).csrfToken;
      const agentRequest = (o: InjectOptions) =>
        request({ ...o, headers: { cookie, 'x-csrf-token': csrf, ...(o.headers ?? {}) } });
      return {
        user: made.value,
        cookie,
        csrf,
        request: agentRequest,
        async createToken(body = {}) {
          const res = await agentRequest({
            method: 'POST',
            url: '/apis/v1/api-tokens',
            payload: { name: 'Test token', ...body },
          });
          if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
          return res.json();
        },
      };
    }
    const first = await user('admin');
    return { institution, host, admin: first.user, user, adminAgent: async () => first, request };
  }

  return {
    kind,
    db,
    clock,
    config,
    services,
    app,
    limiter,
    tenant,
    close: async () => {
      await app.close();
      await services.usage.stop().catch(() => {});
      await db.close();
    },
  };
}

export { TOKENS_FEATURE };

/** The response body, for assertion messages: a failing assertion shows what the server said. */
export const said = (res: LightMyRequestResponse) => `${res.statusCode} ${res.body}`;

/** The secret with its last character changed: a typo that the checksum refuses, never the secret itself. */
export const typoOf = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;
