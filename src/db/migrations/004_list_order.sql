-- The management list sorted by expiry (SPEC section 5: no expiry last in either order) keys its keyset
-- on COALESCE(expires_at, ±infinity) (store.ts, listTokens). An index on that exact expression lets the
-- first page and every following one read 50 rows in order instead of sorting the whole institution.
CREATE INDEX api_tokens_expiry_last_asc
  ON api_tokens (institution_id, COALESCE(expires_at, 'infinity'::timestamptz), id);
CREATE INDEX api_tokens_expiry_last_desc
  ON api_tokens (institution_id, COALESCE(expires_at, '-infinity'::timestamptz), id);
