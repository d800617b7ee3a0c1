package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// The lockout attempts of SPEC section 9: ReserveAttempt, ReleaseAttempt, Attempts.

// attempts returns u's attempts in flight, read in a View.
func attempts(tb testing.TB, st store.Store, userID string) int {
	tb.Helper()
	ctx := context.Background()
	var n int
	view(tb, st, func(tx store.Tx) error {
		var err error
		n, err = tx.Attempts(ctx, "t1", "s1", userID)
		return err
	})
	return n
}

// testAttempts: reservations count per user up to the limit less the counted
// failures; the next is ErrAttemptsBusy while they are in flight and
// ErrAttemptsExhausted once failures alone reach the limit; a temporary lock that has
// run out counts from zero; releases end them one by one.
func testAttempts(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	const limit = 3
	update(t, st, func(tx store.Tx) error {
		for i := range limit {
			check(t, fmt.Sprintf("reserve %d", i), tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, base), nil)
		}
		check(t, "reserve past the limit", tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, base), store.ErrAttemptsBusy)
		n, err := tx.Attempts(ctx, "t1", "s1", "u1")
		check(t, "Attempts", err, nil)
		same(t, "attempts in flight, in the Update", n, limit)
		// Another user's attempts are its own.
		check(t, "reserve u2", tx.ReserveAttempt(ctx, "t1", "s1", "u2", 1, base), nil)
		check(t, "reserve missing user", tx.ReserveAttempt(ctx, "t1", "s1", "nope", limit, base), store.ErrUserNotFound)
		check(t, "reserve in missing store", tx.ReserveAttempt(ctx, "t1", "nope", "u1", limit, base), store.ErrStoreNotFound)
		check(t, "release u3", tx.ReleaseAttempt(ctx, "t1", "s1", "u3"), store.ErrNoAttempt)
		return nil
	})
	same(t, "attempts of u1", attempts(t, st, "u1"), limit)
	same(t, "attempts of u2", attempts(t, st, "u2"), 1)
	same(t, "attempts of u3", attempts(t, st, "u3"), 0)
	view(t, st, func(tx store.Tx) error {
		check(t, "ReserveAttempt in a View", tx.ReserveAttempt(ctx, "t1", "s1", "u3", limit, base), store.ErrReadOnly)
		check(t, "ReleaseAttempt in a View", tx.ReleaseAttempt(ctx, "t1", "s1", "u1"), store.ErrReadOnly)
		_, err := tx.Attempts(ctx, "t1", "s1", "nope")
		check(t, "Attempts of a missing user", err, store.ErrUserNotFound)
		return nil
	})

	// One attempt ends as a counted failure: the count and the attempts in flight
	// move together, so the sum, and the answer past it, stay.
	u := w.users["u1"]
	update(t, st, func(tx store.Tx) error {
		check(t, "release", tx.ReleaseAttempt(ctx, "t1", "s1", "u1"), nil)
		u = u.WithFailure(store.LockConfig{MaxFailedAttempts: limit}, base)
		check(t, "count", tx.UpdateUser(ctx, u), nil)
		check(t, "reserve with 1 failure and 2 in flight", tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, base), store.ErrAttemptsBusy)
		return nil
	})
	// The two others fail too: the user is locked, and the refusal says so.
	update(t, st, func(tx store.Tx) error {
		for range 2 {
			check(t, "release", tx.ReleaseAttempt(ctx, "t1", "s1", "u1"), nil)
			u = u.WithFailure(store.LockConfig{MaxFailedAttempts: limit}, base)
		}
		check(t, "count", tx.UpdateUser(ctx, u), nil)
		check(t, "release with none in flight", tx.ReleaseAttempt(ctx, "t1", "s1", "u1"), store.ErrNoAttempt)
		return nil
	})
	if u.Status != store.StatusTempLocked {
		t.Fatalf("after %d failures the user is %s, want TEMP_LOCKED", limit, u.Status)
	}
	update(t, st, func(tx store.Tx) error {
		check(t, "reserve when locked", tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, base), store.ErrAttemptsExhausted)
		// Once the lock has run out the count starts over.
		check(t, "reserve after the lock", tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, u.LockedUntil), nil)
		return nil
	})
	same(t, "attempts after the lock", attempts(t, st, "u1"), 1)
}

// testAttemptsRollback: a failed Update's reservations and releases are undone.
func testAttemptsRollback(t *testing.T, st store.Store) {
	ctx := context.Background()
	seedWorld(t, st)
	boom := errors.New("boom")
	update(t, st, func(tx store.Tx) error { return tx.ReserveAttempt(ctx, "t1", "s1", "u1", 5, base) })
	err := st.Update(ctx, func(tx store.Tx) error {
		check(t, "reserve", tx.ReserveAttempt(ctx, "t1", "s1", "u1", 5, base), nil)
		check(t, "reserve u2", tx.ReserveAttempt(ctx, "t1", "s1", "u2", 5, base), nil)
		return boom
	})
	check(t, "failed Update", err, boom)
	same(t, "attempts after a failed reserve", attempts(t, st, "u1"), 1)
	same(t, "attempts of u2 after a failed reserve", attempts(t, st, "u2"), 0)
	err = st.Update(ctx, func(tx store.Tx) error {
		check(t, "release", tx.ReleaseAttempt(ctx, "t1", "s1", "u1"), nil)
		return boom
	})
	check(t, "failed Update", err, boom)
	same(t, "attempts after a failed release", attempts(t, st, "u1"), 1)
}

// outcome is how a simulated completion ended.
type outcome string

const (
	outcomeLocked  outcome = "USER_LOCKED"
	outcomeInvalid outcome = "INVALID_PROOF"
	outcomeOK      outcome = "OK"
)

// completer simulates the reference server's completions of user u1 of t1/s1 on a
// store (refserver's consume, countFailure and commit), with the lock configuration
// of t1/s1. A proof is "evaluated" only by a completion that holds an attempt;
// evaluations and the most evaluations at once are counted.
type completer struct {
	st        store.Store
	now       time.Time
	evaluated atomic.Int32
	inFlight  atomic.Int32
	maxFlight atomic.Int32
}

// complete runs completion i of session "A<i>": take the session, then check the
// status and reserve an attempt in one Update, waiting while the attempts are all
// in flight; then evaluate (right tells whether its proof is right) and settle the
// attempt with the count in one Update.
func (c *completer) complete(i int, right bool) (outcome, error) {
	ctx := context.Background()
	if _, err := take(c.st, ref(fmt.Sprintf("A%d", i), store.FlowAuthentication), c.now); err != nil {
		return "", err
	}
	for {
		var res error
		err := c.st.Update(ctx, func(tx store.Tx) error {
			is, err := tx.IdentityStore(ctx, "t1", "s1")
			if err != nil {
				return err
			}
			u, err := tx.User(ctx, "t1", "s1", "u1")
			if err != nil {
				return err
			}
			if u.StatusAt(c.now) != store.StatusActive {
				res = store.ErrAttemptsExhausted
				return nil
			}
			res = tx.ReserveAttempt(ctx, "t1", "s1", "u1", is.Lock.OrDefault().MaxFailedAttempts, c.now)
			if errors.Is(res, store.ErrAttemptsBusy) || errors.Is(res, store.ErrAttemptsExhausted) {
				return nil
			}
			return res
		})
		if err != nil {
			return "", err
		}
		switch {
		case errors.Is(res, store.ErrAttemptsExhausted):
			return outcomeLocked, nil
		case errors.Is(res, store.ErrAttemptsBusy):
			// The server waits for a signal; a short sleep is enough here.
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			continue
		}
		break
	}
	// The evaluation: only a completion holding an attempt gets here.
	c.evaluated.Add(1)
	if n := c.inFlight.Add(1); n > c.maxFlight.Load() {
		for m := c.maxFlight.Load(); n > m && !c.maxFlight.CompareAndSwap(m, n); m = c.maxFlight.Load() {
		}
	}
	time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond) // the modexps
	c.inFlight.Add(-1)
	err := c.st.Update(ctx, func(tx store.Tx) error {
		is, err := tx.IdentityStore(ctx, "t1", "s1")
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, "t1", "s1", "u1")
		if err != nil {
			return err
		}
		if err := tx.ReleaseAttempt(ctx, "t1", "s1", "u1"); err != nil {
			return err
		}
		if right {
			return tx.UpdateUser(ctx, u.WithSuccess(c.now))
		}
		return tx.UpdateUser(ctx, u.WithFailure(is.Lock, c.now))
	})
	if err != nil {
		return "", err
	}
	if right {
		return outcomeOK, nil
	}
	return outcomeInvalid, nil
}

// putAttemptSessions stores sessions A0 ... A<n-1> of u1.
func putAttemptSessions(tb testing.TB, st store.Store, n int) {
	tb.Helper()
	for i := range n {
		put(tb, st, session(fmt.Sprintf("A%d", i), store.FlowAuthentication, base.Add(time.Hour)))
	}
}

// raceCompletions runs n completions at once, completion right with the right proof
// (none when right is negative), and returns their outcomes.
func raceCompletions(t *testing.T, c *completer, n, right int) []outcome {
	t.Helper()
	out := make([]outcome, n)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			o, err := c.complete(i, i == right)
			mu.Lock()
			defer mu.Unlock()
			out[i] = o
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("completions failed: %v", errors.Join(errs...))
	}
	return out
}

// tally counts outcomes.
func tally(out []outcome) map[outcome]int {
	m := map[outcome]int{}
	for _, o := range out {
		m[o]++
	}
	return m
}

// testAttemptsHeldConcurrent: with the limit's worth of attempts held in flight, 64
// concurrent completions, the right one among them, all wait; once the held ones
// fail, every one of them, the right one too, is USER_LOCKED without an evaluation.
func testAttemptsHeldConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	limit := w.stores[0].Lock.MaxFailedAttempts
	const n = 64
	putAttemptSessions(t, st, n)
	update(t, st, func(tx store.Tx) error {
		for range limit {
			if err := tx.ReserveAttempt(ctx, "t1", "s1", "u1", limit, base); err != nil {
				return err
			}
		}
		return nil
	})
	c := &completer{st: st, now: base}
	right := rand.IntN(n)
	done := make(chan []outcome)
	go func() { done <- raceCompletions(t, c, n, right) }()
	// Give the racers time to find the attempts held; none may be evaluated.
	time.Sleep(50 * time.Millisecond)
	if e := c.evaluated.Load(); e != 0 {
		t.Fatalf("%d completions were evaluated while the limit's attempts were in flight", e)
	}
	// The held attempts fail, one Update each, as the server counts them.
	for range limit {
		update(t, st, func(tx store.Tx) error {
			u, err := tx.User(ctx, "t1", "s1", "u1")
			if err != nil {
				return err
			}
			if err := tx.ReleaseAttempt(ctx, "t1", "s1", "u1"); err != nil {
				return err
			}
			return tx.UpdateUser(ctx, u.WithFailure(w.stores[0].Lock, base))
		})
	}
	out := <-done
	if e := c.evaluated.Load(); e != 0 {
		t.Errorf("%d completions were evaluated after the user locked", e)
	}
	if got := tally(out); got[outcomeLocked] != n {
		t.Errorf("outcomes %v, want all %d USER_LOCKED (the right proof was #%d: %s)", got, n, right, out[right])
	}
	same(t, "attempts in flight at the end", attempts(t, st, "u1"), 0)
}

// testAttemptsConcurrent: 64 concurrent completions of one user beyond the limit,
// in rounds with no right proof and with one at a random place. At most the limit are
// evaluated at once. Without a success, exactly the limit are evaluated (and fail),
// the rest are USER_LOCKED, and a right proof not evaluated is answered as the wrong
// ones are; a right proof that was evaluated succeeds and resets the count, so at
// most the limit less one before it and the limit after it fail.
func testAttemptsConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	limit := w.stores[0].Lock.MaxFailedAttempts
	const n = 64
	for round := range 6 {
		// Each round starts from an unlocked user: a later clock lifts the lock.
		now := base.Add(time.Duration(round) * 24 * time.Hour)
		c := &completer{st: st, now: now}
		for i := range n {
			s := session(fmt.Sprintf("A%d", i), store.FlowAuthentication, now.Add(time.Hour))
			s.CreatedAt = now
			put(t, st, s)
		}
		right := -1
		if round%2 == 1 {
			right = rand.IntN(n)
		}
		out := raceCompletions(t, c, n, right)
		got := tally(out)
		if m := int(c.maxFlight.Load()); m > limit {
			t.Errorf("round %d: %d proofs were evaluated at once, limit %d", round, m, limit)
		}
		var u store.User
		view(t, st, func(tx store.Tx) error {
			var err error
			u, err = tx.User(ctx, "t1", "s1", "u1")
			return err
		})
		switch {
		case right < 0 || out[right] != outcomeOK:
			if got[outcomeInvalid] != limit || got[outcomeLocked] != n-limit || int(c.evaluated.Load()) != limit {
				t.Errorf("round %d: outcomes %v with %d evaluated, want %d INVALID_PROOF and %d USER_LOCKED",
					round, got, c.evaluated.Load(), limit, n-limit)
			}
			if right >= 0 && out[right] != outcomeLocked {
				t.Errorf("round %d: the right proof got %s, want USER_LOCKED like the wrong ones refused", round, out[right])
			}
			if u.StatusAt(now) != store.StatusTempLocked || u.FailedAttempts != limit {
				t.Errorf("round %d: user %s with %d failures, want TEMP_LOCKED with %d", round, u.Status, u.FailedAttempts, limit)
			}
		default:
			if got[outcomeInvalid] > 2*limit-1 || got[outcomeOK] != 1 {
				t.Errorf("round %d: outcomes %v, want one OK and at most %d INVALID_PROOF", round, got, 2*limit-1)
			}
		}
		same(t, fmt.Sprintf("round %d: attempts in flight at the end", round), attempts(t, st, "u1"), 0)
	}
}
