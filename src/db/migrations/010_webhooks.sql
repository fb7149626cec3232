-- Webhooks (SPEC section 10): an institution's endpoints, and one message row per (endpoint, audit
-- event) that is also its Delivery (attempt count, status, next attempt, lease, last answer).
--
-- The outbox: a trigger on audit_events writes the messages in the same transaction as the event, so
-- every writer (the API, the sweep, the usage flush, the CLI, hand-written SQL) gets its webhooks and a
-- crash cannot lose one. The snapshot holds the event and the token row as they were (never the hash).

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id),
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  events text[] NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  -- The signing secret as it must be kept to sign (whsec_…), and the one before a rotation, which
  -- signs too until previous_secret_until.
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  created_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id),
  last_delivery_at timestamptz,
  last_delivery_status text,
  -- The first failed attempt since the last success: 5 days of it disables the endpoint.
  failing_since timestamptz
);
CREATE INDEX webhook_endpoints_institution ON webhook_endpoints (institution_id, created_at, id);

CREATE TABLE webhook_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The audit event's id (webhook-id), or a test message's own.
  event_id uuid NOT NULL,
  type text NOT NULL,
  -- {event, token}: what `data` carries, as it was when the event was written.
  payload jsonb NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  next_attempt_at timestamptz,
  -- A deliverer's claim: another instance takes the message over once leased_until has passed.
  leased_until timestamptz,
  leased_by text,
  response_status integer,
  duration_ms integer,
  response_body text,
  error text,
  created_at timestamptz NOT NULL,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, seq DESC);

CREATE FUNCTION audit_events_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  snapshot jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints w
                 WHERE w.institution_id = NEW.institution_id AND w.enabled AND NEW.type = ANY (w.events)) THEN
    RETURN NULL;
  END IF;
  snapshot := jsonb_build_object(
    'event', jsonb_build_object(
      'id', NEW.id, 'type', NEW.type, 'at', NEW.at, 'ip', NEW.ip, 'details', NEW.details,
      'actor', (SELECT jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name)
                FROM users u WHERE u.id = NEW.actor_id)),
    'token', (SELECT to_jsonb(x) - 'token_hash' FROM (
      SELECT t.*, cu.id AS cu_id, cu.email AS cu_email, cu.name AS cu_name,
             su.id AS su_id, su.email AS su_email, su.name AS su_name
      FROM api_tokens t LEFT JOIN users cu ON cu.id = t.created_by
        LEFT JOIN users su ON su.id = t.state_changed_by
      WHERE t.id = NEW.token_id) x));
  INSERT INTO webhook_messages (endpoint_id, event_id, type, payload, next_attempt_at, created_at)
    SELECT w.id, NEW.id, NEW.type, snapshot, NEW.at, NEW.at FROM webhook_endpoints w
    WHERE w.institution_id = NEW.institution_id AND w.enabled AND NEW.type = ANY (w.events);
  PERFORM pg_notify('tokend_webhooks', NEW.institution_id::text);
  RETURN NULL;
END;
$$;
CREATE TRIGGER audit_events_webhooks AFTER INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_webhooks();
