package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
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

// markOpen records in a synced write that the database is open, and from then on
// syncs durable commits with syncWAL. If the last process to open the database closed
// it, the sessions it wrote at Close come back into memory; if not (a crash, a kill),
// there are none to trust (package comment, Durability). Either way the table is
// emptied: until the next Close, sessions live in memory only.
func (s *Store) markOpen(ctx context.Context, syncWAL func() error) error {
	s.syncWAL = syncWAL
	var saved []store.Session
	err := s.update(ctx, func(t *tx) error {
		t.durable = true
		sqlTx, err := t.begin(ctx)
		if err != nil {
			return err
		}
		var open int
		if err := sqlTx.QueryRowContext(ctx, "SELECT open FROM lifecycle WHERE id = 1").Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			if saved, err = loadSessions(ctx, sqlTx); err != nil {
				return err
			}
		}
		if _, err := sqlTx.ExecContext(ctx, "DELETE FROM sessions"); err != nil {
			return err
		}
		_, err = sqlTx.ExecContext(ctx, "UPDATE lifecycle SET open = 1 WHERE id = 1")
		return err
	})
	if err != nil {
		s.syncWAL = nil
		return fmt.Errorf("sqlite: mark open: %w", err)
	}
	// Committed and synced: the sessions are back, in the store's memory alone. No
	// limits and the zero time, so every saved one comes back as it was.
	for _, sess := range saved {
		if _, err := s.sessions.Put(ctx, sess, store.SessionLimits{}, time.Time{}); err != nil {
			return fmt.Errorf("sqlite: restore session: %w", err)
		}
	}
	return nil
}

// loadSessions reads the sessions table.
func loadSessions(ctx context.Context, sqlTx *sql.Tx) ([]store.Session, error) {
	rows, err := sqlTx.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, rows.Err()
}

// markClosed writes held, the sessions left when Close closed them (so none taken
// can come back), to the sessions table and records that the database was closed
// cleanly, in one synced write: so the next Open restores the sessions exactly when
// the mark vouches for them.
func (s *Store) markClosed(ctx context.Context, held []store.Session) error {
	err := s.update(ctx, func(t *tx) error {
		t.durable = true
		sqlTx, err := t.begin(ctx)
		if err != nil {
			return err
		}
		// markOpen emptied the table; this only makes sure.
		if _, err := sqlTx.ExecContext(ctx, "DELETE FROM sessions"); err != nil {
			return err
		}
		for _, ss := range held {
			if _, err := t.exec(ctx, t.st.sessionInsert, ss.ID, string(ss.Flow), ss.Tenant, ss.Store, ss.UserID, ss.Policy,
				ss.Identity, ss.Salt, ss.CredentialVersion, ss.ServerSecret, ss.ServerPublic, nanos(ss.CreatedAt), nanos(ss.ExpiresAt)); err != nil {
				return err
			}
		}
		_, err = sqlTx.ExecContext(ctx, "UPDATE lifecycle SET open = 0 WHERE id = 1")
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark closed: %w", err)
	}
	return nil
}
