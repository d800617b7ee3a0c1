package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
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
