-- tokend's schema. Ids are UUIDs made by the application; times are timestamptz (UTC on the wire).

CREATE TABLE institutions (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  notify_emails text[] NOT NULL DEFAULT '{}',
  require_expiry boolean NOT NULL DEFAULT false,
  max_lifetime_days integer,
  created_at timestamptz NOT NULL
);

-- One row a hostname (lower case, no port): a hostname belongs to at most one institution.
CREATE TABLE institution_hosts (
  hostname text PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id) ON DELETE CASCADE
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id),
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'staff')),
  features text[] NOT NULL DEFAULT '{}',
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_institution_email ON users (institution_id, lower(email));

-- Only the SHA-256 of a session id is stored, like tokens: a database read does not yield sessions.
CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id),
  token_hash text NOT NULL UNIQUE,
  display text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  issued_for text NOT NULL DEFAULT '',
  permissions text[] NOT NULL,
  created_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id),
  expires_at timestamptz,
  expiry_set_at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'suspended', 'revoked', 'expired')),
  state_changed_at timestamptz,
  state_changed_by uuid REFERENCES users (id),
  state_reason text,
  last_used_at timestamptz,
  last_used_ip text,
  last_used_user_agent text,
  last_used_carrier text,
  previous_secret_valid_until timestamptz
);
-- The list's keyset orders: (created_at, id) and (expires_at, id) within an institution.
CREATE INDEX api_tokens_created ON api_tokens (institution_id, created_at, id);
CREATE INDEX api_tokens_expires ON api_tokens (institution_id, expires_at, id);
CREATE INDEX api_tokens_sweep ON api_tokens (expires_at) WHERE state IN ('active', 'suspended');

-- Hashes of secrets retired by rotation: they answer token_rotated forever, and work until valid_until.
CREATE TABLE api_token_previous_secrets (
  token_hash text PRIMARY KEY,
  token_id uuid NOT NULL REFERENCES api_tokens (id),
  retired_at timestamptz NOT NULL,
  valid_until timestamptz NOT NULL
);
CREATE INDEX api_token_previous_secrets_token ON api_token_previous_secrets (token_id);

-- Append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  institution_id uuid NOT NULL REFERENCES institutions (id),
  token_id uuid REFERENCES api_tokens (id),
  type text NOT NULL,
  at timestamptz NOT NULL,
  actor_id uuid REFERENCES users (id),
  ip text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_token ON audit_events (token_id, at DESC, seq DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE token_usage_daily (
  token_id uuid NOT NULL REFERENCES api_tokens (id),
  date date NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (token_id, date)
);

CREATE TABLE files (
  id uuid PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id),
  name text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL,
  created_by uuid REFERENCES users (id)
);
CREATE INDEX files_institution ON files (institution_id, created_at, id);
