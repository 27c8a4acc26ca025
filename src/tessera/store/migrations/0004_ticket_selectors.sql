-- Tickets name their token: tsit_ + the token id's 27 characters + 256 random bits + checksum.
-- A redemption finds the token by its id and compares the ticket's hash in constant time, so
-- token_hash needs no index: a create now writes only to indexes that grow at their end (ids
-- and times sort by creation), not to one keyed by a random hash. SQLite cannot drop a
-- column's UNIQUE, so the table is rebuilt. One dialect for SQLite and PostgreSQL.

-- Tickets issued before this step (tsit_ + 43 + 6) name no token: their hashes lead to it.
-- Only this step writes here.
CREATE TABLE legacy_tickets (
    token_hash  TEXT PRIMARY KEY,
    token_id    TEXT NOT NULL
);
INSERT INTO legacy_tickets (token_hash, token_id) SELECT token_hash, id FROM sign_in_tokens;

CREATE TABLE sign_in_tokens_v4 (
    id            TEXT PRIMARY KEY,
    instance_id   TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    status        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    redirect_url  TEXT
);
INSERT INTO sign_in_tokens_v4
    (id, instance_id, user_id, token_hash, status, expires_at, created_at, updated_at,
     redirect_url)
SELECT id, instance_id, user_id, token_hash, status, expires_at, created_at, updated_at,
       redirect_url
FROM sign_in_tokens;
DROP TABLE sign_in_tokens;
ALTER TABLE sign_in_tokens_v4 RENAME TO sign_in_tokens;
CREATE INDEX sign_in_tokens_user ON sign_in_tokens (instance_id, user_id, status);
CREATE INDEX sign_in_tokens_instance_created ON sign_in_tokens (instance_id, created_at);
