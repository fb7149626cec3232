// The database seam: one small interface over the embedded PGlite (one process, one query at a time)
// and over PostgreSQL through a pg pool. Stores receive a `Queryable` and never know which one runs.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; rolls back if it throws. Never make a network call inside. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` holding a session-level advisory lock (migrations, first-start setup, sweeps). */
  withAdvisoryLock<T>(key: number, fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Like withAdvisoryLock but gives up at once (returns null) when another session holds the lock. */
  tryAdvisoryLock<T>(key: number, fn: (q: Queryable) => Promise<T>): Promise<T | null>;
  close(): Promise<void>;
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory; `undefined` means in memory (tests). */
  dataDir?: string | undefined;
  /** A PGlite data dump to start from (tests copy a migrated template instead of migrating). */
  loadDataDir?: Blob | undefined;
  poolSize?: number;
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.loadDataDir);
}

export async function openPglite(dataDir?: string, loadDataDir?: Blob): Promise<Db & { pglite: PGlite }> {
  const pglite = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
  const run = async <T>(q: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]) =>
    (await q.query<T>(sql, params as unknown[])).rows;
  // PGlite belongs to this one process, so an advisory lock is an in-process queue per key (never a
  // transaction: a sweep holding one must not block every other query while it talks SMTP).
  const queues = new Map<number, Promise<unknown>>();
  const locked = <T>(key: number, fn: (q: Queryable) => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => fn(self));
    queues.set(key, next);
    return next;
  };
  const busy = new Set<number>();
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: (sql, params) => run(q, sql, params),
    exec: async (sql) => {
      await q.exec(sql);
    },
  });
  const self = wrap(pglite);
  return {
    kind: 'pglite',
    pglite,
    query: self.query,
    exec: self.exec,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    withAdvisoryLock: locked,
    tryAdvisoryLock: async (key, fn) => {
      if (busy.has(key)) return null;
      busy.add(key);
      try {
        return await fn(self);
      } finally {
        busy.delete(key);
      }
    },
    close: () => pglite.close(),
  };
}

export function openPostgres(url: string, max = 10): Db & { pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 2000 });
  // An idle client that loses its server emits 'error'; the pool replaces it, so it must not crash us.
  pool.on('error', () => {});
  // A connection that freezes without a reset (a network partition) would hang a query forever; the
  // timeout turns it into an error that answers 503. Scripts and advisory-lock waits have none.
  const timed = (sql: string, params?: readonly unknown[]) => ({
    text: sql,
    values: params as unknown[],
    query_timeout: QUERY_TIMEOUT_MS,
  });
  const wrap = (client: pg.PoolClient): Queryable => ({
    query: async (sql, params) => (await client.query(timed(sql, params))).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
  });
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>) => {
    const client = await pool.connect();
    let broken = false;
    try {
      return await fn(client);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  };
  return {
    kind: 'postgres',
    pool,
    query: async (sql, params) => (await pool.query(timed(sql, params))).rows,
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: (fn) =>
      withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const result = await fn(wrap(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }),
    withAdvisoryLock: (key, fn) =>
      withClient(async (client) => {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        try {
          return await fn(wrap(client));
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key]);
        }
      }),
    tryAdvisoryLock: (key, fn) =>
      withClient(async (client) => {
        const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows;
        if (!row?.ok) return null;
        try {
          return await fn(wrap(client));
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key]);
        }
      }),
    close: () => pool.end(),
  };
}

const QUERY_TIMEOUT_MS = 10_000;

/** Advisory lock keys, one per job that must not run twice at once. */
export const LOCKS = { migrate: 7_301_001, reminders: 7_301_002 } as const;
