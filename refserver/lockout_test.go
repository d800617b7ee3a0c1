package refserver_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// secondStore is a store of acme with a lock of 3 attempts, as the fixtures'
// "secondary".
const secondStore = "secondary"

// addSecondStore adds acme/secondary (maxFailedAttempts 3) with the standard policy.
func (w *world) addSecondStore(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	err := w.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: acme, Name: secondStore,
			Lock: store.LockConfig{MaxFailedAttempts: 3, LockDuration: time.Minute}}); err != nil {
			return err
		}
		return tx.CreatePolicy(ctx, store.Policy{Tenant: acme, Store: secondStore, Name: standard,
			Requirements: passcode.Requirements{MinimumLength: 8, PasscodeHistory: 3}})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// newUserInStore adds an ACTIVE user registered with pass to acme/storeName.
func (w *world) newUserInStore(tb testing.TB, storeName, pass string) testUser {
	tb.Helper()
	id, err := api.NewID()
	if err != nil {
		tb.Fatal(err)
	}
	u := store.User{Tenant: acme, Store: storeName, ID: id, ExternalID: "ext-" + strings.ToLower(id[:10]),
		Status: store.StatusActive, DateCreated: w.clock.Now()}
	ctx := context.Background()
	err = w.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, w.credential(tb, u, pass))
	})
	if err != nil {
		tb.Fatal(err)
	}
	return testUser{User: u, pass: pass}
}

// burstAnswer is one completion's answer: its code ("" for 200) and, for an error,
// its body.
type burstAnswer struct {
	code api.Code
	body []byte
}

// burst starts n sessions of flow for u in storeName through c, then completes all
// of them at once with a wrong passcode, except completion right (none when
// negative), which proves the right one. It returns the answers and the user after.
func (w *world) burst(t *testing.T, c *api.Client, flow api.Flow, storeName string, u testUser, n, right int) ([]burstAnswer, store.User) {
	t.Helper()
	ctx := context.Background()
	reqs := make([]api.CompleteRequest, n)
	ids := make([]string, n)
	for i := range n {
		sr, _, err := c.Start(ctx, flow, storeName, u.ref(), standard)
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		sp, err := api.ParseStart(sr, "", true)
		if err != nil {
			t.Fatal(err)
		}
		pass := fmt.Sprintf("Wrong-Guess-%d", i)
		if i == right {
			pass = u.pass
		}
		if flow == api.FlowRenewal {
			reqs[i].SRPRegistrationData = &api.SRPRegistrationData{Verifier: sp.Verifier(fmt.Sprintf("Next-Pass-%d", i))}
		}
		if reqs[i].SRPVerificationData, _, err = sp.Prove(pass); err != nil {
			t.Fatal(err)
		}
		ids[i] = sr.SessionID
	}
	out := make([]burstAnswer, n)
	var mu sync.Mutex
	race(n, func(i int) {
		_, ex, err := c.Complete(ctx, flow, storeName, ids[i], reqs[i])
		a := burstAnswer{code: api.ErrorCode(err)}
		if err != nil && a.code == "" {
			a.code = api.Code("transport: " + err.Error())
		}
		if err != nil && ex != nil {
			a.body = ex.ResponseBody
		}
		mu.Lock()
		out[i] = a
		mu.Unlock()
	})
	var after store.User
	err := w.st.View(ctx, func(tx store.Tx) error {
		var err error
		after, err = tx.User(ctx, acme, storeName, u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, after
}

// TestLockoutBurst: 50 sessions of one user completed at once with wrong proofs,
// with and without the right proof hidden among them (SPEC section 9, issue 14):
// at most the limit are INVALID_PROOF and the rest USER_LOCKED; the right proof gets
// 200 only if it was evaluated before the limit, else the very answer of the wrong
// ones refused for the lock. For authentication and renewal, both stores, both path
// forms, and a store with another limit.
func TestLockoutBurst(t *testing.T) {
	t.Parallel()
	const n = 50
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The burst is 50 sessions of one user, over the default cap of
			// open sessions per user (32), which would drop the oldest 18.
			w := newWorldWith(t, worldOpts{store: st, cfg: refserver.Config{MaxSessionsPerUser: 2 * n}})
			w.addSecondStore(t)
			host := *w.full
			host.HostForm = true
			for _, tc := range []struct {
				flow  api.Flow
				store string
				limit int
				c     *api.Client
				form  string
			}{
				{api.FlowAuthentication, defStore, 5, w.full, "tenant"},
				{api.FlowRenewal, defStore, 5, w.full, "tenant"},
				{api.FlowAuthentication, secondStore, 3, w.full, "tenant"},
				{api.FlowRenewal, secondStore, 3, &host, "host"},
				{api.FlowAuthentication, defStore, 5, &host, "host"},
			} {
				for _, hidden := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%s/right-%v", tc.flow, tc.store, tc.form, hidden)
					t.Run(name, func(t *testing.T) {
						u := w.newUserInStore(t, tc.store, "Right-Pass-1")
						right := -1
						if hidden {
							right = rand.IntN(n)
						}
						out, after := w.burst(t, tc.c, tc.flow, tc.store, u, n, right)
						counts := map[api.Code]int{}
						var locked []byte
						for i, a := range out {
							counts[a.code]++
							if a.code == api.CodeUserLocked && i != right {
								locked = a.body
							}
						}
						t.Logf("outcomes %v", counts)
						if right >= 0 && out[right].code == "" {
							// Evaluated before the limit: it succeeded and reset the count,
							// after at most limit-1 failures; at most limit more follow.
							if counts[api.CodeInvalidProof] > 2*tc.limit-1 {
								t.Errorf("%d INVALID_PROOF around a success, want at most %d", counts[api.CodeInvalidProof], 2*tc.limit-1)
							}
							return
						}
						if counts[api.CodeInvalidProof] != tc.limit || counts[api.CodeUserLocked] != n-tc.limit {
							t.Errorf("outcomes %v, want %d INVALID_PROOF and %d USER_LOCKED", counts, tc.limit, n-tc.limit)
						}
						if right >= 0 {
							if out[right].code != api.CodeUserLocked || !bytes.Equal(out[right].body, locked) {
								t.Errorf("the right proof got %s %s, want exactly the wrong ones' USER_LOCKED answer %s",
									out[right].code, out[right].body, locked)
							}
						}
						if after.StatusAt(w.clock.Now()) != store.StatusTempLocked || after.FailedAttempts != tc.limit {
							t.Errorf("user %s with %d failures, want TEMP_LOCKED with %d", after.Status, after.FailedAttempts, tc.limit)
						}
					})
				}
			}
		})
	}
}

// TestLockoutOtherSessionsStayValid: a counted failure changes nothing else: a
// session of the same user started before it still completes.
func TestLockoutOtherSessionsStayValid(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Right-Pass-1")
	keep := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
	bad := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
	req, _ := bad.request(t, api.FlowAuthentication, "Wrong-Pass-1", "")
	_, _, err := w.complete(w.full, api.FlowAuthentication, bad, req)
	wantAPIError(t, err, nil, api.CodeInvalidProof)
	req, _ = keep.request(t, api.FlowAuthentication, "Right-Pass-1", "")
	if _, _, err := w.complete(w.full, api.FlowAuthentication, keep, req); err != nil {
		t.Fatalf("the other session after a counted failure: %v", err)
	}
	if got := w.snapshot(t, u).User.FailedAttempts; got != 0 {
		t.Fatalf("failures after a success: %d, want 0", got)
	}
}

// TestLockoutRenewalResets: a successful renewal resets the count, as an
// authentication does.
func TestLockoutRenewalResets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Right-Pass-1")
	for range 4 {
		s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
		req, _ := s.request(t, api.FlowRenewal, "Wrong-Pass-1", "Next-Pass-22")
		_, _, err := w.complete(w.full, api.FlowRenewal, s, req)
		wantAPIError(t, err, nil, api.CodeInvalidProof)
	}
	s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
	req, _ := s.request(t, api.FlowRenewal, "Right-Pass-1", "Next-Pass-22")
	if _, _, err := w.complete(w.full, api.FlowRenewal, s, req); err != nil {
		t.Fatal(err)
	}
	if got := w.snapshot(t, u).User.FailedAttempts; got != 0 {
		t.Fatalf("failures after a successful renewal: %d, want 0", got)
	}
}

// TestLockoutReleasesUncounted: completions that fail for a reason that does not
// count (malformed, invalid verifier, history, stale) leave no attempt in flight and
// no failure, so five of them do not lock the user.
func TestLockoutReleasesUncounted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Right-Pass-1")
	ctx := context.Background()
	for i := range 6 {
		s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
		req, _ := s.request(t, api.FlowRenewal, "Right-Pass-1", "Right-Pass-1") // history
		want := api.CodePasscodeHistoryViolation
		switch i % 3 {
		case 1:
			req.SRPRegistrationData.Verifier = "AQ" // 1: INVALID_VERIFIER
			want = api.CodeInvalidVerifier
		case 2:
			req.SRPVerificationData.M1 = "!!" // not base64: INVALID_REQUEST
			want = api.CodeInvalidRequest
		}
		_, _, err := w.complete(w.full, api.FlowRenewal, s, req)
		wantAPIError(t, err, nil, want)
	}
	var inFlight int
	err := w.st.View(ctx, func(tx store.Tx) error {
		var err error
		inFlight, err = tx.Attempts(ctx, acme, defStore, u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	snap := w.snapshot(t, u)
	if inFlight != 0 || snap.User.FailedAttempts != 0 || snap.User.Status != store.StatusActive {
		t.Fatalf("after uncounted failures: %d attempts in flight, %d failures, %s; want none and ACTIVE",
			inFlight, snap.User.FailedAttempts, snap.User.Status)
	}
	w.mustAuthenticate(t, u, "Right-Pass-1")
}
