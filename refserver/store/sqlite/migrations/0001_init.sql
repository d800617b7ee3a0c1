-- 0001: the first schema. Times are Unix nanoseconds in UTC (0 = none); durations
-- are nanoseconds. Tenants and stores are upserted in place (never INSERT OR
-- REPLACE, which would delete and so cascade).

CREATE TABLE tenants (
	id TEXT PRIMARY KEY
) STRICT;

CREATE TABLE identity_stores (
	tenant              TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name                TEXT    NOT NULL,
	max_failed_attempts INTEGER NOT NULL,
	lock_duration_ns    INTEGER NOT NULL,
	PRIMARY KEY (tenant, name)
) STRICT;

CREATE TABLE policies (
	tenant       TEXT NOT NULL,
	store        TEXT NOT NULL,
	name         TEXT NOT NULL,
	requirements TEXT NOT NULL, -- passcode.Requirements as JSON
	PRIMARY KEY (tenant, store, name),
	FOREIGN KEY (tenant, store) REFERENCES identity_stores (tenant, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE users (
	tenant          TEXT    NOT NULL,
	store           TEXT    NOT NULL,
	id              TEXT    NOT NULL,
	external_id     TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	date_created    INTEGER NOT NULL,
	failed_attempts INTEGER NOT NULL,
	locked_until    INTEGER NOT NULL,
	PRIMARY KEY (tenant, store, id),
	UNIQUE (tenant, store, external_id),
	FOREIGN KEY (tenant, store) REFERENCES identity_stores (tenant, name) ON DELETE CASCADE
) STRICT;

CREATE TABLE credentials (
	tenant   TEXT    NOT NULL,
	store    TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	identity TEXT    NOT NULL,
	salt     BLOB    NOT NULL,
	verifier BLOB    NOT NULL,
	version  INTEGER NOT NULL,
	PRIMARY KEY (tenant, store, user_id),
	FOREIGN KEY (tenant, store, user_id) REFERENCES users (tenant, store, id) ON DELETE CASCADE
) STRICT;

-- Previous verifiers of a credential; position 0 is the most recent.
CREATE TABLE credential_history (
	tenant   TEXT    NOT NULL,
	store    TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	position INTEGER NOT NULL,
	verifier BLOB    NOT NULL,
	PRIMARY KEY (tenant, store, user_id, position),
	FOREIGN KEY (tenant, store, user_id) REFERENCES credentials (tenant, store, user_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE sessions (
	id                 TEXT    PRIMARY KEY,
	flow               TEXT    NOT NULL,
	tenant             TEXT    NOT NULL,
	store              TEXT    NOT NULL,
	user_id            TEXT    NOT NULL,
	policy             TEXT    NOT NULL,
	identity           TEXT    NOT NULL,
	salt               BLOB,
	credential_version INTEGER NOT NULL,
	server_secret      BLOB,
	server_public      BLOB,
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE oauth_clients (
	id          TEXT PRIMARY KEY,
	secret_hash BLOB NOT NULL,
	tenant      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	permissions TEXT NOT NULL -- JSON array of strings
) STRICT;
