-- The inventory (SPEC section 12): indexes so that each of the list's filters answers its first page
-- (50 tokens, newest first) on a big institution without sorting every token it holds, and the
-- institution's audit log newest first. The list's SQL is tokens/list-store.ts; each expression and
-- predicate below is written as it writes them, so the planner can match them.

-- sort=lastUsedAt, never used last in either order (like expiry in 004).
CREATE INDEX api_tokens_last_used_asc
  ON api_tokens (institution_id, COALESCE(last_used_at, 'infinity'::timestamptz), id);
CREATE INDEX api_tokens_last_used_desc
  ON api_tokens (institution_id, COALESCE(last_used_at, '-infinity'::timestamptz), id);

-- lastUsedBefore: last use, or creation for a token never used.
CREATE INDEX api_tokens_idle_since ON api_tokens (institution_id, COALESCE(last_used_at, created_at));

-- The filters that pick out a few tokens, in the list's default order: each a partial index of it.
CREATE INDEX api_tokens_no_expiry ON api_tokens (institution_id, created_at, id) WHERE expires_at IS NULL;
CREATE INDEX api_tokens_never_used ON api_tokens (institution_id, created_at, id) WHERE last_used_at IS NULL;
CREATE INDEX api_tokens_ip_restricted
  ON api_tokens (institution_id, created_at, id) WHERE cardinality(allowed_ips) > 0;
CREATE INDEX api_tokens_compromised
  ON api_tokens (institution_id, created_at, id) WHERE compromised_at IS NOT NULL;
CREATE INDEX api_tokens_created_by ON api_tokens (created_by, created_at, id);

-- permission (any of): the array overlap operator && through a GIN index.
CREATE INDEX api_tokens_permissions ON api_tokens USING gin (permissions);

-- The institution's audit log, newest first by insertion, whole or by type.
CREATE INDEX audit_events_institution_seq ON audit_events (institution_id, seq DESC);
CREATE INDEX audit_events_institution_type_seq ON audit_events (institution_id, type, seq DESC);
CREATE INDEX audit_events_actor_seq ON audit_events (actor_id, seq DESC) WHERE actor_id IS NOT NULL;
