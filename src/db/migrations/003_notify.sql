-- Cross-instance invalidation of the token-check cache (SPEC section 6). Every change that can alter
-- the answer of a token check sends pg_notify('tokend_tokens', token_id) at commit, whoever makes it:
-- the API, the page, the CLI, the sweep, rotation, renewal or hand-written SQL. Each instance LISTENs
-- (src/db/listener.ts) and drops its cached entries for that token.

CREATE FUNCTION api_tokens_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tokend_tokens', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
  IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
    PERFORM pg_notify('tokend_tokens', OLD.id::text);
  END IF;
  RETURN NULL;
END;
$$;

-- No INSERT trigger: a new token's hash is random, so no cache can hold an answer about it yet, and
-- bulk imports stay cheap. A DELETE (by hand; tokend never deletes) must stop the token everywhere.
CREATE TRIGGER api_tokens_notify_delete AFTER DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION api_tokens_notify();

-- The usage flush rewrites last_used_* of every token in use, every second: those columns never change a
-- token check, so they must not wake every instance. Any other column does notify, so that a column
-- added later cannot silently escape invalidation (a renamed token costs one harmless refetch).
CREATE TRIGGER api_tokens_notify_update AFTER UPDATE ON api_tokens
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - ARRAY['last_used_at', 'last_used_ip', 'last_used_user_agent', 'last_used_carrier'])
    IS DISTINCT FROM (to_jsonb(NEW) - ARRAY['last_used_at', 'last_used_ip', 'last_used_user_agent', 'last_used_carrier']))
  EXECUTE FUNCTION api_tokens_notify();

-- Retired secrets (rotation): a new one, a shortened grace or a removed one changes what they answer.
CREATE FUNCTION api_token_previous_secrets_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tokend_tokens',
    (CASE WHEN TG_OP = 'DELETE' THEN OLD.token_id ELSE NEW.token_id END)::text);
  IF TG_OP = 'UPDATE' AND OLD.token_id IS DISTINCT FROM NEW.token_id THEN
    PERFORM pg_notify('tokend_tokens', OLD.token_id::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_token_previous_secrets_notify AFTER INSERT OR UPDATE OR DELETE ON api_token_previous_secrets
  FOR EACH ROW EXECUTE FUNCTION api_token_previous_secrets_notify();

-- TRUNCATE fires no row trigger: '*' tells every instance to drop its whole cache.
CREATE FUNCTION api_tokens_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tokend_tokens', '*');
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_tokens_notify_truncate AFTER TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_notify_all();
CREATE TRIGGER api_token_previous_secrets_notify_truncate AFTER TRUNCATE ON api_token_previous_secrets
  FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_notify_all();
