-- Parameter groups: named, versioned configuration templates per engine (Property 3). Tenant
-- scoped like instances (every row carries tenant_id, the repository filters by it); the
-- built-in defaults have tenant_id '' and are read-only and visible to every tenant.
CREATE TABLE parameter_groups (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL,
  name            text NOT NULL,
  engine          text NOT NULL CHECK (engine IN ('postgresql', 'mysql')),
  description     text NOT NULL DEFAULT '',
  builtin         boolean NOT NULL DEFAULT false,
  -- The current version; a parameter change adds a row to parameter_group_versions.
  version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  -- Changes with every change (the ETag), also of the description alone.
  revision        bigint NOT NULL DEFAULT 1,
  -- A create's Idempotency-Key, its caller and the fingerprint of the request it came with.
  idempotency_key text,
  created_by      text NOT NULL DEFAULT '',
  request_hash    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX parameter_groups_name ON parameter_groups (tenant_id, engine, name);
CREATE UNIQUE INDEX parameter_groups_idempotency
  ON parameter_groups (tenant_id, created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Every version of every group is kept (GET /v1/parameter-groups/{id}/versions).
CREATE TABLE parameter_group_versions (
  group_id   text NOT NULL REFERENCES parameter_groups (id) ON DELETE CASCADE,
  version    integer NOT NULL,
  tenant_id  text NOT NULL,
  parameters jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, version)
);

INSERT INTO parameter_groups (id, tenant_id, name, engine, description, builtin)
VALUES ('pgr_00000000000000000000000001', '', 'default.postgresql15', 'postgresql',
        'PostgreSQL 15 with the engine''s and the size''s defaults (read-only)', true),
       ('pgr_00000000000000000000000002', '', 'default.mysql10.11', 'mysql',
        'MySQL (MariaDB 10.11) with the engine''s and the size''s defaults (read-only)', true);
INSERT INTO parameter_group_versions (group_id, version, tenant_id)
VALUES ('pgr_00000000000000000000000001', 1, ''), ('pgr_00000000000000000000000002', 1, '');

-- The group an instance is attached to (no foreign key: deleted instances keep their row, and a
-- group is deleted only when no live instance uses it), the version last applied, and the
-- effective parameters last applied (the group's overlaid by the instance's own).
ALTER TABLE instances ADD COLUMN parameter_group_id text;
ALTER TABLE instances ADD COLUMN parameter_group_version integer;
ALTER TABLE instances ADD COLUMN effective_parameters jsonb NOT NULL DEFAULT '{}';
UPDATE instances SET effective_parameters = parameters;
CREATE INDEX instances_parameter_group ON instances (parameter_group_id)
  WHERE parameter_group_id IS NOT NULL;
