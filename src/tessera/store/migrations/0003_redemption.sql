-- Redemption: sessions, the instance's signing keys, shared rate-limit counters, and the
-- instance settings a sign-in link needs. One dialect for SQLite and PostgreSQL.

-- Where a link leads: the app's own sign-in page (Clerk's redirect mode), where the page's
-- Continue lands, and which per-token redirect_url values are allowed (a JSON list).
ALTER TABLE instances ADD COLUMN sign_in_url TEXT;
ALTER TABLE instances ADD COLUMN after_sign_in_url TEXT;
ALTER TABLE instances ADD COLUMN allowed_redirect_urls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE instances ADD COLUMN session_lifetime BIGINT NOT NULL DEFAULT 604800;
ALTER TABLE instances ADD COLUMN signing_algorithm TEXT NOT NULL DEFAULT 'RS256';

ALTER TABLE sign_in_tokens ADD COLUMN redirect_url TEXT;

-- One session per redeemed token: sign_in_token_id is unique, a second guard behind the
-- conditional accept. Status: active, revoked, ended ("expired" is computed from expire_at).
CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    instance_id       TEXT NOT NULL REFERENCES instances (id),
    user_id           TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    sign_in_token_id  TEXT UNIQUE,
    status            TEXT NOT NULL,
    client_address    TEXT,
    user_agent        TEXT,
    last_active_at    BIGINT NOT NULL,
    expire_at         BIGINT NOT NULL,
    abandon_at        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (instance_id, user_id, status);
CREATE INDEX sessions_instance_created ON sessions (instance_id, created_at);

-- Session-token signing keys. At most one 'current' key per instance (the partial unique
-- index settles two nodes creating the first key at once); a 'retired' key stays published
-- until publish_until, when every token it signed has expired, and its private key is erased.
CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY,
    instance_id    TEXT NOT NULL REFERENCES instances (id),
    algorithm      TEXT NOT NULL,
    status         TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    private_key    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT,
    publish_until  BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (instance_id) WHERE status = 'current';
CREATE INDEX signing_keys_instance ON signing_keys (instance_id, status);

-- Fixed-window counters shared by every node: one row per bucket (e.g. "redeem:<address>").
CREATE TABLE rate_limits (
    bucket        TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    hits          INTEGER NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
