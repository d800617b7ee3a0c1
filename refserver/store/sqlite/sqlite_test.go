package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

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
