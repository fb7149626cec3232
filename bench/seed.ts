// Seeds a database for the benchmark: institutions of up to `perInstitution` tokens each, made with the
// real generateToken (so every hash is what a client's token hashes to), written with multi-row
// INSERT ... SELECT FROM unnest(...) batches; the next batch is minted while the last one is written.
// Returns the secrets of the first `keep` tokens of the default institution, all active, for the load;
// seedRestricted adds tokens holding 10 permissions and a network rule of 50 ranges, for (p).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Db } from '../src/db/db.js';
import { generateToken } from '../src/tokens/token.js';

const BATCH = 5_000;
const WRITERS = 2;
const DAY = 86_400_000;
const NOW = Date.now();

export interface Seeded {
  secrets: string[];
  ms: number;
}

/** Random but realistic rows: two years of creation dates, most active, a fifth without expiry. */
function batch(from: number, size: number, keepUntil: number) {
  const cols = {
    id: [] as string[],
    hash: [] as string[],
    display: [] as string[],
    name: [] as string[],
    issuedFor: [] as string[],
    createdAt: [] as string[],
    expiresAt: [] as (string | null)[],
    state: [] as string[],
  };
  const secrets: string[] = [];
  for (let i = from; i < from + size; i++) {
    const name = `Integration ${i % 997} ${['CRM', 'reports', 'backup', 'sync'][i % 4]}`;
    const minted = generateToken(name);
    const kept = i < keepUntil;
    if (kept) secrets.push(minted.token);
    const created = NOW - Math.floor(Math.random() * 730 * DAY);
    const roll = Math.random();
    const lifetime = [30, 90, 365, 1825][i % 4] as number;
    cols.id.push(randomUUID());
    cols.hash.push(minted.hash);
    cols.display.push(minted.display);
    cols.name.push(name);
    cols.issuedFor.push(['hubspot', 'metabase', 'airflow', ''][i % 4] as string);
    cols.createdAt.push(new Date(created).toISOString());
    cols.expiresAt.push(kept || roll < 0.2 ? null : new Date(created + lifetime * DAY).toISOString());
    cols.state.push(kept || roll < 0.85 ? 'active' : roll < 0.95 ? 'suspended' : 'revoked');
  }
  return { cols, secrets };
}

async function insertBatch(db: Db, institutionId: string, c: ReturnType<typeof batch>['cols']) {
  await db.query(
    `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, issued_for, permissions,
       created_at, expires_at, expiry_set_at, state)
     SELECT u.id, $1, u.hash, u.display, u.name, u.issued_for, '{core.core.files_download}', u.created_at,
       u.expires_at, u.created_at, u.state
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
       $8::timestamptz[], $9::text[]) AS u(id, hash, display, name, issued_for, created_at, expires_at, state)`,
    [institutionId, c.id, c.hash, c.display, c.name, c.issuedFor, c.createdAt, c.expiresAt, c.state],
  );
}

/** Institutions for the tokens beyond the first `perInstitution`; each needs a hostname (SPEC 6). */
async function institutions(db: Db, count: number): Promise<string[]> {
  const [first] = await db.query<{ id: string }>(`SELECT id FROM institutions WHERE slug = 'default'`);
  if (!first) throw new Error('the default institution is missing');
  // The load reaches the default institution by the address it connects to (fetch cannot set Host).
  await db.query(
    `INSERT INTO institution_hosts (hostname, institution_id) VALUES ('127.0.0.1', $1) ON CONFLICT DO NOTHING`,
    [first.id],
  );
  const ids = [first.id];
  for (let i = 1; i < count; i++) {
    const id = randomUUID();
    await db.query(`INSERT INTO institutions (id, slug, name, created_at) VALUES ($1, $2, $3, now())`, [
      id,
      `bench-${i}`,
      `Bench ${i}`,
    ]);
    await db.query(`INSERT INTO institution_hosts (hostname, institution_id) VALUES ($1, $2)`, [
      `bench-${i}.example.test`,
      id,
    ]);
    ids.push(id);
  }
  return ids;
}

export async function seedTokens(
  db: Db,
  total: number,
  perInstitution: number,
  keep: number,
): Promise<Seeded> {
  const started = performance.now();
  const ids = await institutions(db, Math.max(1, Math.ceil(total / perInstitution)));
  const secrets: string[] = [];
  // Minting (CPU here) overlaps writing, and WRITERS batches are written at once on connections of their
  // own, so that the database's inserts use every core (PGlite runs them one at a time all the same).
  const writing: Promise<void>[] = [];
  for (let from = 0; from < total;) {
    const institution = ids[Math.floor(from / perInstitution)] as string;
    const size = Math.min(BATCH, total - from, perInstitution - (from % perInstitution));
    const made = batch(from, size, keep);
    secrets.push(...made.secrets);
    if (writing.length >= WRITERS) await writing.shift();
    writing.push(insertBatch(db, institution, made.cols));
    from += size;
  }
  await Promise.all(writing);
  return { secrets, ms: performance.now() - started };
}

/** (p)'s permissions: the default one and nine of the catalogue, 10 in all, in key order. */
export const RICH_PERMISSIONS = [
  ...Array.from({ length: 9 }, (_, i) => `bench.area${i}.read`),
  'core.core.files_download',
].sort();

/**
 * (p)'s network rule: 49 ranges the load never comes from, then the one it does (it connects from
 * 127.0.0.1), so a check consults the whole rule before it matches.
 */
export const RICH_RANGES = [...Array.from({ length: 49 }, (_, i) => `10.${i}.0.0/16`), '127.0.0.1/32'];

/** `count` active tokens of the default institution with RICH_PERMISSIONS and RICH_RANGES; their secrets. */
export async function seedRestricted(db: Db, count: number): Promise<string[]> {
  const [first] = await db.query<{ id: string }>(`SELECT id FROM institutions WHERE slug = 'default'`);
  if (!first) throw new Error('the default institution is missing');
  await db.query(
    `INSERT INTO permissions (key, description) SELECT k, 'Bench permission' FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO NOTHING`,
    [RICH_PERMISSIONS],
  );
  const names = Array.from({ length: count }, (_, i) => `Restricted ${i}`);
  const minted = names.map((name) => generateToken(name));
  await db.query(
    `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, issued_for, permissions,
       allowed_ips, created_at, expiry_set_at, state)
     SELECT u.id, $1, u.hash, u.display, u.name, 'bench', $2::text[], $3::text[], now(), now(), 'active'
     FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[]) AS u(id, hash, display, name)`,
    [
      first.id,
      RICH_PERMISSIONS,
      RICH_RANGES,
      minted.map(() => randomUUID()),
      minted.map((m) => m.hash),
      minted.map((m) => m.display),
      names,
    ],
  );
  return minted.map((m) => m.token);
}
