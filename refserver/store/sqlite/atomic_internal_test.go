package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// TestAtomicMethod: a write method failing halfway leaves none of its writes behind,
// even when the caller's Update goes on and commits.
func TestAtomicMethod(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, MemoryDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	halfway := errors.New("halfway")
	err = st.Update(ctx, func(stx store.Tx) error {
		tx := stx.(*tx)
		err := tx.atomic(ctx, func() error {
			if err := tx.PutTenant(ctx, store.Tenant{ID: "half"}); err != nil {
				return err
			}
			return halfway
		})
		if !errors.Is(err, halfway) {
			t.Errorf("atomic = %v, want the method's error", err)
		}
		// The Update goes on, in a usable transaction, and commits.
		return tx.PutTenant(ctx, store.Tenant{ID: "whole"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Tenant(ctx, "half"); !errors.Is(err, store.ErrTenantNotFound) {
			t.Errorf("write of the failed method: %v, want ErrTenantNotFound", err)
		}
		_, err := tx.Tenant(ctx, "whole")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
