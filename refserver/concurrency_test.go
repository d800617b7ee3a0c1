package refserver_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/refserver/store/sqlite"
)

// openSQLite opens a file database in a temporary directory, closed at the end.
func openSQLite(tb testing.TB, path string) store.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// stores returns one fresh store of each implementation.
func stores(tb testing.TB) map[string]store.Store {
	tb.Helper()
	return map[string]store.Store{
		"memory": memory.New(),
		"sqlite": openSQLite(tb, filepath.Join(tb.TempDir(), "renewkit.db")),
	}
}

// outcomes counts results by code ("" for success).
type outcomes struct {
	mu     sync.Mutex
	counts map[api.Code]int
	winner int
}

func (o *outcomes) add(i int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.counts == nil {
		o.counts = map[api.Code]int{}
	}
	code := api.ErrorCode(err)
	if err != nil && code == "" {
		code = api.Code("transport: " + err.Error())
	}
	if err == nil {
		o.winner = i
	}
	o.counts[code]++
}

// race runs fn(i) for i in [0, n) in n goroutines released together.
func race(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			fn(i)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
}

// TestConcurrentCompletionsOfOneSession: of 64 simultaneous completions of one
// session, exactly one succeeds; the rest find the session consumed.
func TestConcurrentCompletionsOfOneSession(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldOpts{store: st})
			u := w.newUser(t, "Start-Pass-1")
			s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
			req, _ := s.request(t, api.FlowRenewal, "Start-Pass-1", "Next-Pass-22")
			var o outcomes
			race(64, func(i int) {
				_, _, err := w.complete(w.full, api.FlowRenewal, s, req)
				o.add(i, err)
			})
			if o.counts[""] != 1 || o.counts[api.CodeSessionNotFound] != 63 {
				t.Fatalf("outcomes %v", o.counts)
			}
			if cred := w.snapshot(t, u).Cred; cred.Version != 2 {
				t.Fatalf("credential version %d, want 2", cred.Version)
			}
			w.mustAuthenticate(t, u, "Next-Pass-22")
		})
	}
}

// TestConcurrentRenewals: 16 renewal sessions of one user, all started before any
// completes and completed at once: exactly one 200, 15 STALE_SESSION, and the
// winner's passcode is the one that authenticates.
func TestConcurrentRenewals(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldOpts{store: st})
			u := w.newUser(t, "Start-Pass-1")
			const n = 16
			sessions := make([]started, n)
			reqs := make([]api.CompleteRequest, n)
			for i := range n {
				sessions[i] = w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
				reqs[i], _ = sessions[i].request(t, api.FlowRenewal, "Start-Pass-1", newPass(i))
			}
			var o outcomes
			race(n, func(i int) {
				_, _, err := w.complete(w.full, api.FlowRenewal, sessions[i], reqs[i])
				o.add(i, err)
			})
			if o.counts[""] != 1 || o.counts[api.CodeStaleSession] != n-1 {
				t.Fatalf("outcomes %v", o.counts)
			}
			snap := w.snapshot(t, u)
			// Exactly the winner's verifier is stored, one version up, with the old one
			// in the history: no acknowledged renewal is lost, no loser's renewal won.
			want := w.p.Verifier([]byte(snap.Cred.Identity), []byte(passcode.Normalize(newPass(o.winner))), snap.Cred.Salt)
			if snap.Cred.Version != 2 || !bytes.Equal(snap.Cred.Verifier, want) || len(snap.Cred.History) != 1 {
				t.Fatalf("credential version %d, %d history entries, winner's verifier: %v",
					snap.Cred.Version, len(snap.Cred.History), bytes.Equal(snap.Cred.Verifier, want))
			}
			if snap.User.FailedAttempts != 0 {
				t.Fatalf("stale sessions counted as failures: %d", snap.User.FailedAttempts)
			}
			w.mustAuthenticate(t, u, newPass(o.winner))
		})
	}
}

// TestConcurrentRegistrations: of 16 registrations of one user completed at once,
// one succeeds and the rest are PASSCODE_ALREADY_REGISTERED.
func TestConcurrentRegistrations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "")
	const n = 16
	sessions := make([]started, n)
	reqs := make([]api.CompleteRequest, n)
	for i := range n {
		sessions[i] = w.start(t, w.full, api.FlowRegistration, u.ref(), standard)
		reqs[i], _ = sessions[i].request(t, api.FlowRegistration, "", newPass(i))
	}
	var o outcomes
	race(n, func(i int) {
		_, _, err := w.complete(w.full, api.FlowRegistration, sessions[i], reqs[i])
		o.add(i, err)
	})
	if o.counts[""] != 1 || o.counts[api.CodePasscodeAlreadyRegistered] != n-1 {
		t.Fatalf("outcomes %v", o.counts)
	}
	w.mustAuthenticate(t, u, newPass(o.winner))
}

// TestConcurrentMixedTraffic runs many users' whole flows at once (a smoke test for
// -race across handlers, store and metrics).
func TestConcurrentMixedTraffic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	const n = 12
	users := make([]testUser, n)
	for i := range users {
		users[i] = w.newUser(t, "Start-Pass-1")
	}
	errs := make(chan error, n)
	race(n, func(i int) {
		u := users[i]
		if _, err := api.Renew(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1", newPass(i)); err != nil {
			errs <- fmt.Errorf("user %d renew: %w", i, err)
			return
		}
		if _, err := api.Authenticate(ctx, w.full, defStore, u.extRef(), standard, newPass(i)); err != nil {
			errs <- fmt.Errorf("user %d authenticate: %w", i, err)
			return
		}
		if _, _, err := w.full.GetUser(ctx, defStore, u.ID); err != nil {
			errs <- err
		}
	})
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func newPass(i int) string { return fmt.Sprintf("New-Pass-%02d!", i) }
