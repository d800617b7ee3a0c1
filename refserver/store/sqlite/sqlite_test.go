package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/sqlite"
	"github.com/seedb14f67b8/renewkit/refserver/store/storetest"
)

// open opens dsn and closes it when tb ends.
func open(tb testing.TB, dsn string) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open(%q): %v", dsn, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		dsn  func(tb testing.TB) string
	}{
		{"Memory", func(testing.TB) string { return sqlite.MemoryDSN }},
		{"File", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "renewkit.db") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(tb testing.TB) store.Store { return open(tb, tt.dsn(tb)) })
		})
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewkit.db")
	storetest.Persistence(t, func(tb testing.TB) store.Store { return open(tb, path) })
}

// TestSessionHeap: 100,000 session starts keep the heap bounded (storetest's bounds).
// Not parallel: it measures the process's heap.
func TestSessionHeap(t *testing.T) {
	storetest.SessionHeap(t, func(tb testing.TB) store.Store {
		return open(tb, filepath.Join(tb.TempDir(), "renewkit.db"))
	})
}

// rawDB opens the database file directly, to look at what Open left there.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewkit.db")
	for range 3 {
		if err := open(t, path).Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	db := rawDB(t, path)
	rows, err := db.Query("SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
		if !strings.HasPrefix(name, "000") {
			t.Errorf("migration %d recorded as %q", v, name)
		}
	}
	if len(got) == 0 || got[0] != "0001_init.sql" {
		t.Fatalf("schema_migrations = %q, want 0001_init.sql first, each once", got)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewkit.db")
	if err := open(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), path)
	if err == nil {
		st.Close()
		t.Fatal("Open accepted a database from a newer schema")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}

func TestOpenRejectsBadDSN(t *testing.T) {
	tests := []struct {
		name, dsn string
	}{
		{"empty", ""},
		{"query parameters", "renewkit.db?_pragma=foreign_keys(0)"},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(context.Background(), tt.dsn)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q) succeeded", tt.dsn)
			}
		})
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "renewkit.db"))
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutTenant(ctx, store.Tenant{ID: "t"}); err != nil {
			return err
		}
		if err := tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t", Name: "s"}); err != nil {
			return err
		}
		// Re-putting the tenant must not cascade away its store.
		if err := tx.PutTenant(ctx, store.Tenant{ID: "t"}); err != nil {
			return err
		}
		_, err := tx.IdentityStore(ctx, "t", "s")
		return err
	})
	if err != nil {
		t.Fatalf("re-put tenant lost its store: %v", err)
	}
}

// historyRows counts the stored history rows of a credential, beyond what
// Credential's LIMIT would show.
func historyRows(tb testing.TB, db *sql.DB, userID string) int {
	tb.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM credential_history WHERE user_id = ?", userID).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// renew renews userID's credential to verifier and returns the new credential.
func renew(tb testing.TB, st store.Store, userID, verifier string) store.Credential {
	tb.Helper()
	ctx := context.Background()
	var next store.Credential
	err := st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Credential(ctx, "t1", "s1", userID)
		if err != nil {
			return err
		}
		next = c.Renewed([]byte(verifier))
		return tx.UpdateCredential(ctx, next)
	})
	if err != nil {
		tb.Fatalf("renew %s: %v", userID, err)
	}
	return next
}

// credential reads userID's credential.
func credential(tb testing.TB, st store.Store, userID string) store.Credential {
	tb.Helper()
	ctx := context.Background()
	var c store.Credential
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Credential(ctx, "t1", "s1", userID)
		return err
	})
	if err != nil {
		tb.Fatalf("credential %s: %v", userID, err)
	}
	return c
}

// TestHistoryTrimmed: renewals append history rows and delete those beyond the cap,
// so the table does not grow with every renewal.
func TestHistoryTrimmed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "renewkit.db")
	st := open(t, path)
	seedCredential(t, st, "t1", "s1", "u1", []byte("v-0"))
	db := rawDB(t, path)
	var want [][]byte // most recent first
	prev := "v-0"
	for i := range 2*store.MaxHistory + 3 {
		v := fmt.Sprintf("v-%d", i+1)
		renew(t, st, "u1", v)
		want = append([][]byte{[]byte(prev)}, want[:min(len(want), store.MaxHistory-1)]...)
		prev = v
		if got, n := credential(t, st, "u1").History, historyRows(t, db, "u1"); !reflect.DeepEqual(got, want) || n != len(want) {
			t.Fatalf("after renewal %d: %d history entries (%d rows), want %d", i+1, len(got), n, len(want))
		}
	}
}

// v1Schema writes a database at path as the 0001 schema left it, with credentials of
// full, partial and empty history and a live session.
func v1Schema(tb testing.TB, path string) {
	tb.Helper()
	schema, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		tb.Fatal(err)
	}
	db := rawDB(tb, path)
	stmts := []string{
		// As migrate created it at version 1.
		`CREATE TABLE schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`,
		string(schema),
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '0001_init.sql', 1)",
		"INSERT INTO tenants (id) VALUES ('t1')",
		"INSERT INTO identity_stores (tenant, name, max_failed_attempts, lock_duration_ns) VALUES ('t1', 's1', 5, 900000000000)",
	}
	for _, u := range []string{"full", "partial", "none", "nocred"} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO users (tenant, store, id, external_id, status, date_created, failed_attempts, locked_until)
			VALUES ('t1', 's1', '%s', 'ext-%s', 'ACTIVE', 1, 0, 0)`, u, u))
	}
	for u, n := range map[string]int{"full": store.MaxHistory, "partial": 3, "none": 0} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO credentials (tenant, store, user_id, identity, salt, verifier, version)
			VALUES ('t1', 's1', '%s', 'I-%s', X'0102', CAST('%s-current' AS BLOB), %d)`, u, u, u, n+1))
		// Inserted oldest first, so that rowid order is not position order.
		for pos := n - 1; pos >= 0; pos-- {
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO credential_history (tenant, store, user_id, position, verifier)
				VALUES ('t1', 's1', '%s', %d, CAST('%s-%d' AS BLOB))`, u, pos, u, pos))
		}
	}
	stmts = append(stmts, `INSERT INTO sessions (id, flow, tenant, store, user_id, policy, identity, salt, credential_version,
		server_secret, server_public, created_at, expires_at)
		VALUES ('S1', 'renewal', 't1', 's1', 'partial', 'p', 'I-partial', X'0102', 4, X'AA', X'BB', 1, 9000000000000000000)`)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("v1 database: %v\n%s", err, s)
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestMigrateHistoryFromV1: a database written by the 0001 schema opens with its
// history in the same order (most recent first), and renewals then append to it and
// keep the cap.
func TestMigrateHistoryFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	v1Schema(t, path)
	st := open(t, path)

	db := rawDB(t, path)
	var versions int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations WHERE version IN (1, 2)").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Fatalf("schema_migrations holds %d of versions 1 and 2, want both", versions)
	}
	// 0004 gave every existing credential its own nonce.
	var distinct, shortest, longest int
	if err := db.QueryRow("SELECT COUNT(DISTINCT nonce), MIN(length(nonce)), MAX(length(nonce)) FROM credentials").
		Scan(&distinct, &shortest, &longest); err != nil {
		t.Fatal(err)
	}
	if distinct != 3 || shortest != 16 || longest != 16 {
		t.Errorf("credential nonces: %d distinct, %d to %d bytes; want 3 distinct of 16 bytes", distinct, shortest, longest)
	}
	var positions int
	if err := db.QueryRow("SELECT COUNT(*) FROM pragma_table_info('credential_history') WHERE name = 'position'").Scan(&positions); err != nil {
		t.Fatal(err)
	}
	if positions != 0 {
		t.Error("credential_history still has its position column")
	}

	v1History := func(u string, n int) [][]byte {
		var h [][]byte
		for pos := range n {
			h = append(h, fmt.Appendf(nil, "%s-%d", u, pos))
		}
		return h
	}
	tests := []struct {
		user string
		n    int
	}{
		{"full", store.MaxHistory},
		{"partial", 3},
		{"none", 0},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			c := credential(t, st, tt.user)
			want := store.Credential{Tenant: "t1", Store: "s1", UserID: tt.user, Identity: "I-" + tt.user, Salt: []byte{1, 2},
				Verifier: []byte(tt.user + "-current"), Version: int64(tt.n + 1), History: v1History(tt.user, tt.n)}
			if !reflect.DeepEqual(c, want) {
				t.Fatalf("migrated credential %s: %d history entries, want %d in position order", tt.user, len(c.History), tt.n)
			}
			// Two renewals push onto the migrated history and keep the cap.
			for _, v := range []string{"new-1", "new-2"} {
				want = want.Renewed([]byte(v))
				renew(t, st, tt.user, v)
			}
			got := credential(t, st, tt.user)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after renewals: %d history entries, version %d; want %d, version %d", len(got.History), got.Version,
					len(want.History), want.Version)
			}
			if n := historyRows(t, db, tt.user); n != len(want.History) {
				t.Errorf("%d history rows stored, want %d", n, len(want.History))
			}
		})
	}
	// Everything else came through as it was.
	ctx := context.Background()
	err := st.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Credential(ctx, "t1", "s1", "nocred"); !errors.Is(err, store.ErrCredentialNotFound) {
			t.Errorf("Credential(nocred) = %v, want ErrCredentialNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := st.Sessions().Get(ctx, "S1", time.Unix(0, 2)); err != nil || s.UserID != "partial" || s.CredentialVersion != 4 {
		t.Errorf("session S1 after migration: %v", err)
	}
}

// TestSessionsAcrossRestart: sessions, kept in memory while the store is open, read
// back exactly as after a clean restart, which writes them to the file and reads them
// back: times in UTC without a monotonic reading, empty byte slices nil. A session
// taken before the restart stays taken, and one expired but not yet purged is still
// there to purge, as when sessions lived in the table.
func TestSessionsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "renewkit.db")
	st := open(t, path)
	now := time.Now() // with a monotonic reading
	zone := time.FixedZone("UTC+5", 5*3600)
	sessions := []store.Session{
		{ID: "S-FULL", Flow: store.FlowRenewal, Tenant: "t", Store: "s", UserID: "u", Policy: "p", Identity: "I",
			Salt: []byte("salt"), CredentialVersion: 3, ServerSecret: []byte("b"), ServerPublic: []byte("B"),
			CreatedAt: now.In(zone), ExpiresAt: now.Add(time.Hour)},
		{ID: "S-EMPTY", Flow: store.FlowRegistration, Tenant: "t", Store: "s", UserID: "u",
			Salt: []byte{}, ServerSecret: []byte{}, ExpiresAt: now.Add(time.Hour).In(zone)},
		{ID: "S-TAKEN", Flow: store.FlowAuthentication, Tenant: "t", Store: "s", UserID: "u", ExpiresAt: now.Add(time.Hour)},
		{ID: "S-EXPIRED", Flow: store.FlowAuthentication, Tenant: "t", Store: "s", UserID: "u", ExpiresAt: now.Add(-time.Hour)},
	}
	for _, s := range sessions {
		if _, err := st.Sessions().Put(ctx, s, store.SessionLimits{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Sessions().Take(ctx, store.RefOf(sessions[2]), now); err != nil {
		t.Fatal(err)
	}
	// read returns the live sessions as st holds them, and whether S-TAKEN is gone.
	read := func(st store.Store) (live []store.Session, taken bool) {
		t.Helper()
		for _, id := range []string{"S-FULL", "S-EMPTY"} {
			s, err := st.Sessions().Get(ctx, id, now)
			if err != nil {
				t.Fatalf("Get %s: %v", id, err)
			}
			live = append(live, s)
		}
		_, err := st.Sessions().Get(ctx, "S-TAKEN", now)
		return live, errors.Is(err, store.ErrSessionNotFound)
	}
	before, taken := read(st)
	if !taken {
		t.Error("S-TAKEN still there after its take")
	}
	for i, s := range before {
		want := sessions[i]
		want.Salt, want.ServerSecret, want.ServerPublic = blob(want.Salt), blob(want.ServerSecret), blob(want.ServerPublic)
		want.CreatedAt, want.ExpiresAt = unixUTC(want.CreatedAt), unixUTC(want.ExpiresAt)
		if !reflect.DeepEqual(s, want) {
			t.Errorf("%s before the restart differs from what was put, as the table would give it back", s.ID)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, path)
	after, taken := read(st)
	if !taken {
		t.Error("S-TAKEN back after the restart")
	}
	if !reflect.DeepEqual(after, before) {
		t.Error("sessions after the restart differ from those before it")
	}
	if n, err := st.Sessions().Purge(ctx, now); err != nil || n != 1 {
		t.Errorf("Purge after the restart = %d, %v; want S-EXPIRED", n, err)
	}
}

// blob is b as a BLOB column reads back: nil when empty.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// unixUTC is t as a time stored in Unix nanoseconds reads back.
func unixUTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// TestTakeSessionConsumeConcurrent: the reference server's consume, many at once on
// one session: each takes it, and the one that gets it reads the credential inside
// an Update, which fails in half the rounds, while others read the sessions. Exactly
// one taker gets the session, and it is gone afterwards whatever its Update did.
// Run under -race.
func TestTakeSessionConsumeConcurrent(t *testing.T) {
	for _, dsn := range []string{"memory", "file"} {
		t.Run(dsn, func(t *testing.T) {
			t.Parallel()
			d := sqlite.MemoryDSN
			if dsn == "file" {
				d = filepath.Join(t.TempDir(), "renewkit.db")
			}
			st := open(t, d)
			ctx := context.Background()
			now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			seedCredential(t, st, "t", "s", "u", []byte("v"))
			fail := errors.New("fails after the take")
			const n = 64
			for round := range 3 {
				id := fmt.Sprintf("S%d", round)
				sess := store.Session{ID: id, Flow: store.FlowRenewal, Tenant: "t", Store: "s", UserID: "u", ExpiresAt: now.Add(time.Hour)}
				if _, err := st.Sessions().Put(ctx, sess, store.SessionLimits{}, now); err != nil {
					t.Fatal(err)
				}
				var (
					wg  sync.WaitGroup
					won atomic.Int32
				)
				errc := make(chan error, 2*n)
				start := make(chan struct{})
				for range n {
					wg.Go(func() {
						<-start
						_, err := st.Sessions().Take(ctx, store.RefOf(sess), now)
						if errors.Is(err, store.ErrSessionNotFound) {
							return
						}
						if err != nil {
							errc <- err
							return
						}
						won.Add(1)
						err = st.Update(ctx, func(tx store.Tx) error {
							if _, err := tx.Credential(ctx, "t", "s", "u"); err != nil {
								return err
							}
							if round%2 == 0 {
								return fail
							}
							return nil
						})
						if err != nil && !errors.Is(err, fail) {
							errc <- err
						}
					})
					wg.Go(func() {
						<-start
						_, err := st.Sessions().Count(ctx, now)
						if _, gerr := st.Sessions().Get(ctx, id, now); gerr != nil && !errors.Is(gerr, store.ErrSessionNotFound) {
							err = errors.Join(err, gerr)
						}
						errc <- err
					})
				}
				close(start)
				wg.Wait()
				close(errc)
				for err := range errc {
					if err != nil {
						t.Fatal(err)
					}
				}
				if won.Load() != 1 {
					t.Fatalf("round %d: %d takes of one session, want 1", round, won.Load())
				}
				if _, err := st.Sessions().Get(ctx, id, now); !errors.Is(err, store.ErrSessionNotFound) {
					t.Fatalf("round %d: session after the takes: %v, want ErrSessionNotFound", round, err)
				}
			}
		})
	}
}

// seedCredential creates tenant, its store st, an ACTIVE user and the user's credential
// (identity "I", version 1) holding verifier.
func seedCredential(tb testing.TB, s *sqlite.Store, tenant, st, user string, verifier []byte) {
	tb.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		return errors.Join(
			tx.PutTenant(ctx, store.Tenant{ID: tenant}),
			tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: tenant, Name: st}),
			tx.CreateUser(ctx, store.User{Tenant: tenant, Store: st, ID: user, ExternalID: "ext-" + user, Status: store.StatusActive}),
			tx.CreateCredential(ctx, store.Credential{Tenant: tenant, Store: st, UserID: user, Identity: "I", Salt: []byte("salt"),
				Verifier: verifier, Version: 1}),
		)
	})
	if err != nil {
		tb.Fatal(err)
	}
}
