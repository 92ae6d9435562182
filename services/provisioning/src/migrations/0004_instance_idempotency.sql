-- A create's Idempotency-Key, who sent it and the fingerprint of the request it came with: a
-- retried create answers the first one's instance and operation instead of making another.
ALTER TABLE instances ADD COLUMN idempotency_key text;
ALTER TABLE instances ADD COLUMN created_by text NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN request_hash text;
CREATE UNIQUE INDEX instances_idempotency
  ON instances (tenant_id, created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
