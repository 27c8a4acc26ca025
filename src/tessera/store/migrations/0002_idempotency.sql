-- Idempotency keys of create requests, kept 24 hours, so that a retried create is answered
-- with the first response instead of making a second record.
-- The raw Idempotency-Key is never stored: key_hash is its SHA-256, fingerprint an HMAC of the
-- request under a key derived from it, and response the first answer sealed with AES-GCM under
-- another key derived from it. This table alone therefore reveals no ticket.
-- status and response are NULL while the first request is still being processed.

CREATE TABLE idempotency_keys (
    instance_id  TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER,
    response     TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (instance_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
