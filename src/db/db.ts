// The database seam: one small interface over the embedded PGlite (one process, one query at a time)
// and over PostgreSQL through a pg pool. Stores receive a `Queryable` and never know which one runs.
import { PGlite } from '@electric-sql/pglite';
import pg, { type QueryResultRow } from 'pg';

export interface Queryable {
  /**
   * The rows of one statement, typed by the caller's row interface: the columns the statement selects,
   * as both drivers return them (a store maps them to its record with one plain transform). Rows come
   * from our own schema, so the type is the store's statement of what it selected, not a guess.
   */
  query<T extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** The same database for the token check's lookups: on PostgreSQL with their short query timeout. */
  readonly lookups: Queryable;
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
  /** PostgreSQL: longest wait to open a connection or get one from the pool. */
  connectTimeoutMs?: number;
  /** PostgreSQL: longest wait for an answer to a query through `lookups`. */
  tokenQueryTimeoutMs?: number;
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    return openPostgres(options.databaseUrl, {
      max: options.poolSize ?? 10,
      connectTimeoutMs: options.connectTimeoutMs,
      tokenQueryTimeoutMs: options.tokenQueryTimeoutMs,
    });
  }
  return openPglite(options.dataDir, options.loadDataDir);
}

export async function openPglite(dataDir?: string, loadDataDir?: Blob): Promise<Db & { pglite: PGlite }> {
  const pglite = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
  const run = async <T extends QueryResultRow>(
    q: Pick<PGlite, 'query'>,
    sql: string,
    params?: readonly unknown[],
  ) => (await q.query<T>(sql, params as unknown[])).rows;
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
    ...self,
    lookups: self,
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

export interface PostgresOptions {
  max?: number;
  connectTimeoutMs?: number | undefined;
  tokenQueryTimeoutMs?: number | undefined;
}

export function openPostgres(url: string, options: PostgresOptions = {}): Db & { pool: pg.Pool } {
  // A server that accepts and never answers would hold each connect this long: a token check that
  // needs a new connection then fails closed (503) after it, not after the OS's TCP timeout.
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS,
  });
  // An idle client that loses its server emits 'error'; the pool replaces it, so it must not crash us.
  pool.on('error', () => {});
  // A connection that freezes without a reset (a network partition, a stopped server) would hang a
  // query forever; the timeout (client-side: a frozen server enforces nothing) turns it into an error
  // that answers 503, and the pool discards the connection. Scripts and advisory-lock waits have none.
  const timed = (sql: string, params?: readonly unknown[], timeoutMs = QUERY_TIMEOUT_MS) => ({
    text: sql,
    values: params as unknown[],
    query_timeout: timeoutMs,
  });
  const lookupTimeoutMs = options.tokenQueryTimeoutMs ?? QUERY_TIMEOUT_MS;
  const wrap = (client: pg.PoolClient): Queryable => ({
    query: async <T extends QueryResultRow>(sql: string, params?: readonly unknown[]) =>
      (await client.query<T>(timed(sql, params))).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
  });
  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>) => {
    const client = await pool.connect();
    let broken = false;
    // A checked-out client whose connection drops emits 'error' (the pool listens only while it is idle):
    // unheard, that event would crash the process; the query in flight rejects on its own.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      return await fn(client);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  };
  return {
    kind: 'postgres',
    pool,
    query: async <T extends QueryResultRow>(sql: string, params?: readonly unknown[]) =>
      (await pool.query<T>(timed(sql, params))).rows,
    exec: async (sql) => {
      await pool.query(sql);
    },
    // A token check waits for its lookup this long at most: a hanging server answers 503 in well under
    // a second rather than after the 10 s every other query may take.
    lookups: {
      query: async <T extends QueryResultRow>(sql: string, params?: readonly unknown[]) =>
        (await pool.query<T>(timed(sql, params, lookupTimeoutMs))).rows,
      exec: async (sql) => {
        await pool.query(sql);
      },
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
        const [row] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]))
          .rows;
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

/** First TCP keep-alive probe after this much silence on a connection: a peer gone for good errors it. */
export const KEEP_ALIVE_DELAY_MS = 10_000;

/** Advisory lock keys, one per job that must not run twice at once. */
export const LOCKS = { migrate: 7_301_001, reminders: 7_301_002 } as const;
