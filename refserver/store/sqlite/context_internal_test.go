package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// endsAfter is a real cancellable context that cancels itself on the n-th call of
// Err: it ends between two statements of one method, deterministically.
type endsAfter struct {
	context.Context
	cancel context.CancelFunc
	left   *atomic.Int64
}

func newEndsAfter(n int64) endsAfter {
	ctx, cancel := context.WithCancel(context.Background())
	c := endsAfter{Context: ctx, cancel: cancel, left: &atomic.Int64{}}
	c.left.Store(n)
	return c
}

func (c endsAfter) Err() error {
	if c.left.Add(-1) == 0 {
		c.cancel()
	}
	return c.Context.Err()
}

// storedVersion reads the credential's version and verifier straight from the file,
// on a connection of its own.
func storedVersion(tb testing.TB, path string) (int64, string) {
	tb.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var v int64
	var ver []byte
	if err := db.QueryRow("SELECT version, verifier FROM credentials WHERE tenant='t' AND store='s' AND user_id='u'").Scan(&v, &ver); err != nil {
		tb.Fatal(err)
	}
	return v, string(ver)
}

// TestMethodContextEndingLeavesNoChange ends UpdateCredential's own context at each of
// its steps in turn (the Update's context stays alive, and fn goes on and commits, as
// store.Tx allows after a failed method). Whatever step it ends at, a failed method
// has changed nothing in the database, and the row cache answers as the database
// does. (Found in review: a context ending just before RELEASE used to fail the
// method with its writes kept, leaving the cache serving the old verifier.) A renewal
// of a version that is no longer stored is ErrVersionConflict.
func TestMethodContextEndingLeavesNoChange(t *testing.T) {
	ctx := context.Background()
	for n := int64(1); n <= 12; n++ {
		st, path := openFile(t)
		seed(t, st)
		var old store.Credential
		err := st.View(ctx, func(tx store.Tx) error { // warms the cache, as a start does
			var err error
			old, err = tx.Credential(ctx, "t", "s", "u")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		mctx := newEndsAfter(n)
		var mErr error
		update(t, st, func(tx store.Tx) error {
			mErr = tx.UpdateCredential(mctx, old.Renewed([]byte("v2")))
			return nil // handles the error, commits its other writes (none here)
		})
		dbV, dbVer := storedVersion(t, path)
		if mErr != nil && dbV != old.Version {
			t.Errorf("n=%d: UpdateCredential failed (%v) yet the database has version %d verifier %q", n, mErr, dbV, dbVer)
		}
		var cached store.Credential
		err = st.View(ctx, func(tx store.Tx) error { // a start: View on the writer
			var err error
			cached, err = tx.Credential(ctx, "t", "s", "u")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if cached.Version != dbV || string(cached.Verifier) != dbVer {
			t.Errorf("n=%d: View read version %d verifier %q, database has version %d verifier %q",
				n, cached.Version, cached.Verifier, dbV, dbVer)
		}
		if cached.Version != dbV {
			renewErr := st.Update(ctx, func(tx store.Tx) error {
				return tx.UpdateCredential(ctx, cached.Renewed([]byte("v3")))
			})
			v, ver := storedVersion(t, path)
			if !errors.Is(renewErr, store.ErrVersionConflict) {
				t.Errorf("n=%d: renewing version %d over stored version %d: %v, want ErrVersionConflict; database now version %d verifier %q",
					n, cached.Version, dbV, renewErr, v, ver)
			}
		}
		st.Close()
	}
}

// TestPoolViewHeedsDeadline: with the writer busy and every pooled reader held, a View
// whose context has a 100ms deadline fails at its deadline rather than waiting for a
// pooled connection (found in review: beginning pool transactions detached from the
// context waited past it).
func TestPoolViewHeedsDeadline(t *testing.T) {
	ctx := context.Background()
	st, _ := openFile(t)
	seed(t, st)
	release := make(chan struct{})
	var wg sync.WaitGroup
	writerHeld := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = st.Update(ctx, func(tx store.Tx) error { close(writerHeld); <-release; return nil })
	}()
	<-writerHeld
	var readersIn sync.WaitGroup
	for range DefaultReaders {
		readersIn.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = st.View(ctx, func(tx store.Tx) error {
				_, err := tx.Tenant(ctx, "t") // takes a pool connection
				readersIn.Done()
				<-release
				return err
			})
		}()
	}
	readersIn.Wait()
	vctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- st.View(vctx, func(tx store.Tx) error { _, err := tx.Tenant(vctx, "t"); return err })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("View = %v, want its deadline", err)
		}
		close(release)
	case <-time.After(2 * time.Second):
		t.Errorf("View with a 100ms deadline still waiting after %v", time.Since(start).Round(time.Millisecond))
		close(release)
		t.Logf("once a reader is free, the View returns %v", <-done)
	}
	wg.Wait()
}

// TestStaleHeadRefusedByDatabase: the credential UPDATE carries the identity and
// version it replaces, so even a head read from a cache that missed a change (here a
// second Store on the same file, which the package does not support, stands in for
// any such slip) cannot overwrite a newer credential: the renewal is
// ErrVersionConflict and the stored credential is untouched.
func TestStaleHeadRefusedByDatabase(t *testing.T) {
	ctx := context.Background()
	a, path := openFile(t)
	seed(t, a)
	stale := readCredential(t, a) // a's row cache now holds version 1
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	update(t, b, func(tx store.Tx) error { return tx.UpdateCredential(ctx, readCredential(t, b).Renewed([]byte("by-b"))) })
	err = a.Update(ctx, func(tx store.Tx) error { return tx.UpdateCredential(ctx, stale.Renewed([]byte("by-a"))) })
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Errorf("renewing the stale version 1 over version 2: %v, want ErrVersionConflict", err)
	}
	if v, ver := storedVersion(t, path); v != 2 || ver != "by-b" {
		t.Errorf("stored credential is version %d %q, want version 2 %q", v, ver, "by-b")
	}
}
