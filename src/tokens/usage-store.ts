// The SQL of token usage: batched flushes of last use, recent addresses, daily counts and auth failures
// (merged safely with other instances' flushes), and the daily counts the detail page charts.
import type { Queryable } from '../db/db.js';
import type { RecentIp } from './store.js';
import type { FailureReason } from './verdict.js';

/** A day's count as the query reads it (the date as text, integer as number): the record itself. */
export interface UsageDay {
  date: string;
  count: number;
}

export async function usageSince(q: Queryable, tokenId: string, since: string): Promise<UsageDay[]> {
  return q.query<UsageDay>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, count FROM token_usage_daily
     WHERE token_id = $1 AND date >= $2::date ORDER BY date`,
    [tokenId, since],
  );
}

export interface UsageBatch {
  lastUsed: {
    id: string;
    at: Date;
    ip: string;
    userAgent: string;
    carrier: string;
    /** This flush's addresses of the token; none leaves its recent addresses as they are. */
    recentIps?: RecentIp[];
  }[];
  daily: { id: string; date: string; count: number }[];
  failures: {
    id: string;
    institutionId: string;
    failure: FailureReason;
    count: number;
    at: Date;
    ip: string;
  }[];
}

/**
 * Writes a batch of usage in three multi-row statements. Merges with other instances' flushes: the
 * latest time wins (with the ip/client/carrier of that request), the recent addresses of both are
 * merged to the 5 seen last (under the row lock this UPDATE takes, so concurrent flushes serialize per
 * token), and daily counts add up.
 */
export async function flushUsage(q: Queryable, b: UsageBatch): Promise<void> {
  if (b.lastUsed.length > 0) {
    const newer = 't.last_used_at IS NULL OR u.at >= t.last_used_at';
    await q.query(
      `UPDATE api_tokens t SET last_used_at = GREATEST(t.last_used_at, u.at),
         last_used_ip = CASE WHEN ${newer} THEN u.ip ELSE t.last_used_ip END,
         last_used_user_agent = CASE WHEN ${newer} THEN u.ua ELSE t.last_used_user_agent END,
         last_used_carrier = CASE WHEN ${newer} THEN u.carrier ELSE t.last_used_carrier END,
         recent_ips = tokend_merge_recent_ips(t.recent_ips, u.ips::jsonb)
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
         AS u(id, at, ip, ua, carrier, ips)
       WHERE t.id = u.id`,
      [
        b.lastUsed.map((u) => u.id),
        b.lastUsed.map((u) => u.at),
        b.lastUsed.map((u) => u.ip),
        b.lastUsed.map((u) => u.userAgent),
        b.lastUsed.map((u) => u.carrier),
        b.lastUsed.map((u) => JSON.stringify(u.recentIps ?? [])),
      ],
    );
  }
  if (b.daily.length > 0) {
    await q.query(
      `INSERT INTO token_usage_daily (token_id, date, count)
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::int[])
       ON CONFLICT (token_id, date) DO UPDATE SET count = token_usage_daily.count + EXCLUDED.count`,
      [b.daily.map((d) => d.id), b.daily.map((d) => d.date), b.daily.map((d) => d.count)],
    );
  }
  if (b.failures.length > 0) {
    await q.query(
      `INSERT INTO audit_events (id, institution_id, token_id, type, at, actor_id, ip, details)
       SELECT gen_random_uuid(), f.inst, f.id, 'token.auth_failed', f.at, NULL, f.ip,
              jsonb_build_object('failure', f.failure, 'count', f.count)
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[])
         AS f(id, inst, failure, count, at, ip)`,
      [
        b.failures.map((f) => f.id),
        b.failures.map((f) => f.institutionId),
        b.failures.map((f) => f.failure),
        b.failures.map((f) => f.count),
        b.failures.map((f) => f.at),
        b.failures.map((f) => f.ip),
      ],
    );
  }
}
