-- The permission catalogue (SPEC section 8): the operator's, shared by every institution. Tokens name
-- permissions by key in api_tokens.permissions, which this migration leaves exactly as it is (every
-- existing token keeps core.core.files_download, a built-in below).
CREATE TABLE permissions (
  -- 2 to 5 dot-separated segments of [a-z][a-z0-9_]*, at most 100 characters; the service refuses the
  -- staff features' prefix core.institutions. before it gets here.
  key text PRIMARY KEY
    CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,4}$' AND char_length(key) <= 100),
  description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 200),
  -- A deprecated permission cannot be granted anew; tokens that hold it keep it and it keeps working.
  deprecated boolean NOT NULL DEFAULT false,
  built_in boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  changed_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO permissions (key, description, built_in) VALUES
  ('core.core.files_download', 'Download files through the API', true),
  ('tokens.self_rotate', 'Rotate its own secret', true);

-- Nothing is ever deleted or renamed: tokens and their audit history refer to the key.
CREATE FUNCTION permissions_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'permissions are never deleted or renamed (deprecate them instead)';
END;
$$;
CREATE TRIGGER permissions_no_delete BEFORE DELETE ON permissions
  FOR EACH ROW EXECUTE FUNCTION permissions_keep();
CREATE TRIGGER permissions_no_rename BEFORE UPDATE ON permissions
  FOR EACH ROW WHEN (OLD.key IS DISTINCT FROM NEW.key) EXECUTE FUNCTION permissions_keep();
CREATE TRIGGER permissions_no_truncate BEFORE TRUNCATE ON permissions
  FOR EACH STATEMENT EXECUTE FUNCTION permissions_keep();
