-- Leak response (SPEC section 9). compromised_at marks a token whose current secret was reported leaked:
-- it blocks reactivation until a rotation clears it. The institution's policy says what a report does.
-- leak_reports is the claim that makes "acted on, recorded and emailed once per reported secret" a
-- database fact: the first report of a secret inserts its row (ON CONFLICT DO NOTHING RETURNING) in the
-- transaction that acts on it, so a repeated or concurrent report, on any instance, finds it taken.
ALTER TABLE api_tokens ADD COLUMN compromised_at timestamptz;

ALTER TABLE institutions ADD COLUMN leak_response text NOT NULL DEFAULT 'suspend'
  CHECK (leak_response IN ('suspend', 'revoke', 'notify'));

CREATE TABLE leak_reports (
  -- SHA-256 of the reported secret: a token's current or previous one.
  secret_hash text PRIMARY KEY,
  token_id uuid NOT NULL REFERENCES api_tokens (id),
  institution_id uuid NOT NULL REFERENCES institutions (id),
  channel text NOT NULL CHECK (channel IN ('public', 'github', 'gitlab')),
  secret text NOT NULL CHECK (secret IN ('current', 'previous')),
  url text,
  source text,
  reported_at timestamptz NOT NULL,
  -- The email's outcome, written after the commit (no SMTP inside the transaction).
  mailed_at timestamptz,
  mail_error text
);
CREATE INDEX leak_reports_token ON leak_reports (token_id);
