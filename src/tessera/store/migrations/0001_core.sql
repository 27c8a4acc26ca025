-- Instances, their secret keys, users and sign-in tokens.
-- One dialect for SQLite and PostgreSQL: TEXT, BIGINT (Unix ms), BOOLEAN; secrets as hex hashes.

CREATE TABLE instances (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL REFERENCES instances (id),
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_instance ON api_keys (instance_id);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    instance_id       TEXT NOT NULL REFERENCES instances (id),
    external_id       TEXT,
    username          TEXT,
    first_name        TEXT,
    last_name         TEXT,
    public_metadata   TEXT NOT NULL,
    private_metadata  TEXT NOT NULL,
    banned            BOOLEAN NOT NULL DEFAULT FALSE,
    last_sign_in_at   BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX users_instance_created ON users (instance_id, created_at);
CREATE UNIQUE INDEX users_external_id_key ON users (instance_id, external_id);
CREATE UNIQUE INDEX users_username_key ON users (instance_id, username);

CREATE TABLE email_addresses (
    id             TEXT PRIMARY KEY,
    instance_id    TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_address  TEXT NOT NULL,
    position       INTEGER NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_addresses_email_key ON email_addresses (instance_id, email_address);
CREATE INDEX email_addresses_user ON email_addresses (user_id);

CREATE TABLE sign_in_tokens (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX sign_in_tokens_user ON sign_in_tokens (instance_id, user_id, status);
CREATE INDEX sign_in_tokens_instance_created ON sign_in_tokens (instance_id, created_at);
