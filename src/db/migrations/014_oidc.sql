-- Sign-ins begun at the institution's identity provider (SPEC 11): the browser holds a random cookie,
-- this table its SHA-256 with the state, nonce and PKCE verifier the callback checks. Any instance
-- answers the callback; a row is deleted when read (one callback each) and swept after ten minutes.
CREATE TABLE oidc_flows (
  id_hash text PRIMARY KEY,
  institution_id uuid NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
  state text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text,
  created_at timestamptz NOT NULL
);
CREATE INDEX oidc_flows_created ON oidc_flows (created_at);
