-- Network rules per token and the institution's policy for them (SPEC section 8). Every existing token
-- keeps working from any address: an empty rule allows any. The ranges are stored as networks in
-- canonical form (tokens/network-rules.ts), in the order given; the check compiles them once per cache
-- fill. The change notice (003_notify.sql) covers the new column like any other: a narrowed rule is
-- honoured by every instance as a suspension is.
ALTER TABLE api_tokens ADD COLUMN allowed_ips text[] NOT NULL DEFAULT '{}';

ALTER TABLE institutions ADD COLUMN require_allowed_ips boolean NOT NULL DEFAULT false;
