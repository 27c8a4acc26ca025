-- Revoking a signing key: the key leaves the JWKS and the sessions whose tokens it signed
-- are revoked with it. Each session now records the key that signed its token; sessions
-- started before this step record none (NULL). One dialect for SQLite and PostgreSQL.

ALTER TABLE sessions ADD COLUMN signing_key_id TEXT;
CREATE INDEX sessions_signing_key ON sessions (signing_key_id, status);

-- A 'revoked' key is never published and its private key is erased; revoked_at says when.
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;
