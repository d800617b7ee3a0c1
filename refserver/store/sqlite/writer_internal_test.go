package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// TestViewOnIdleWriter: with no Update running, a View runs on the writer connection,
// so it works even with the read pool gone.
func TestViewOnIdleWriter(t *testing.T) {
	st, _ := openFile(t)
	seed(t, st)
	if err := st.read.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		err := st.View(ctx, func(tx store.Tx) error {
			_, err := tx.Credential(ctx, "t", "s", "u")
			return err
		})
		if err != nil {
			t.Fatalf("View on an idle writer: %v", err)
		}
	}
}

// TestViewBesideUpdate: a View while an Update holds the writer runs on the read pool
// at once, and sees the last commit, not the Update's writes.
func TestViewBesideUpdate(t *testing.T) {
	st, _ := openFile(t)
	seed(t, st)
	ctx := context.Background()
	inside, release := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	go func() {
		updated <- st.Update(ctx, func(tx store.Tx) error {
			if err := tx.PutTenant(ctx, store.Tenant{ID: "uncommitted"}); err != nil {
				return err
			}
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	viewed := make(chan error, 1)
	go func() {
		viewed <- st.View(ctx, func(tx store.Tx) error {
			if _, err := tx.Tenant(ctx, "uncommitted"); !errors.Is(err, store.ErrTenantNotFound) {
				t.Errorf("View saw an uncommitted write: %v", err)
			}
			_, err := tx.Tenant(ctx, "t")
			return err
		})
	}()
	select {
	case err := <-viewed:
		if err != nil {
			t.Errorf("View beside an Update: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("View waited for the Update holding the writer")
	}
	close(release)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	err := st.View(ctx, func(tx store.Tx) error { _, err := tx.Tenant(ctx, "uncommitted"); return err })
	if err != nil {
		t.Errorf("View after the commit: %v", err)
	}
}

// TestViewAfterClose: Views fail after Close instead of waiting for a connection.
func TestViewAfterClose(t *testing.T) {
	tests := []struct {
		name string
		open func(tb testing.TB) *Store
	}{
		{"memory", func(tb testing.TB) *Store {
			st, err := Open(context.Background(), MemoryDSN)
			if err != nil {
				tb.Fatal(err)
			}
			return st
		}},
		{"file", func(tb testing.TB) *Store { st, _ := openFile(tb); return st }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.open(t)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := st.View(ctx, func(store.Tx) error { return nil }); !errors.Is(err, errClosed) {
				t.Errorf("View after Close = %v, want errClosed", err)
			}
		})
	}
}

// diskWatch looks at a database file from a connection of its own, to tell whether
// the store wrote to it.
type diskWatch struct {
	conn *sql.Conn
	wal  string
}

func watchDisk(tb testing.TB, path string) *diskWatch {
	tb.Helper()
	// No busy timeout: a write lock held elsewhere makes BEGIN IMMEDIATE fail at once.
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &diskWatch{conn: conn, wal: path + "-wal"}
}

// diskState is what a commit that wrote to the database changes: data_version, which
// moves when another connection has committed a change, and the WAL file.
type diskState struct {
	dataVersion int64
	walSize     int64
	walModified time.Time
}

func (w *diskWatch) state(tb testing.TB) diskState {
	tb.Helper()
	var s diskState
	if err := w.conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&s.dataVersion); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(w.wal)
	if err != nil {
		tb.Fatal(err)
	}
	s.walSize, s.walModified = fi.Size(), fi.ModTime()
	return s
}

// writeLocked reports whether another connection holds the database's write lock,
// which the writer takes when it begins an Update's SQL transaction.
func (w *diskWatch) writeLocked(tb testing.TB) bool {
	tb.Helper()
	ctx := context.Background()
	_, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	var serr *msqlite.Error
	if errors.As(err, &serr) && serr.Code() == sqlite3.SQLITE_BUSY {
		return true
	}
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		tb.Fatal(err)
	}
	return false
}

// TestSessionCallsLeaveDatabaseAlone: session calls, even inside an Update, begin
// no SQL transaction (the write lock stays free while the Update runs), write
// nothing to the database or its WAL and sync nothing, and their changes take
// effect. Controls: a durable write is seen by all three probes; a consume (a take
// and reads) holds the lock while it runs but writes and syncs nothing.
func TestSessionCallsLeaveDatabaseAlone(t *testing.T) {
	st, path := openFile(t)
	seed(t, st)
	var syncs atomic.Int32
	real := st.syncWAL
	st.syncWAL = func() error { syncs.Add(1); return real() }
	w := watchDisk(t, path)
	ctx := context.Background()
	ss := st.Sessions()
	expired := sessionNamed("S-OLD")
	expired.ExpiresAt = t0.Add(-time.Second)
	put := func(s store.Session) error { _, err := ss.Put(ctx, s, store.SessionLimits{}, t0); return err }
	tests := []struct {
		name   string
		fn     func(tx store.Tx) error
		sql    bool // holds the write lock at the end of fn
		writes bool // changes the database and syncs
		after  []string
	}{
		{"Put", func(store.Tx) error { return put(sessionNamed("S2")) }, false, false, []string{"S1", "S2"}},
		{"Take", func(store.Tx) error { _, err := ss.Take(ctx, refNamed("S2"), t0); return err }, false, false, []string{"S1"}},
		{"put, read and take", func(store.Tx) error {
			if err := put(sessionNamed("S2")); err != nil {
				return err
			}
			if _, err := ss.Get(ctx, "S2", t0); err != nil {
				return err
			}
			if _, err := ss.Count(ctx, t0); err != nil {
				return err
			}
			_, err := ss.Take(ctx, refNamed("S2"), t0)
			return err
		}, false, false, []string{"S1"}},
		{"Purge", func(store.Tx) error {
			if err := put(expired); err != nil {
				return err
			}
			_, err := ss.Purge(ctx, t0)
			return err
		}, false, false, []string{"S1"}},
		{"consume: take and read", func(tx store.Tx) error {
			if _, err := ss.Take(ctx, refNamed("S1"), t0); err != nil {
				return err
			}
			_, err := tx.Credential(ctx, "t", "s", "u")
			return err
		}, true, false, nil},
		{"durable write", func(tx store.Tx) error {
			return errors.Join(put(sessionNamed("S1")), tx.PutTenant(ctx, store.Tenant{ID: "t2"}))
		}, true, true, []string{"S1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, syncsBefore := w.state(t), syncs.Load()
			err := st.Update(ctx, func(tx store.Tx) error {
				if err := tt.fn(tx); err != nil {
					return err
				}
				if got := w.writeLocked(t); got != tt.sql {
					t.Errorf("write lock held at the end of the Update: %v, want %v", got, tt.sql)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if changed := w.state(t) != before; changed != tt.writes {
				t.Errorf("database changed: %v, want %v", changed, tt.writes)
			}
			if got, want := syncs.Load()-syncsBefore, map[bool]int32{false: 0, true: 1}[tt.writes]; got != want {
				t.Errorf("%d syncs, want %d", got, want)
			}
			if ids := sessionIDs(t, st); !reflect.DeepEqual(ids, tt.after) {
				t.Errorf("sessions afterwards: %q, want %q", ids, tt.after)
			}
		})
	}
}
