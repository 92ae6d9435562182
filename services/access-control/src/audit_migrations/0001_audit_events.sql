-- The audit log: append-only and hash-chained, in its own database apart from operational
-- data. This migration runs as the database's owner; the service then writes as the login
-- role dbaas_audit_writer, which may only INSERT and SELECT audit entries.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dbaas_audit_writer') THEN
    RAISE EXCEPTION 'the role dbaas_audit_writer does not exist; create it (LOGIN) before starting access-control';
  END IF;
END
$$;

CREATE TABLE audit_events (
  seq            bigint PRIMARY KEY CHECK (seq > 0),
  id             text NOT NULL UNIQUE,
  occurred_at    timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL,
  source         text NOT NULL,
  request_id     text NOT NULL,
  category       text NOT NULL,
  actor_type     text NOT NULL,
  actor_id       text NOT NULL,
  actor_name     text NOT NULL,
  tenant_id      text NOT NULL,
  action         text NOT NULL,
  resource       text NOT NULL,
  method         text NOT NULL,
  outcome        text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  status         integer NOT NULL,
  reason         text NOT NULL,
  source_address text NOT NULL,
  user_agent     text NOT NULL,
  prev_hash      text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash           text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq DESC);
CREATE INDEX audit_events_request ON audit_events (request_id);

-- Nobody changes history, not even the owner without first dropping these triggers.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Tenant isolation again in the database: a session sees the entries of the tenant named in
-- dbaas.audit_scope, or all of them when it is '*'; without the setting it sees none.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT
  USING (current_setting('dbaas.audit_scope', true) = '*'
         OR tenant_id = current_setting('dbaas.audit_scope', true));
CREATE POLICY audit_events_append ON audit_events FOR INSERT WITH CHECK (true);

REVOKE ALL ON audit_events FROM PUBLIC;
GRANT SELECT, INSERT ON audit_events TO dbaas_audit_writer;
-- The audit consumer's de-duplication rows (libs/events), purged after their retention.
GRANT SELECT, INSERT, DELETE ON processed_events TO dbaas_audit_writer;
