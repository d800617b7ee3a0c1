package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// TestGroupSyncCoversEachCommit: 64 commits made side by side each return only
// after a sync that began after them has finished, and they share syncs: a sync
// of a few milliseconds covers every commit that arrived while the one before ran.
func TestGroupSyncCoversEachCommit(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		starts []uint64 // the last commit when each finished sync began
	)
	var g *groupSync
	g = newGroupSync(func() error {
		began := g.last()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		starts = append(starts, began)
		mu.Unlock()
		return nil
	})
	var writer sync.Mutex // the writer connection orders commits
	const n = 64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			writer.Lock()
			seq := g.committed()
			writer.Unlock()
			if err := g.wait(seq); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			covered := false
			for _, s := range starts {
				covered = covered || s >= seq
			}
			if !covered {
				t.Errorf("commit %d returned, and no finished sync began after it (syncs began at %v)", seq, starts)
			}
		})
	}
	wg.Wait()
	if len(starts) > n/2 {
		t.Errorf("%d commits took %d syncs: they were not grouped", n, len(starts))
	}
	t.Logf("%d commits, %d syncs", n, len(starts))
	// An Update that made no commit waits for the last one before it, which is
	// synced already: no new sync.
	before := len(starts)
	if err := g.wait(g.last()); err != nil || len(starts) != before {
		t.Errorf("waiting for a synced commit: %v, %d new syncs", err, len(starts)-before)
	}
}

// TestGroupSyncFailure: the commits a failed sync was to cover fail, and so does
// every later one; a commit a sync covered before the failure stays durable.
func TestGroupSyncFailure(t *testing.T) {
	t.Parallel()
	broken := errors.New("disk gone")
	var calls atomic.Int32
	g := newGroupSync(func() error {
		if calls.Add(1) > 1 {
			return broken
		}
		return nil
	})
	first := g.committed()
	if err := g.wait(first); err != nil {
		t.Fatal(err)
	}
	second := g.committed()
	if err := g.wait(second); !errors.Is(err, broken) {
		t.Errorf("the commit of the failed sync: %v, want its error", err)
	}
	if err := g.wait(g.committed()); !errors.Is(err, broken) {
		t.Errorf("a commit after the failed sync: %v, want its error", err)
	}
	if err := g.wait(first); err != nil {
		t.Errorf("a commit synced before the failure: %v, want nil", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d syncs, want 2: none after the failure", calls.Load())
	}
}

// TestConcurrentUpdatesShareSyncs: 32 durable Updates at once against a disk whose
// sync is slow (20 times what a whole Update takes on this machine now, at least
// 10 ms, so that -race and a busy machine stretch both) all succeed with far fewer
// syncs than Updates, and each is readable afterwards.
func TestConcurrentUpdatesShareSyncs(t *testing.T) {
	st, _ := openFile(t)
	seed(t, st)
	ctx := context.Background()
	began := time.Now()
	for i := range 3 {
		err := st.Update(ctx, func(tx store.Tx) error {
			return tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: fmt.Sprintf("p%d", i), ExternalID: fmt.Sprintf("pe%d", i), Status: store.StatusActive})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slow := max(10*time.Millisecond, 20*time.Since(began)/3)
	var syncs atomic.Int32
	real := st.syncWAL
	st.syncWAL = func() error {
		syncs.Add(1)
		time.Sleep(slow)
		return real()
	}
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := st.Update(ctx, func(tx store.Tx) error {
				return tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: fmt.Sprintf("g%d", i), ExternalID: fmt.Sprintf("ge%d", i), Status: store.StatusActive})
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := syncs.Load(); got > n/4 {
		t.Errorf("%d concurrent durable Updates made %d syncs, want them grouped (at most %d)", n, got, n/4)
	}
	t.Logf("%d concurrent durable Updates, %d syncs of %v each", n, syncs.Load(), slow)
	for i := range n {
		err := st.View(ctx, func(tx store.Tx) error { _, err := tx.User(ctx, "t", "s", fmt.Sprintf("g%d", i)); return err })
		if err != nil {
			t.Errorf("user g%d after its Update: %v", i, err)
		}
	}
}
