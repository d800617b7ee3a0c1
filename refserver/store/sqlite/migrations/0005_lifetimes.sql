-- 0005: a session lifetime per identity store and a token lifetime per OAuth client,
-- in nanoseconds; 0 means the server's default.

ALTER TABLE identity_stores ADD COLUMN session_ttl_ns INTEGER NOT NULL DEFAULT 0;

ALTER TABLE oauth_clients ADD COLUMN token_ttl_ns INTEGER NOT NULL DEFAULT 0;
