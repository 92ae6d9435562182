-- What an update operation is to apply (size, parameters), kept with the operation so the
-- instance record changes only once the runtime has applied it.
ALTER TABLE operations ADD COLUMN spec jsonb NOT NULL DEFAULT '{}';
-- Settings changed on a running instance that take effect at its next restart.
ALTER TABLE instances ADD COLUMN pending_restart jsonb NOT NULL DEFAULT '[]';
