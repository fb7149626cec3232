-- The audit history is listed in insertion order (seq), newest first: index that order per token.
CREATE INDEX audit_events_token_seq ON audit_events (token_id, seq DESC);
DROP INDEX audit_events_token;
