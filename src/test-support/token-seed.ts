// Many active tokens of one institution at once, for the bulk tests, the browser test and the bench:
// made with the real generateToken (each secret authenticates) and written in multi-row INSERTs, since
// creating thousands through the API would take minutes on PGlite. Each gets its token.created event.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { generateToken } from '../tokens/token.js';

export interface Seeded {
  id: string;
  secret: string;
}

const BATCH = 1_000;

export async function seedTokens(
  db: Db,
  institutionId: string,
  count: number,
  fields: { name?: string; issuedFor?: string } = {},
): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  const name = fields.name ?? 'Seeded token';
  for (let from = 0; from < count; from += BATCH) {
    const size = Math.min(BATCH, count - from);
    const ids: string[] = [];
    const hashes: string[] = [];
    const displays: string[] = [];
    const created: string[] = [];
    for (let i = 0; i < size; i++) {
      const minted = generateToken(name);
      const id = randomUUID();
      ids.push(id);
      hashes.push(minted.hash);
      displays.push(minted.display);
      // Distinct creation times, oldest first, so that the list's order is the seeding order.
      created.push(new Date(Date.now() - (count - from - i) * 1000).toISOString());
      seeded.push({ id, secret: minted.token });
    }
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, issued_for, permissions,
           created_at, expires_at, expiry_set_at, state)
         SELECT u.id, $1, u.hash, u.display, $5, $6, '{core.core.files_download}', u.created_at, NULL,
           u.created_at, 'active'
         FROM unnest($2::uuid[], $3::text[], $4::text[], $7::timestamptz[]) AS u(id, hash, display, created_at)`,
        [institutionId, ids, hashes, displays, name, fields.issuedFor ?? '', created],
      );
      await tx.query(
        `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
         SELECT gen_random_uuid(), $1, u.id, 'token.created', u.created_at, NULL, NULL, '{"expiresAt":null}'
         FROM unnest($2::uuid[], $3::timestamptz[]) AS u(id, created_at)`,
        [institutionId, ids, created],
      );
    });
  }
  return seeded;
}

/**
 * Many active tokens whose secrets nobody holds (random hashes, no events), made by the database in one
 * statement: for tests that need a large institution and never present a secret.
 */
export async function seedTokensInBulk(db: Db, institutionId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO api_tokens (id, institution_id, token_hash, display, name, permissions, created_at,
       expires_at, expiry_set_at, state)
     SELECT gen_random_uuid(), $1, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'),
       'tokend_bulk... ' || lpad((i % 1000)::text, 3, '0'), 'Bulk token ' || i, '{core.core.files_download}',
       now() - i * interval '1 second', NULL, now(), 'active'
     FROM generate_series(1, $2::int) AS i`,
    [institutionId, count],
  );
}
