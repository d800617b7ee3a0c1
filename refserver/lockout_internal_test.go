package refserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// TestAwaitAttemptGivesUp: a completion whose user's attempts are all held by
// completions that never end (their outcome could not be written) is answered
// USER_LOCKED once the wait limit has passed, and its proof, right as it is, is not
// evaluated; when an attempt ends in time, the waiter goes on and succeeds.
func TestAwaitAttemptGivesUp(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	s.gates.wait, s.gates.poll = 300*time.Millisecond, 50*time.Millisecond
	ctx := context.Background()
	const tenant, storeName, userID = aliceTenant, aliceStore, aliceID
	hold := func(n int) {
		t.Helper()
		err := s.store.Update(ctx, func(tx store.Tx) error {
			for range n {
				if err := tx.ReserveAttempt(ctx, tenant, storeName, userID, 5, s.now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	authenticate := func() error {
		t.Helper()
		id, body := startAlice(t, s)
		_, err := s.completeSession(ctx, api.FlowAuthentication, tenant, storeName, id, "application/json", body)
		return err
	}
	hold(5)
	start := time.Now()
	if err := authenticate(); !errors.Is(err, errUserLocked) {
		t.Fatalf("with every attempt held: %v, want USER_LOCKED", err)
	}
	if waited := time.Since(start); waited < s.gates.wait {
		t.Fatalf("answered after %v, before the wait limit %v", waited, s.gates.wait)
	}

	// One held attempt ends (uncounted) while the completion waits: it goes on.
	go func() {
		time.Sleep(100 * time.Millisecond)
		err := s.store.Update(ctx, func(tx store.Tx) error { return tx.ReleaseAttempt(ctx, tenant, storeName, userID) })
		if err != nil {
			t.Error(err)
		}
		s.gates.settle(attemptKey{tenant, storeName, userID})
	}()
	if err := authenticate(); err != nil {
		t.Fatalf("after an attempt ended: %v, want success", err)
	}
}
