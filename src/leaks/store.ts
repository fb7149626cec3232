// The SQL of leak reports (SPEC section 9): the one lookup a report makes (current and previous secrets
// by hash, across institutions, with what the response and its email need), the claim that makes each
// reported secret acted on once, and the two marks a report leaves on a secret. State changes are not
// here: they go through the lifecycle's guarded transition (tokens/store.ts applyTransition).
import type { LeakResponse } from '../accounts/records.js';
import type { Queryable } from '../db/db.js';
import type { TokenState } from '../tokens/lifecycle.js';

export type LeakChannel = 'public' | 'github' | 'gitlab';
export type ReportedSecret = 'current' | 'previous';

/** A reported hash that is one of our secrets, with its token as it stood at the lookup. */
export interface ReportedRow {
  hash: string;
  retired: boolean;
  /** A retired secret's grace end (it works while now < this); null for a current secret. */
  validUntil: Date | null;
  tokenId: string;
  institutionId: string;
  state: TokenState;
  expiresAt: Date | null;
  name: string;
  leakResponse: LeakResponse;
  institutionName: string;
  institutionHosts: string[];
  notifyEmails: string[];
  creatorEmail: string | null;
}

interface Row {
  hash: string;
  retired: boolean;
  valid_until: Date | null;
  token_id: string;
  institution_id: string;
  /** Held to the token states by the column's CHECK constraint. */
  state: TokenState;
  expires_at: Date | null;
  name: string;
  /** Held to the three policies by the column's CHECK constraint. */
  leak_response: LeakResponse;
  institution_name: string;
  hosts: string[];
  notify_emails: string[];
  creator_email: string | null;
}

/**
 * Every reported hash that is a token's current or retired secret, in one statement whatever the
 * report's size (an empty list costs the same round trip: the answer must not tell what was found).
 */
export async function findReported(q: Queryable, hashes: string[]): Promise<Map<string, ReportedRow>> {
  const rows = await q.query<Row>(
    `SELECT s.hash, s.retired, s.valid_until, t.id AS token_id, t.institution_id, t.state, t.expires_at,
       t.name, i.leak_response, i.name AS institution_name, i.notify_emails, u.email AS creator_email,
       COALESCE((SELECT array_agg(h.hostname ORDER BY h.hostname) FROM institution_hosts h
         WHERE h.institution_id = i.id), '{}') AS hosts
     FROM (SELECT token_hash AS hash, id AS token_id, false AS retired, NULL::timestamptz AS valid_until
             FROM api_tokens WHERE token_hash = ANY($1::text[])
           UNION ALL
           SELECT token_hash, token_id, true, valid_until
             FROM api_token_previous_secrets WHERE token_hash = ANY($1::text[])) s
     JOIN api_tokens t ON t.id = s.token_id
     JOIN institutions i ON i.id = t.institution_id
     LEFT JOIN users u ON u.id = t.created_by`,
    [hashes],
  );
  const found = new Map<string, ReportedRow>();
  for (const r of rows) {
    // A current secret wins over a retired one with the same hash (only a SHA-256 collision could).
    if (found.has(r.hash) && r.retired) continue;
    found.set(r.hash, {
      hash: r.hash,
      retired: r.retired,
      validUntil: r.valid_until,
      tokenId: r.token_id,
      institutionId: r.institution_id,
      state: r.state,
      expiresAt: r.expires_at,
      name: r.name,
      leakResponse: r.leak_response,
      institutionName: r.institution_name,
      institutionHosts: r.hosts,
      notifyEmails: r.notify_emails,
      creatorEmail: r.creator_email,
    });
  }
  return found;
}

export interface Claim {
  hash: string;
  tokenId: string;
  institutionId: string;
  channel: LeakChannel;
  secret: ReportedSecret;
  url: string | null;
  source: string | null;
  at: Date;
}

/**
 * Claims a reported secret: true for the first report of it. A concurrent report's INSERT waits for
 * this transaction and then finds the row: of two reports at once, on any instances, one acts.
 */
export async function claimReport(q: Queryable, c: Claim): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO leak_reports (secret_hash, token_id, institution_id, channel, secret, url, source, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (secret_hash) DO NOTHING RETURNING secret_hash`,
    [c.hash, c.tokenId, c.institutionId, c.channel, c.secret, c.url, c.source, c.at],
  );
  return rows.length === 1;
}

/** The claim's secret, when a rotation between the lookup and the claim made a current one previous. */
export async function reclassify(q: Queryable, hash: string, secret: ReportedSecret): Promise<void> {
  await q.query('UPDATE leak_reports SET secret = $2 WHERE secret_hash = $1', [hash, secret]);
}

/** Marks the token whose current secret this still is; false when a rotation replaced it meanwhile. */
export async function markCompromised(
  q: Queryable,
  tokenId: string,
  hash: string,
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    'UPDATE api_tokens SET compromised_at = $3 WHERE id = $1 AND token_hash = $2 RETURNING id',
    [tokenId, hash, at],
  );
  return rows.length === 1;
}

/**
 * Ends a retired secret's grace now (and the token's record of it): it answers token_rotated from
 * then on. The token itself stays as it is. False when its grace had already ended.
 */
export async function endGrace(q: Queryable, hash: string, at: Date): Promise<boolean> {
  const [ended] = await q.query<{ token_id: string }>(
    `UPDATE api_token_previous_secrets SET valid_until = $2 WHERE token_hash = $1 AND valid_until > $2
     RETURNING token_id`,
    [hash, at],
  );
  if (!ended) return false;
  // Only the newest retired secret can be in grace (a rotation ends earlier ones): it is the token's.
  await q.query(
    `UPDATE api_tokens SET previous_secret_valid_until = $2 WHERE id = $1 AND previous_secret_valid_until > $2`,
    [ended.token_id, at],
  );
  return true;
}

/** The claim's email outcome, written after the commit that acted on it. */
export async function recordMail(
  q: Queryable,
  hash: string,
  outcome: { mailedAt: Date } | { error: string },
): Promise<void> {
  const sent = 'mailedAt' in outcome;
  await q.query('UPDATE leak_reports SET mailed_at = $2, mail_error = $3 WHERE secret_hash = $1', [
    hash,
    sent ? outcome.mailedAt : null,
    sent ? null : outcome.error,
  ]);
}
