-- Users provisioned from an external identity provider (LDAP) on their first login.
-- source 'local' users log in with password_hash; 'ldap' users have no local password
-- (password_hash holds a marker no password verifies against) and bind to the directory
-- instead; external_id is their directory DN.
ALTER TABLE users ADD COLUMN source text NOT NULL DEFAULT 'local'
  CHECK (source IN ('local', 'ldap'));
ALTER TABLE users ADD COLUMN external_id text;
