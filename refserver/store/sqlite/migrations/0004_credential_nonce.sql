-- 0004: a random nonce per credential, drawn by every CreateCredential. A
-- credential's history changes only with its version (UpdateCredential's
-- compare-and-set) or with a new nonce (a new credential), so (nonce, version) names
-- one history for good: the store caches histories under it (see cache.go). The
-- default is never used; every insert draws a nonce.

ALTER TABLE credentials ADD COLUMN nonce BLOB NOT NULL DEFAULT x'';

UPDATE credentials SET nonce = randomblob(16);
