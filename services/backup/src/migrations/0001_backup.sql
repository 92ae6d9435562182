-- Instances as backup knows them, from provisioning's dbaas.provisioning.instance.* events:
-- enough to scope requests to tenants and refuse backups of instances that are not running,
-- without reading provisioning's tables. `deleted` rows stay: their backups live until expiry.
CREATE TABLE instances (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL,
  engine     text NOT NULL,
  version    text NOT NULL,
  status     text NOT NULL,
  deleted    boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX instances_tenant ON instances (tenant_id, id);

-- One schedule per instance (Property 10): created on the instance's first event, editable.
CREATE TABLE backup_schedules (
  instance_id    text PRIMARY KEY REFERENCES instances (id),
  tenant_id      text NOT NULL,
  cron           text NOT NULL,
  time_zone      text NOT NULL,
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
  type           text NOT NULL CHECK (type IN ('full', 'logical')),
  enabled        boolean NOT NULL DEFAULT true,
  next_run_at    timestamptz,
  last_run_at    timestamptz,
  revision       bigint NOT NULL DEFAULT 1,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backup_schedules_due ON backup_schedules (next_run_at) WHERE enabled;

CREATE TABLE backups (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL,
  instance_id    text NOT NULL REFERENCES instances (id),
  engine         text NOT NULL,
  engine_version text NOT NULL DEFAULT '',
  type           text NOT NULL CHECK (type IN ('full', 'logical')),
  trigger        text NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
  status         text NOT NULL CHECK (status IN ('pending', 'running', 'available', 'failed',
                   'corrupt')),
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
  size_bytes     bigint,
  stored_bytes   bigint,
  started_at     timestamptz,
  finished_at    timestamptz,
  expires_at     timestamptz,
  encrypted      boolean NOT NULL DEFAULT false,
  key_id         text,
  compression    text,
  checksum       text,
  storage_key    text,
  log_start      text,
  log_end        text,
  error          text,
  verified_at    timestamptz,
  created_at     timestamptz NOT NULL
);
CREATE INDEX backups_instance ON backups (instance_id, id);
CREATE INDEX backups_expiry ON backups (expires_at) WHERE expires_at IS NOT NULL;

-- Long-running work, as in provisioning: a runner leases an operation and renews the lease
-- while it works, so one whose runner died is taken up again once its lease runs out.
-- Ids "opb_..." so the gateway can route GET /v1/operations/{id} here by prefix.
CREATE TABLE operations (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL,
  type            text NOT NULL,
  target          text NOT NULL,
  instance_id     text NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  progress        integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  step            text NOT NULL DEFAULT '',
  error_code      text,
  error_message   text,
  request_id      text NOT NULL DEFAULT '',
  attempts        integer NOT NULL DEFAULT 0,
  lease_until     timestamptz,
  -- Idempotency-Key of the create that made it, scoped to the caller and instance, with the
  -- fingerprint of the request body, so a replay answers the same operation.
  idempotency_scope text,
  idempotency_key   text,
  request_hash      text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX operations_open ON operations (created_at) WHERE status IN ('pending', 'running');
CREATE UNIQUE INDEX operations_idempotency ON operations (idempotency_scope, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Archived WAL segments / binlog files (continuous archiving comes later; retention already
-- plans their deletion).
CREATE TABLE archived_logs (
  instance_id text NOT NULL,
  name        text NOT NULL,
  storage_key text NOT NULL,
  size_bytes  bigint NOT NULL,
  archived_at timestamptz NOT NULL,
  PRIMARY KEY (instance_id, name)
);
