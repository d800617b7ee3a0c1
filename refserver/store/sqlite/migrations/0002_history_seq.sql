-- 0002: credential history keyed by an increasing sequence number instead of a
-- position, so that a renewal appends one row (and drops the oldest beyond
-- store.MaxHistory) rather than rewriting every row. Within one credential, the row
-- with the highest seq is the most recent previous verifier; seq values have no
-- meaning across credentials. Rows are clustered by credential (WITHOUT ROWID), so
-- one credential's history reads from a page or two.
--
-- Existing rows keep their order: position 0 (the most recent) gets the highest seq,
-- and a credential's n rows get 1..n.

CREATE TABLE credential_history_new (
	tenant   TEXT    NOT NULL,
	store    TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	seq      INTEGER NOT NULL,
	verifier BLOB    NOT NULL,
	PRIMARY KEY (tenant, store, user_id, seq),
	FOREIGN KEY (tenant, store, user_id) REFERENCES credentials (tenant, store, user_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO credential_history_new (tenant, store, user_id, seq, verifier)
	SELECT tenant, store, user_id,
		ROW_NUMBER() OVER (PARTITION BY tenant, store, user_id ORDER BY position DESC),
		verifier
	FROM credential_history;

DROP TABLE credential_history;

ALTER TABLE credential_history_new RENAME TO credential_history;
