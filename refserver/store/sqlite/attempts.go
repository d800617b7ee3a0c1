package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// attempts holds the Store's lockout attempts in flight (store.Tx.ReserveAttempt) in
// memory, not in the database, as sessions are and for the same reasons: a
// reservation lasts as long as one completion, no completion outlives the process,
// and keeping them off the disk keeps a completion's consume Update free of SQL
// when the row cache holds its rows.
// Only a committing Update changes the map, holding the writer, so an Update reads it
// knowing that nothing else changes it meanwhile; mu lets Views read it at the same
// time. A user with no attempt in flight has no entry.
type attempts struct {
	mu sync.RWMutex
	m  map[rowKey]int
}

func newAttempts() *attempts {
	return &attempts{m: make(map[rowKey]int)}
}

// get returns the committed number of k's attempts in flight.
func (a *attempts) get(k rowKey) int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.m[k]
}

// apply adds an Update's changes to the committed counts.
func (a *attempts) apply(delta map[rowKey]int) {
	if len(delta) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, d := range delta {
		if n := a.m[k] + d; n > 0 {
			a.m[k] = n
		} else {
			delete(a.m, k)
		}
	}
}

// inFlight returns k's attempts in flight as this transaction sees them: the
// committed count and an Update's own changes.
func (t *tx) inFlight(k rowKey) int {
	return t.attempts.get(k) + t.attemptDelta[k]
}

// addAttempts records a change of k's attempts in flight, in effect for the rest of
// the Update and, once it commits, for everyone.
func (t *tx) addAttempts(k rowKey, d int) {
	if t.attemptDelta == nil {
		t.attemptDelta = make(map[rowKey]int)
	}
	t.attemptDelta[k] += d
}

func (t *tx) ReserveAttempt(ctx context.Context, tenant, st, userID string, limit int, now time.Time) error {
	if err := t.checkMemory(true); err != nil {
		return err
	}
	if limit < 1 {
		return fmt.Errorf("%w: attempt limit below 1", store.ErrInvalid)
	}
	// The user read is the row cache's when it holds the user, so a warm consume
	// still runs no SQL; it also checks the contexts.
	u, err := t.user(ctx, t.st.userByID, tenant, st, userID)
	if err != nil {
		return err
	}
	k := rowKey{tenant, st, userID}
	if err := u.AttemptError(t.inFlight(k), limit, now); err != nil {
		return err
	}
	t.addAttempts(k, 1)
	return nil
}

func (t *tx) ReleaseAttempt(ctx context.Context, tenant, st, userID string) error {
	if err := t.checkMemory(true); err != nil {
		return err
	}
	if err := t.live(ctx, "release attempt"); err != nil {
		return err
	}
	k := rowKey{tenant, st, userID}
	if t.inFlight(k) < 1 {
		return store.ErrNoAttempt
	}
	t.addAttempts(k, -1)
	return nil
}

func (t *tx) Attempts(ctx context.Context, tenant, st, userID string) (int, error) {
	if err := t.checkMemory(false); err != nil {
		return 0, err
	}
	if _, err := t.user(ctx, t.st.userByID, tenant, st, userID); err != nil {
		return 0, err
	}
	return t.inFlight(rowKey{tenant, st, userID}), nil
}

// checkMemory guards the attempt methods as check guards the others, except that
// they never make an Update durable: they never touch the database.
func (t *tx) checkMemory(write bool) error {
	if t.done {
		return store.ErrTxDone
	}
	if write && !t.write {
		return store.ErrReadOnly
	}
	return nil
}

// live refuses, as a statement would, once the method's or the transaction's context
// has ended.
func (t *tx) live(ctx context.Context, op string) error {
	if err := cmp.Or(ctx.Err(), t.ctx.Err()); err != nil {
		return wrap(op, err)
	}
	return nil
}
