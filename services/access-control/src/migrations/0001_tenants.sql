-- Tenants and their resource limits. Names are DNS-label slugs so they can appear in
-- Kubernetes namespaces and hostnames later.
CREATE TABLE tenants (
  id              text        PRIMARY KEY,
  name            text        NOT NULL,
  display_name    text        NOT NULL,
  active          boolean     NOT NULL DEFAULT true,
  max_instances   integer     NOT NULL CHECK (max_instances >= 0),
  max_storage_gb  integer     NOT NULL CHECK (max_storage_gb >= 0),
  max_backups     integer     NOT NULL CHECK (max_backups >= 0),
  max_connections integer     NOT NULL CHECK (max_connections >= 0),
  version         bigint      NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CONSTRAINT tenants_name_unique UNIQUE (name),
  CONSTRAINT tenants_name_format CHECK (name ~ '^[a-z][a-z0-9-]{1,61}[a-z0-9]$')
);

-- Create requests that carried an Idempotency-Key, written in the same transaction as the
-- resource, so a retried request returns the resource made the first time instead of a second
-- one. Rows older than a day are purged.
CREATE TABLE idempotency_keys (
  scope        text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  resource_id  text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
