// Test harness: a real database per test file (PGlite always; PostgreSQL too when TEST_DATABASE_URL is
// set), the real app through app.inject, and a tenant factory so that each test makes its own data.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino, { type Logger } from 'pino';
import { createInstitution } from '../accounts/institutions.js';
import type { Institution, User } from '../accounts/store.js';
import { createUser, TOKENS_FEATURE } from '../accounts/users.js';
import { type Config, loadConfig } from '../config.js';
import type { Db } from '../db/db.js';
import { buildApp } from '../http/app.js';
import { type FailureLimiter, memoryLimiter } from '../http/rate-limit.js';
import { buildServices, type Services } from '../services.js';
import type { TokenView } from '../tokens/view.js';
import { type DbKind, freshDb } from './fresh-db.js';

// Test files take the databases from here, with the rest of the harness.
export { databaseKinds, type DbKind, freshDb, migratedDataDir } from './fresh-db.js';

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
  /** Back to real time for the wall clock; `perf` never runs backwards (the cache's lifetimes). */
  clock.reset = () => {
    offset = 0;
  };
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
  /**
   * Makes the environment as a new one would be, for files whose tests each need an empty database
   * (a sweep that reports on every token): every table emptied but the migrations' own rows
   * (schema_migrations, the built-in permissions; so not for tests that add permissions), the clock back
   * to real time, the caches dropped. About 0.1 s, where a new environment costs a second or more.
   */
  reset(): Promise<void>;
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
      const csrf = login.json<{ csrfToken: string }>().csrfToken;
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
    return { institution, host, admin: first.user, user, adminAgent: () => Promise.resolve(first), request };
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
    reset: async () => {
      await services.usage.flush();
      const tables = await db.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()
           AND tablename NOT IN ('schema_migrations', 'permissions')`,
      );
      await db.query(`TRUNCATE ${tables.map((t) => `"${t.name}"`).join(', ')} RESTART IDENTITY`);
      clock.reset();
      services.institutions.invalidate();
      services.verifier.clear();
    },
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
