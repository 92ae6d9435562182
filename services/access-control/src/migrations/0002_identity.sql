-- Users, roles, role assignments, API keys, signing keys and token state.
-- Platform users have tenant_id NULL. The login name is the lower-cased email, except for the
-- bootstrap administrator whose username is "admin".
CREATE TABLE users (
  id             text        PRIMARY KEY,
  tenant_id      text        REFERENCES tenants (id) ON DELETE RESTRICT,
  username       text        NOT NULL,
  email          text,
  display_name   text        NOT NULL,
  password_hash  text        NOT NULL,
  active         boolean     NOT NULL DEFAULT true,
  last_login_at  timestamptz,
  failed_logins  integer     NOT NULL DEFAULT 0,
  locked_until   timestamptz,
  version        bigint      NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_tenant ON users (tenant_id, id);

-- Custom roles; the built-in ones live in code (libs/auth) and are never stored.
CREATE TABLE roles (
  id           text        PRIMARY KEY,
  tenant_id    text        NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name         text        NOT NULL,
  description  text        NOT NULL DEFAULT '',
  permissions  jsonb       NOT NULL,
  version      bigint      NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CONSTRAINT roles_tenant_name_unique UNIQUE (tenant_id, name)
);

-- A role held by a user, in the user's tenant (NULL for platform users).
CREATE TABLE role_assignments (
  user_id     text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_name   text        NOT NULL,
  tenant_id   text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role_name)
);

CREATE TABLE api_keys (
  id            text        PRIMARY KEY,
  tenant_id     text        REFERENCES tenants (id) ON DELETE RESTRICT,
  name          text        NOT NULL,
  prefix        text        NOT NULL,
  key_hash      text        NOT NULL,
  roles         jsonb       NOT NULL,
  created_by    text        NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL,
  CONSTRAINT api_keys_prefix_unique UNIQUE (prefix)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- JWT signing keys; the private PEM is sealed with the master key ring (AAD = kid).
-- At most one key is active; retired keys stay published until tokens they signed expire.
CREATE TABLE signing_keys (
  kid                 text        PRIMARY KEY,
  algorithm           text        NOT NULL DEFAULT 'ES256',
  private_key_sealed  bytea       NOT NULL,
  status              text        NOT NULL CHECK (status IN ('active', 'retired')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  retired_at          timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';

-- Refresh tokens, stored as SHA-256 hex. Each login starts a family; a refresh marks the
-- presented token used and issues the next one in the same family.
CREATE TABLE refresh_tokens (
  token_hash  text        PRIMARY KEY,
  family_id   text        NOT NULL,
  user_id     text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Access tokens revoked before their expiry (logout), by jti.
CREATE TABLE revoked_tokens (
  jti         text        PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
