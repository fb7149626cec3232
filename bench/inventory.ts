// The inventory benchmark (SPEC 12): each list filter's first page on one institution of BENCH_TOKENS
// (default 100,000) tokens on PostgreSQL, timed at the client through a real server. The seeded tokens
// (bench/seed.ts) are then varied so that every filter selects something: 70% used at some time in the
// last year, a tenth created by a second user, 5% with a network rule, 5% holding a second permission,
// 0.5% reported leaked. Prints a Markdown table for BENCHMARKS.md. Run: `tsx bench/inventory.ts`
// with DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); it makes and drops its database.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/setup.js';
import * as live from '../src/test-support/live-server.js';
import { ADMIN } from './databases.js';
import { FILTERS, filterTimings } from './list.js';
import { parseListInput } from '../src/tokens/list-query.js';
import { listTokens } from '../src/tokens/list-store.js';
import { percentiles } from './propagation.js';
import { seedTokens } from './seed.js';
import { startTokend } from './server.js';

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tokens = Number(process.env.BENCH_TOKENS ?? 100_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 50);
const DAY = 86_400_000;

const name = `tokend_bench_inventory_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const env = {
  DATABASE_URL: url.toString(),
  TOKEND_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokend-bench-inv-')),
};
const stops: (() => Promise<void>)[] = [];
try {
  const opened = await openDatabase(
    {
      databaseUrl: env.DATABASE_URL,
      dataDir: env.TOKEND_DATA_DIR,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      publicUrl: 'http://localhost:3000',
    },
    systemClock,
    'cli',
  );
  const db = opened.db;
  const seeded = await seedTokens(db, tokens, tokens, 0);
  const [inst] = await db.query<{ id: string }>(`SELECT id FROM institutions WHERE slug = 'default'`);
  const [creator] = await db.query<{ id: string }>(`SELECT id FROM users WHERE institution_id = $1 LIMIT 1`, [
    inst?.id,
  ]);
  const second = randomUUID();
  await db.query(
    `INSERT INTO users (id, institution_id, email, name, role, features, password_hash, created_at)
     VALUES ($1, $2, 'second@example.test', 'Second', 'admin', '{}', 'x', now())`,
    [second, inst?.id],
  );
  await db.query(
    `INSERT INTO permissions (key, description) VALUES ('bench.contacts.read', 'Read contacts') ON CONFLICT DO NOTHING`,
  );
  await opened.close();
  // One UPDATE of every row: longer than the pool's query timeout, so on a client of its own.
  const direct = new pg.Client({ connectionString: env.DATABASE_URL });
  await direct.connect();
  const started = performance.now();
  await direct.query(
    `UPDATE api_tokens SET
       last_used_at = CASE WHEN random() < 0.7 THEN now() - random() * interval '365 days' END,
       created_by = CASE WHEN random() < 0.1 THEN $1::uuid ELSE $2::uuid END,
       allowed_ips = CASE WHEN random() < 0.05 THEN '{10.0.0.0/8}'::text[] ELSE '{}' END,
       permissions = CASE WHEN random() < 0.05 THEN '{bench.contacts.read,core.core.files_download}'::text[] ELSE permissions END,
       compromised_at = CASE WHEN random() < 0.005 THEN now() END`,
    [second, creator?.id],
  );
  await direct.query('VACUUM (ANALYZE) api_tokens');
  const variedMs = performance.now() - started;
  const version = (await direct.query<{ version: string }>('SELECT version()')).rows[0];
  await direct.end();

  const planned = await plannedTimings(env.DATABASE_URL, inst?.id ?? '', {
    createdBy: second,
    expiresBefore: new Date(Date.now() + 30 * DAY).toISOString(),
    lastUsedBefore: new Date(Date.now() - 180 * DAY).toISOString(),
    permission: 'bench.contacts.read',
  });
  const server = await startTokend('inventory', env);
  stops.push(() => server.stop());
  const staff = await live.login(server.url, ADMIN.email, ADMIN.password);
  const rows = await filterTimings(staff, samples, {
    createdBy: second,
    expiresBefore: new Date(Date.now() + 30 * DAY).toISOString(),
    lastUsedBefore: new Date(Date.now() - 180 * DAY).toISOString(),
    permission: 'bench.contacts.read',
  });
  console.log(
    `${version?.version ?? ''}; ${tokens.toLocaleString('en')} tokens in one institution, seeded in ${(seeded.ms / 1000).toFixed(1)} s, varied and VACUUM ANALYZE in ${(variedMs / 1000).toFixed(1)} s; ${samples} samples each after a warm-up, at the client (HTTP, session check, JSON of the page)\n`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}\n`,
  );
  console.log(
    '| filter | tokens on the page | first page p50 ms | p99 ms | in the database p50 ms | indexes read |',
  );
  console.log('|---|---:|---:|---:|---:|---|');
  for (const [i, r] of rows.entries()) {
    const p = planned[i];
    const db = p ? p.p50.toFixed(2) : '';
    console.log(
      `| \`${r.filter}\` | ${r.items} | ${r.first.p50.toFixed(1)} | ${r.first.p99.toFixed(1)} | ${db} | ${p?.plan ?? ''} |`,
    );
  }
} finally {
  for (const stop of stops) await stop();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/**
 * The same first pages in the database alone: the list's own SQL (list-store.ts) under EXPLAIN ANALYZE,
 * 20 runs each, the median execution time and the indexes the plan reads: what the list costs apart
 * from HTTP and a loaded machine's scheduling.
 */
async function plannedTimings(
  databaseUrl: string,
  institutionId: string,
  values: Parameters<typeof FILTERS>[0],
): Promise<{ p50: number; plan: string }[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const out = [];
  try {
    for (const filter of FILTERS(values)) {
      const params = new URLSearchParams(filter);
      const parsed = parseListInput({
        states: params.getAll('state'),
        permissions: params.getAll('permission'),
        ...Object.fromEntries([...params].filter(([k]) => k !== 'state' && k !== 'permission')),
      });
      if (!parsed.ok) throw new Error(`${filter}: ${parsed.message}`);
      const times: number[] = [];
      let plan = '';
      for (let i = 0; i < 21; i++) {
        const explain = {
          query: async (sql: string, args: unknown[] = []) => {
            const r = await client.query<{ 'QUERY PLAN': [{ Plan: unknown; 'Execution Time': number }] }>(
              `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
              args,
            );
            const [top] = r.rows[0]?.['QUERY PLAN'] ?? [];
            if (i > 0) times.push(top?.['Execution Time'] ?? NaN);
            plan = [
              ...new Set(JSON.stringify(top?.Plan).match(/"Index Name":"[^"]+"|"Node Type":"Sort"/g) ?? []),
            ]
              .map((m) => m.split(':')[1]?.replace(/"/g, ''))
              .join(', ');
            return [];
          },
        };
        await listTokens(explain as never, {
          ...parsed.value,
          institutionId,
          now: new Date(),
          limit: 51,
          after: null,
        });
      }
      out.push({ p50: percentiles(times).p50, plan });
    }
  } finally {
    await client.end();
  }
  return out;
}
