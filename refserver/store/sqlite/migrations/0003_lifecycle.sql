-- 0003: whether a process has the database open. Open sets open = 1 and Close sets
-- it back to 0, both synced; a 1 found by Open means the last process to use the
-- database did not close it (a crash, a kill or a power cut), and Open then drops
-- every session, because consuming one is not synced on its own (see the package
-- comment, Durability). Databases from before this migration synced every write, so
-- they start out clean.

CREATE TABLE lifecycle (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	open INTEGER NOT NULL
) STRICT;

INSERT INTO lifecycle (id, open) VALUES (1, 0);
