-- Tenants as provisioning knows them, from access-control's tenant events: enough to enforce
-- their limits without asking access-control on every create.
CREATE TABLE tenant_limits (
  tenant_id      text PRIMARY KEY,
  active         boolean NOT NULL,
  max_instances  integer NOT NULL,
  max_storage_gb bigint NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instances (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL,
  name                text NOT NULL,
  engine              text NOT NULL CHECK (engine IN ('postgresql', 'mysql')),
  version             text NOT NULL,
  size                text NOT NULL,
  storage_gb          bigint NOT NULL CHECK (storage_gb > 0),
  parameters          jsonb NOT NULL DEFAULT '{}',
  deletion_protection boolean NOT NULL DEFAULT false,
  labels              jsonb NOT NULL DEFAULT '{}',
  status              text NOT NULL CHECK (status IN ('provisioning', 'running', 'stopped',
                        'maintenance', 'failed', 'deleting', 'deleted')),
  status_detail       text NOT NULL DEFAULT '',
  host                text,
  port                integer,
  server_version      text,
  admin_user          text,
  -- The administrator password sealed under a data key wrapped by the master key (base64url);
  -- NULL once the instance is deleted (credentials destroyed).
  admin_password      text,
  ca_pem              text,
  revision            bigint NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX instances_tenant_name ON instances (tenant_id, name) WHERE status <> 'deleted';
CREATE INDEX instances_tenant ON instances (tenant_id, id);

-- Long-running work; survives restarts: a runner leases an operation and renews the lease while
-- it works, so an operation whose runner died is taken up again once its lease runs out.
CREATE TABLE operations (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL,
  type         text NOT NULL,
  target       text NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  progress     integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  step         text NOT NULL DEFAULT '',
  error_code   text,
  error_message text,
  request_id   text NOT NULL DEFAULT '',
  attempts     integer NOT NULL DEFAULT 0,
  lease_until  timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX operations_open ON operations (created_at) WHERE status IN ('pending', 'running');
CREATE INDEX operations_target ON operations (target, created_at);
