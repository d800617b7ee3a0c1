package sqlite

import "sync"

// groupSync makes durable commits durable in groups (group commit): a commit
// waits until a sync that began after it has finished, and one sync covers every
// commit made before it began, so Updates that commit while a sync runs share the
// next one. Under concurrency a store thus pays about two syncs per burst of
// commits, not one per commit, and its latency does not add up fsync times.
//
// Commits are numbered in the order they happen (the writer connection orders
// them); each Update waits for its own commit, or, if it made none, for the last
// commit before it began, which it may have read: so no caller is told of anything
// built on a commit before that commit is on disk.
type groupSync struct {
	// sync makes every commit so far durable.
	sync func() error

	mu   sync.Mutex
	cond *sync.Cond
	// commits is the number of the last commit; synced the last one a finished
	// sync covered (every commit up to it is on disk).
	commits, synced uint64
	syncing         bool
	// err is the first failed sync: no later commit can be made durable.
	err error
}

func newGroupSync(syncFn func() error) *groupSync {
	g := &groupSync{sync: syncFn}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// committed numbers a commit just made; the caller holds the writer connection.
func (g *groupSync) committed() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.commits++
	return g.commits
}

// last is the number of the last commit.
func (g *groupSync) last() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.commits
}

// wait returns once commit seq is on disk, syncing if no sync that covers it is
// under way, or with the failed sync's error if it can no longer be.
func (g *groupSync) wait(seq uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.synced < seq && g.err == nil {
		if g.syncing {
			g.cond.Wait()
			continue
		}
		g.syncing = true
		upto := g.commits
		g.mu.Unlock()
		err := g.sync()
		g.mu.Lock()
		g.syncing = false
		if err != nil {
			g.err = err
		} else {
			g.synced = max(g.synced, upto)
		}
		g.cond.Broadcast()
	}
	if g.synced >= seq {
		return nil
	}
	return g.err
}
