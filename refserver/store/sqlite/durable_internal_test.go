package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// openFile opens a file database in a temporary directory and returns it with its
// path; Close is left to the test or its cleanup.
func openFile(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "renewkit.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, path
}

// seed writes tenant t, store s, user u with a credential, and session S1.
func seed(tb testing.TB, st store.Store) {
	tb.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		return errors.Join(
			tx.PutTenant(ctx, store.Tenant{ID: "t"}),
			tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t", Name: "s"}),
			tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: "u", ExternalID: "e", Status: store.StatusActive}),
			tx.CreateCredential(ctx, credential()),
		)
	})
	if err != nil {
		tb.Fatal(err)
	}
	putSession(tb, st, sessionNamed("S1"))
}

// putSession puts each session with no limits, at the zero time: it removes nothing.
func putSession(tb testing.TB, st store.Store, ss ...store.Session) {
	tb.Helper()
	for _, s := range ss {
		if _, err := st.Sessions().Put(context.Background(), s, store.SessionLimits{}, time.Time{}); err != nil {
			tb.Fatalf("Put %s: %v", s.ID, err)
		}
	}
}

// refNamed names session id of sessionNamed.
func refNamed(id string) store.SessionRef {
	return store.RefOf(sessionNamed(id))
}

func credential() store.Credential {
	return store.Credential{Tenant: "t", Store: "s", UserID: "u", Identity: "I", Salt: []byte("salt"), Verifier: []byte("v1"), Version: 1}
}

func sessionNamed(id string) store.Session {
	return store.Session{ID: id, Flow: store.FlowRenewal, Tenant: "t", Store: "s", UserID: "u", Policy: "p", Identity: "I",
		Salt: []byte("salt"), CredentialVersion: 1, ServerSecret: []byte("b"), ServerPublic: []byte("B"),
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

// TestDurableWritesSynced: every Update that writes to the database syncs once after
// its commit; read-only (a completion's consume among them) and failed Updates, and
// session calls, do not.
func TestDurableWritesSynced(t *testing.T) {
	st, _ := openFile(t)
	seed(t, st)
	var syncs atomic.Int32
	real := st.syncWAL
	st.syncWAL = func() error { syncs.Add(1); return real() }
	ctx := context.Background()
	policy := store.Policy{Tenant: "t", Store: "s", Name: "p"}
	fail := errors.New("fn failed")
	tests := []struct {
		name string
		fn   func(tx store.Tx) error
		want int32
		err  error
	}{
		{"reads only", func(tx store.Tx) error { _, err := tx.Credential(ctx, "t", "s", "u"); return err }, 0, nil},
		{"consume: read and reserve", func(tx store.Tx) error {
			if _, err := tx.Credential(ctx, "t", "s", "u"); err != nil {
				return err
			}
			return tx.ReserveAttempt(ctx, "t", "s", "u", 5, t0)
		}, 0, nil},
		{"PutTenant", func(tx store.Tx) error { return tx.PutTenant(ctx, store.Tenant{ID: "t2"}) }, 1, nil},
		{"PutIdentityStore", func(tx store.Tx) error { return tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t", Name: "s2"}) }, 1, nil},
		{"CreatePolicy", func(tx store.Tx) error { return tx.CreatePolicy(ctx, policy) }, 1, nil},
		{"UpdatePolicy", func(tx store.Tx) error { return tx.UpdatePolicy(ctx, policy) }, 1, nil},
		{"DeletePolicy", func(tx store.Tx) error { return tx.DeletePolicy(ctx, "t", "s", "p") }, 1, nil},
		{"CreateUser", func(tx store.Tx) error {
			return tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: "u2", ExternalID: "e2", Status: store.StatusActive})
		}, 1, nil},
		{"UpdateUser", func(tx store.Tx) error {
			return tx.UpdateUser(ctx, store.User{Tenant: "t", Store: "s", ID: "u2", ExternalID: "e2", Status: store.StatusLocked})
		}, 1, nil},
		{"UpdateCredential", func(tx store.Tx) error { return tx.UpdateCredential(ctx, credential().Renewed([]byte("v2"))) }, 1, nil},
		{"DeleteCredential", func(tx store.Tx) error { return tx.DeleteCredential(ctx, "t", "s", "u") }, 1, nil},
		{"CreateCredential", func(tx store.Tx) error { return tx.CreateCredential(ctx, credential()) }, 1, nil},
		{"PutOAuthClient", func(tx store.Tx) error {
			return tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c", SecretHash: store.HashSecret("x"), Tenant: "t"})
		}, 1, nil},
		{"release and count a failure", func(tx store.Tx) error {
			if err := tx.ReleaseAttempt(ctx, "t", "s", "u"); err != nil {
				return err
			}
			return tx.UpdateUser(ctx, store.User{Tenant: "t", Store: "s", ID: "u", ExternalID: "e", Status: store.StatusActive, FailedAttempts: 1})
		}, 1, nil},
		{"refused write", func(tx store.Tx) error {
			err := tx.UpdateCredential(ctx, credential().Renewed([]byte("v9")))
			if !errors.Is(err, store.ErrVersionConflict) {
				return err
			}
			return nil
		}, 1, nil},
		{"rolled back", func(tx store.Tx) error {
			if err := tx.PutTenant(ctx, store.Tenant{ID: "t3"}); err != nil {
				return err
			}
			return fail
		}, 0, fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := syncs.Load()
			if err := st.Update(ctx, tt.fn); !errors.Is(err, tt.err) {
				t.Fatalf("Update = %v, want %v", err, tt.err)
			}
			if got := syncs.Load() - before; got != tt.want {
				t.Errorf("%d syncs, want %d", got, tt.want)
			}
		})
	}
	before := syncs.Load()
	if err := st.View(ctx, func(tx store.Tx) error { _, err := tx.Credential(ctx, "t", "s", "u"); return err }); err != nil {
		t.Fatal(err)
	}
	putSession(t, st, sessionNamed("S2"))
	ss := st.Sessions()
	_, errGet := ss.Get(ctx, "S2", t0)
	_, errTake := ss.Take(ctx, refNamed("S2"), t0)
	_, errPurge := ss.Purge(ctx, t0.Add(2*time.Hour))
	_, errCount := ss.Count(ctx, t0)
	if err := errors.Join(errGet, errTake, errPurge, errCount); err != nil {
		t.Fatal(err)
	}
	if got := syncs.Load() - before; got != 0 {
		t.Errorf("a View and session calls synced %d times", got)
	}
}

// TestSyncFailureStopsWrites: a durable Update whose sync fails does not report
// success, and neither does any later Update, session put, take or purge, or Ping,
// even once syncs work again: the unsynced commit stays in the WAL, and a crash would
// drop every commit after it. A session put before it needs no sync, so a failing
// sync does not touch it.
func TestSyncFailureStopsWrites(t *testing.T) {
	st, _ := openFile(t)
	seed(t, st)
	ctx := context.Background()
	broken := errors.New("disk gone")
	real := st.syncWAL
	st.syncWAL = func() error { return broken }
	if _, err := st.Sessions().Put(ctx, sessionNamed("S2"), store.SessionLimits{}, t0); err != nil {
		t.Errorf("session put with every commit synced = %v, want no sync and so no error", err)
	}
	if _, err := st.Sessions().Take(ctx, refNamed("S1"), t0); err != nil {
		t.Fatal(err)
	}
	err := st.Update(ctx, func(tx store.Tx) error { return tx.PutTenant(ctx, store.Tenant{ID: "t2"}) })
	if !errors.Is(err, broken) {
		t.Fatalf("durable Update with a failing sync = %v, want the sync's error", err)
	}
	st.syncWAL = real
	_, errPut := st.Sessions().Put(ctx, sessionNamed("S3"), store.SessionLimits{}, t0)
	_, errTake := st.Sessions().Take(ctx, refNamed("S2"), t0)
	_, errPurge := st.Sessions().Purge(ctx, t0)
	later := []struct {
		name string
		err  error
	}{
		{"durable Update", st.Update(ctx, func(tx store.Tx) error { return tx.PutTenant(ctx, store.Tenant{ID: "t3"}) })},
		{"attempts-only Update", st.Update(ctx, func(tx store.Tx) error { return tx.ReserveAttempt(ctx, "t", "s", "u", 5, t0) })},
		{"session Put", errPut},
		{"session Take", errTake},
		{"session Purge", errPurge},
		{"Ping", st.Ping(ctx)},
	}
	for _, l := range later {
		if !errors.Is(l.err, broken) {
			t.Errorf("%s after a failed sync = %v, want the sync's error", l.name, l.err)
		}
	}
	if err := st.View(ctx, func(tx store.Tx) error { _, err := tx.Tenant(ctx, "t"); return err }); err != nil {
		t.Errorf("View after a failed sync = %v, want reads to go on", err)
	}
	// Reads of the sessions go on too: S2 is still there, untaken.
	if ids := sessionIDs(t, st); len(ids) != 1 || ids[0] != "S2" {
		t.Errorf("sessions after a failed sync: %q, want S2 alone (S1 taken before it)", ids)
	}
}

// crash ends st as a crash would from the database's point of view: the connections
// go away without Close marking the database closed.
func crash(tb testing.TB, st *Store) {
	tb.Helper()
	st.closeOnce.Do(func() {
		st.writer.Close()
		st.readSt.close()
		st.writeSt.close()
		st.read.Close()
		st.write.Close()
	})
}

// sessionIDs lists which of sessions S1 and S2 st holds.
func sessionIDs(tb testing.TB, st *Store) []string {
	tb.Helper()
	var ids []string
	for _, id := range []string{"S1", "S2"} {
		if _, err := st.Sessions().Get(context.Background(), id, t0); err == nil {
			ids = append(ids, id)
		} else if !errors.Is(err, store.ErrSessionNotFound) {
			tb.Fatal(err)
		}
	}
	return ids
}

// storedSessions lists the IDs in the sessions table of the database at path.
func storedSessions(tb testing.TB, path string) []string {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM sessions ORDER BY id")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// TestCrashDropsSessions: sessions are never written while the store is open, so a
// crash loses them all (none can come back consumed) and keeps everything else; a
// clean Close writes them, and Open reads them back and empties the table.
func TestCrashDropsSessions(t *testing.T) {
	ctx := context.Background()
	st, path := openFile(t)
	seed(t, st)
	if ids := storedSessions(t, path); len(ids) != 0 {
		t.Errorf("sessions table of an open store: %q, want empty", ids)
	}
	crash(t, st)
	if ids := storedSessions(t, path); len(ids) != 0 {
		t.Errorf("sessions table after a crash: %q, want empty", ids)
	}

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if ids := sessionIDs(t, st); len(ids) != 0 {
		t.Errorf("sessions after a crash: %q, want none", ids)
	}
	err = st.View(ctx, func(tx store.Tx) error {
		_, err := tx.Credential(ctx, "t", "s", "u")
		return err
	})
	if err != nil {
		t.Errorf("credential after a crash: %v", err)
	}
	putSession(t, st, sessionNamed("S2"))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if ids := storedSessions(t, path); len(ids) != 1 || ids[0] != "S2" {
		t.Errorf("sessions table after Close: %q, want S2", ids)
	}

	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if ids := sessionIDs(t, st); len(ids) != 1 || ids[0] != "S2" {
		t.Errorf("sessions after a clean restart: %q, want S2", ids)
	}
	if ids := storedSessions(t, path); len(ids) != 0 {
		t.Errorf("sessions table after Open: %q, want empty", ids)
	}
}

// TestOpenMarkDropsStoredSessions: sessions in the table of a database marked open
// (one an older version of this package left after a crash; Close writes sessions
// and the closed mark together) are dropped, not read.
func TestOpenMarkDropsStoredSessions(t *testing.T) {
	ctx := context.Background()
	st, path := openFile(t)
	seed(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE lifecycle SET open = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if ids := storedSessions(t, path); len(ids) != 1 {
		t.Fatalf("sessions table before Open: %q, want S1", ids)
	}
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if ids := sessionIDs(t, st); len(ids) != 0 {
		t.Errorf("sessions after Open of a database marked open: %q, want none", ids)
	}
	if ids := storedSessions(t, path); len(ids) != 0 {
		t.Errorf("sessions table after Open: %q, want empty", ids)
	}
}

// lifecycleOpen reads the open mark of the database at path.
func lifecycleOpen(tb testing.TB, path string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var open int
	if err := db.QueryRow("SELECT open FROM lifecycle WHERE id = 1").Scan(&open); err != nil {
		tb.Fatal(err)
	}
	return open
}

// TestCloseWaitsForUpdates: Close marks the database closed only after the Updates
// in flight have committed, and refuses Updates after it. The sessions it writes are
// those held when it began: a session call of the Update in flight is refused, as
// every later one is, so none taken can come back.
func TestCloseWaitsForUpdates(t *testing.T) {
	ctx := context.Background()
	st, path := openFile(t)
	seed(t, st)
	if got := lifecycleOpen(t, path); got != 1 {
		t.Fatalf("open mark of an open database = %d, want 1", got)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	var takeErr error
	go func() {
		updated <- st.Update(ctx, func(tx store.Tx) error {
			close(inside)
			<-release
			_, takeErr = st.Sessions().Take(ctx, refNamed("S1"), t0)
			return tx.PutTenant(ctx, store.Tenant{ID: "t2"})
		})
	}()
	<-inside
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an Update was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-updated; err != nil {
		t.Fatalf("Update in flight: %v", err)
	}
	if !errors.Is(takeErr, errClosed) {
		t.Errorf("Take in an Update in flight at Close = %v, want errClosed", takeErr)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := lifecycleOpen(t, path); got != 0 {
		t.Errorf("open mark after Close = %d, want 0", got)
	}
	if ids := storedSessions(t, path); len(ids) != 1 || ids[0] != "S1" {
		t.Errorf("sessions written by Close: %q, want S1", ids)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close = %v, want errClosed", err)
	}
	if _, err := st.Sessions().Put(ctx, sessionNamed("S2"), store.SessionLimits{}, t0); !errors.Is(err, errClosed) {
		t.Errorf("Put after Close = %v, want errClosed", err)
	}
	// The tenant of the Update in flight committed before the mark.
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.View(ctx, func(tx store.Tx) error { _, err := tx.Tenant(ctx, "t2"); return err }); err != nil {
		t.Errorf("tenant of the Update in flight at Close: %v", err)
	}
}

// TestWriteConnectionNormal: the write connection runs at synchronous=NORMAL (1);
// the durability of writes rests on Update's own sync.
func TestWriteConnectionNormal(t *testing.T) {
	st, _ := openFile(t)
	var level int
	if err := st.writer.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL)", level)
	}
}
