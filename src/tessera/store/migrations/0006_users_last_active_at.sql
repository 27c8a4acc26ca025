-- When a user last started a session (Unix ms), for Clerk's last_active_at filters and order.
-- Set with last_sign_in_at in the redemption's transaction; until now the two were the same.
ALTER TABLE users ADD COLUMN last_active_at BIGINT;
UPDATE users SET last_active_at = last_sign_in_at;
