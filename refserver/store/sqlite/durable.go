package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// walPath returns the path of the WAL file of db's main database, after checking that
// the database is in WAL mode: Update's own sync of durable commits relies on it, and
// synchronous=NORMAL in a rollback journal could corrupt the database on power loss.
func walPath(ctx context.Context, db *sql.DB) (string, error) {
	var mode, file string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return "", fmt.Errorf("sqlite: journal mode: %w", err)
	}
	if mode != "wal" {
		return "", fmt.Errorf("sqlite: database is in journal mode %q, not wal", mode)
	}
	if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return "", fmt.Errorf("sqlite: database file: %w", err)
	}
	if file == "" {
		return "", fmt.Errorf("sqlite: database has no file")
	}
	return file + "-wal", nil
}

// syncFile writes the file at path to stable storage. It opens the file anew each
// time rather than keeping a descriptor, so it never syncs a file SQLite has replaced.
// Closing it releases no SQLite lock: SQLite locks the database and -shm files, never
// the WAL.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := datasync(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// markOpen records in a synced write that the database is open, after dropping every
// session if the last process to open it did not close it (package comment,
// Durability), and from then on syncs durable commits with syncWAL.
func (s *Store) markOpen(ctx context.Context, syncWAL func() error) error {
	s.syncWAL = syncWAL
	err := s.update(ctx, func(t *tx) error {
		t.durable = true
		sqlTx, err := t.begin()
		if err != nil {
			return err
		}
		var open int
		if err := sqlTx.QueryRowContext(ctx, "SELECT open FROM lifecycle WHERE id = 1").Scan(&open); err != nil {
			return err
		}
		if open != 0 {
			if _, err := sqlTx.ExecContext(ctx, "DELETE FROM sessions"); err != nil {
				return err
			}
		}
		_, err = sqlTx.ExecContext(ctx, "UPDATE lifecycle SET open = 1 WHERE id = 1")
		return err
	})
	if err != nil {
		s.syncWAL = nil
		return fmt.Errorf("sqlite: mark open: %w", err)
	}
	return nil
}

// markClosed records in a synced write that the database was closed cleanly: every
// session write before it is synced with it.
func (s *Store) markClosed(ctx context.Context) error {
	err := s.update(ctx, func(t *tx) error {
		t.durable = true
		sqlTx, err := t.begin()
		if err != nil {
			return err
		}
		_, err = sqlTx.ExecContext(ctx, "UPDATE lifecycle SET open = 0 WHERE id = 1")
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark closed: %w", err)
	}
	return nil
}
