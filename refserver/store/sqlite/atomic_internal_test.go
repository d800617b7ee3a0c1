package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

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

// TestSessionsApartFromUpdates: session calls made while an Update runs are no part
// of it: whether it commits, fails, fails after a durable write, panics or ends
// with its context, they stand, so a session taken inside a failed Update stays
// taken and a purge stays done.
func TestSessionsApartFromUpdates(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	expired := func(id string) store.Session {
		s := sessionNamed(id)
		s.ExpiresAt = t0.Add(-time.Second)
		return s
	}
	// changes makes, and checks, the same changes in each case, on S1, S3 and
	// S-OLD (expired) as put before: take S1, put S2, put S-NEW (expired) and purge
	// it and S-OLD, take S3 and put it back.
	changes := func(t *testing.T, st *Store) {
		t.Helper()
		ss := st.Sessions()
		if _, err := ss.Take(ctx, refNamed("S1"), t0); err != nil {
			t.Fatalf("Take: %v", err)
		}
		if _, err := ss.Take(ctx, refNamed("S1"), t0); !errors.Is(err, store.ErrSessionNotFound) {
			t.Errorf("second Take = %v, want ErrSessionNotFound", err)
		}
		putSession(t, st, sessionNamed("S2"))
		if _, err := ss.Put(ctx, sessionNamed("S2"), store.SessionLimits{}, t0); !errors.Is(err, store.ErrSessionExists) {
			t.Errorf("Put of a session put before = %v, want ErrSessionExists", err)
		}
		if got, err := ss.Get(ctx, "S2", t0); err != nil || !reflect.DeepEqual(got, sessionNamed("S2")) {
			t.Errorf("Get of the session put: %v", err)
		}
		putSession(t, st, expired("S-NEW"))
		if n, err := ss.Purge(ctx, t0); err != nil || n != 2 {
			t.Errorf("Purge = %d, %v; want 2", n, err)
		}
		if _, err := ss.Take(ctx, refNamed("S3"), t0); err != nil {
			t.Fatalf("Take S3: %v", err)
		}
		putSession(t, st, sessionNamed("S3"))
		// S2, and S3 put back; S1 taken, S-OLD and S-NEW purged.
		if n, err := ss.Count(ctx, t0.Add(-time.Hour)); err != nil || n != 2 {
			t.Errorf("Count = %d, %v; want 2", n, err)
		}
	}
	want := []string{"S2", "S3"}
	tests := []struct {
		name string
		run  func(t *testing.T, st *Store) error
	}{
		{"commit", func(t *testing.T, st *Store) error {
			return st.Update(ctx, func(tx store.Tx) error { changes(t, st); return nil })
		}},
		{"error", func(t *testing.T, st *Store) error {
			err := st.Update(ctx, func(tx store.Tx) error { changes(t, st); return boom })
			if !errors.Is(err, boom) {
				return fmt.Errorf("Update = %v, want fn's error", err)
			}
			return nil
		}},
		{"error after a durable write", func(t *testing.T, st *Store) error {
			err := st.Update(ctx, func(tx store.Tx) error {
				changes(t, st)
				if err := tx.PutTenant(ctx, store.Tenant{ID: "t2"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return fmt.Errorf("Update = %v, want fn's error", err)
			}
			return nil
		}},
		{"panic", func(t *testing.T, st *Store) (err error) {
			defer func() {
				if recover() == nil {
					err = errors.New("Update swallowed the panic")
				}
			}()
			return st.Update(ctx, func(tx store.Tx) error { changes(t, st); panic("boom") })
		}},
		{"context ended", func(t *testing.T, st *Store) error {
			ctx, cancel := context.WithCancel(ctx)
			err := st.Update(ctx, func(tx store.Tx) error { changes(t, st); cancel(); return nil })
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Update = %v, want context.Canceled", err)
			}
			return nil
		}},
	}
	for _, dsn := range []string{"memory", "file"} {
		for _, tt := range tests {
			t.Run(dsn+"/"+tt.name, func(t *testing.T) {
				var st *Store
				if dsn == "memory" {
					var err error
					if st, err = Open(ctx, MemoryDSN); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { st.Close() })
				} else {
					st, _ = openFile(t)
				}
				seed(t, st)
				putSession(t, st, sessionNamed("S3"), expired("S-OLD"))
				if err := tt.run(t, st); err != nil {
					t.Fatal(err)
				}
				// An hour early, so that the expired sessions show if they are there.
				var got []string
				for _, id := range []string{"S1", "S2", "S3", "S-OLD", "S-NEW"} {
					if _, err := st.Sessions().Get(ctx, id, t0.Add(-time.Hour)); err == nil {
						got = append(got, id)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("sessions afterwards: %q, want %q", got, want)
				}
				// Whatever happened, the store goes on: what is left can be taken.
				for _, id := range want {
					if _, err := st.Sessions().Take(ctx, refNamed(id), t0.Add(-time.Hour)); err != nil {
						t.Errorf("Take %s: %v", id, err)
					}
				}
			})
		}
	}
}
