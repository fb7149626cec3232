-- Recent addresses and the inactivity policy (SPEC 12).
--
-- recent_ips: the token's last 5 distinct client addresses, newest first, as
-- [{ip, firstSeenAt, lastSeenAt, userAgent}] (times as toISOString() text, so they sort as text). The
-- usage flush merges its own into them in the UPDATE it already makes of last_used_*: no statement more
-- per flush, and two instances flushing the same token merge under that row's lock, keeping the 5 most
-- recent of both. Like last_used_*, the column never changes a token check, so it is left out of the
-- cache-invalidation trigger below (a flush must not wake every instance).
ALTER TABLE api_tokens ADD COLUMN recent_ips jsonb NOT NULL DEFAULT '[]';

-- Both lists' entries by address: the earliest first sight, the latest last sight with its user agent;
-- the 5 seen last, newest first (ties by address, so every instance computes the same list).
CREATE FUNCTION tokend_merge_recent_ips(old jsonb, new jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(jsonb_agg(jsonb_build_object('ip', ip, 'firstSeenAt', first_seen, 'lastSeenAt', last_seen,
           'userAgent', user_agent) ORDER BY last_seen DESC, ip), '[]'::jsonb)
  FROM (
    SELECT e->>'ip' AS ip, min(e->>'firstSeenAt') AS first_seen, max(e->>'lastSeenAt') AS last_seen,
      (array_agg(e->>'userAgent' ORDER BY e->>'lastSeenAt' DESC))[1] AS user_agent
    FROM jsonb_array_elements(COALESCE(old, '[]'::jsonb) || COALESCE(new, '[]'::jsonb)) AS e
    GROUP BY e->>'ip'
    ORDER BY max(e->>'lastSeenAt') DESC, e->>'ip'
    LIMIT 5
  ) AS recent
$$;

DROP TRIGGER api_tokens_notify_update ON api_tokens;
CREATE TRIGGER api_tokens_notify_update AFTER UPDATE ON api_tokens
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - ARRAY['last_used_at', 'last_used_ip', 'last_used_user_agent', 'last_used_carrier', 'recent_ips'])
    IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['last_used_at', 'last_used_ip', 'last_used_user_agent', 'last_used_carrier', 'recent_ips']))
  EXECUTE FUNCTION api_tokens_notify();

-- The inactivity policy's two notices, claimed like the expiry reminders so each is sent once across
-- instances. Their expires_at column holds the moment that names the occasion instead of an expiry:
-- for unused_7d the start of the idle spell (last use, creation or reactivation, whichever is latest),
-- so the warning goes once per spell; for unused_suspended the moment of the suspension.
ALTER TABLE token_notices DROP CONSTRAINT token_notices_kind_check;
ALTER TABLE token_notices ADD CONSTRAINT token_notices_kind_check
  CHECK (kind IN ('expiry_14d', 'expiry_7d', 'expiry_3d', 'expiry_1d', 'expired', 'unused_7d', 'unused_suspended'));

