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

// TestSessionChangesTransactional: an Update sees its own session changes at once,
// and they take effect for others only if it commits: an error, a panic or an ended
// context leaves the sessions as they were, so a take rolled back leaves the session
// takeable and a purge rolled back leaves the expired sessions.
func TestSessionChangesTransactional(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	expired := func(id string) store.Session {
		s := sessionNamed(id)
		s.ExpiresAt = t0.Add(-time.Second)
		return s
	}
	// changes makes, and checks from inside, the same changes in each case, on S1,
	// S3 and S-OLD (expired) as committed before: take S1, put S2, put S-NEW
	// (expired) and purge it and S-OLD, take S3 and put it back.
	changes := func(t *testing.T, tx store.Tx) {
		t.Helper()
		if _, err := tx.TakeSession(ctx, "S1", t0); err != nil {
			t.Fatalf("TakeSession: %v", err)
		}
		if _, err := tx.Session(ctx, "S1", t0); !errors.Is(err, store.ErrSessionNotFound) {
			t.Errorf("Session after its take in the same Update = %v, want ErrSessionNotFound", err)
		}
		if _, err := tx.TakeSession(ctx, "S1", t0); !errors.Is(err, store.ErrSessionNotFound) {
			t.Errorf("second TakeSession in the same Update = %v, want ErrSessionNotFound", err)
		}
		if err := tx.PutSession(ctx, sessionNamed("S2")); err != nil {
			t.Fatalf("PutSession: %v", err)
		}
		if err := tx.PutSession(ctx, sessionNamed("S2")); !errors.Is(err, store.ErrSessionExists) {
			t.Errorf("PutSession of a session put in the same Update = %v, want ErrSessionExists", err)
		}
		if got, err := tx.Session(ctx, "S2", t0); err != nil || !reflect.DeepEqual(got, sessionNamed("S2")) {
			t.Errorf("Session put in the same Update: %v", err)
		}
		if err := tx.PutSession(ctx, expired("S-NEW")); err != nil {
			t.Fatalf("PutSession expired: %v", err)
		}
		if n, err := tx.PurgeExpiredSessions(ctx, t0); err != nil || n != 2 {
			t.Errorf("PurgeExpiredSessions = %d, %v; want 2, one committed and one put in the same Update", n, err)
		}
		if _, err := tx.TakeSession(ctx, "S3", t0); err != nil {
			t.Fatalf("TakeSession S3: %v", err)
		}
		if err := tx.PutSession(ctx, sessionNamed("S3")); err != nil {
			t.Errorf("PutSession of a session taken in the same Update: %v", err)
		}
		// S2, and S3 put back; S1 taken, S-OLD and S-NEW purged.
		if n, err := tx.CountSessions(ctx, t0.Add(-time.Hour)); err != nil || n != 2 {
			t.Errorf("CountSessions = %d, %v; want 2", n, err)
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, st *Store) error
		want []string // sessions afterwards
	}{
		{"commit", func(t *testing.T, st *Store) error {
			return st.Update(ctx, func(tx store.Tx) error { changes(t, tx); return nil })
		}, []string{"S2", "S3"}},
		{"error", func(t *testing.T, st *Store) error {
			err := st.Update(ctx, func(tx store.Tx) error { changes(t, tx); return boom })
			if !errors.Is(err, boom) {
				return fmt.Errorf("Update = %v, want fn's error", err)
			}
			return nil
		}, []string{"S1", "S3", "S-OLD"}},
		{"error after a durable write", func(t *testing.T, st *Store) error {
			err := st.Update(ctx, func(tx store.Tx) error {
				changes(t, tx)
				if err := tx.PutTenant(ctx, store.Tenant{ID: "t2"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				return fmt.Errorf("Update = %v, want fn's error", err)
			}
			return nil
		}, []string{"S1", "S3", "S-OLD"}},
		{"panic", func(t *testing.T, st *Store) (err error) {
			defer func() {
				if recover() == nil {
					err = errors.New("Update swallowed the panic")
				}
			}()
			return st.Update(ctx, func(tx store.Tx) error { changes(t, tx); panic("boom") })
		}, []string{"S1", "S3", "S-OLD"}},
		{"context ended", func(t *testing.T, st *Store) error {
			ctx, cancel := context.WithCancel(ctx)
			err := st.Update(ctx, func(tx store.Tx) error { changes(t, tx); cancel(); return nil })
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("Update = %v, want context.Canceled", err)
			}
			return nil
		}, []string{"S1", "S3", "S-OLD"}},
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
				update(t, st, func(tx store.Tx) error {
					return errors.Join(tx.PutSession(ctx, sessionNamed("S3")), tx.PutSession(ctx, expired("S-OLD")))
				})
				if err := tt.run(t, st); err != nil {
					t.Fatal(err)
				}
				// An hour early, so that the expired sessions show if they are there.
				var got []string
				err := st.View(ctx, func(tx store.Tx) error {
					for _, id := range []string{"S1", "S2", "S3", "S-OLD", "S-NEW"} {
						if _, err := tx.Session(ctx, id, t0.Add(-time.Hour)); err == nil {
							got = append(got, id)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("sessions afterwards: %q, want %q", got, tt.want)
				}
				// Whatever happened, the store goes on: what is left can be taken.
				for _, id := range tt.want {
					update(t, st, func(tx store.Tx) error { _, err := tx.TakeSession(ctx, id, t0.Add(-time.Hour)); return err })
				}
			})
		}
	}
}
