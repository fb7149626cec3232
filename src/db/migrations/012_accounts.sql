-- Sign-in with the institution's identity provider, and people managed on the page (SPEC 11).
-- The operator's OpenID Connect client per institution (set by the CLI; the secret is never returned by any
-- API). password_login false refuses password logins but for break-glass accounts.
ALTER TABLE institutions ADD COLUMN oidc_issuer text;
ALTER TABLE institutions ADD COLUMN oidc_client_id text;
ALTER TABLE institutions ADD COLUMN oidc_client_secret text;
ALTER TABLE institutions ADD COLUMN oidc_groups_claim text NOT NULL DEFAULT 'groups';
ALTER TABLE institutions ADD COLUMN oidc_admin_group text;
ALTER TABLE institutions ADD COLUMN oidc_staff_group text;
ALTER TABLE institutions ADD COLUMN password_login boolean NOT NULL DEFAULT true;

-- break_glass: an administrator made by the first start or `tokend users create` (every user before this
-- migration was made one of those two ways); users made on the page or by a sign-in are not.
ALTER TABLE users ADD COLUMN break_glass boolean NOT NULL DEFAULT true;
ALTER TABLE users ALTER COLUMN break_glass SET DEFAULT false;
-- The identity of a user who signs in with the provider: (issuer, sub), never the email.
ALTER TABLE users ADD COLUMN oidc_issuer text;
ALTER TABLE users ADD COLUMN oidc_subject text;
CREATE UNIQUE INDEX users_oidc_identity ON users (institution_id, oidc_issuer, oidc_subject)
  WHERE oidc_subject IS NOT NULL;
-- A deactivated user cannot sign in and has no session; the tokens they created keep working.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;
