-- Expiry reminders (SPEC section 3). One row per notice and expiry: "sent once" is this primary key.
-- A sweep commits a 'claimed' row before it talks SMTP, then marks it 'sent' or 'failed'; a later sweep
-- retries 'failed' rows and takes over 'claimed' rows whose process died (claimed_at too old).
-- 'skipped' rows record notices that will never be sent (superseded, no recipients, not active).
CREATE TABLE token_notices (
  token_id uuid NOT NULL REFERENCES api_tokens (id),
  kind text NOT NULL CHECK (kind IN ('expiry_14d', 'expiry_7d', 'expiry_3d', 'expiry_1d', 'expired')),
  -- The token's expires_at when the notice was due: a renewed token is reminded again for its new expiry.
  expires_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'skipped')),
  claimed_at timestamptz NOT NULL,
  claimed_by text NOT NULL,
  sent_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  error text,
  PRIMARY KEY (token_id, kind, expires_at)
);

-- The sweep pages through tokens in expiry order, those long expired included (until their last notice
-- is recorded), so it needs expires_at leading.
CREATE INDEX api_tokens_expiry_order ON api_tokens (expires_at, id) WHERE expires_at IS NOT NULL;
