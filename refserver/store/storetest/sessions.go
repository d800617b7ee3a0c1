package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// userSession is a session of userID in t1/s1 created at created and live for an hour.
func userSession(id, userID string, created time.Time) store.Session {
	s := session(id, store.FlowAuthentication, created.Add(time.Hour))
	s.UserID, s.CreatedAt = userID, created
	return s
}

// putWithin puts s within lim at now.
func putWithin(st store.Store, s store.Session, lim store.SessionLimits, now time.Time) (int, error) {
	return st.Sessions().Put(context.Background(), s, lim, now)
}

// put stores each session, as a setup step: with no limits and at the zero time, at
// which nothing has expired, so that it removes nothing.
func put(tb testing.TB, st store.Store, ss ...store.Session) {
	tb.Helper()
	for _, s := range ss {
		if _, err := st.Sessions().Put(context.Background(), s, store.SessionLimits{}, time.Time{}); err != nil {
			tb.Fatalf("Put %s: %v", s.ID, err)
		}
	}
}

// ref names session id of flow in t1/s1, where the suite's sessions are.
func ref(id string, flow store.Flow) store.SessionRef {
	return store.SessionRef{ID: id, Flow: flow, Tenant: "t1", Store: "s1"}
}

// take takes the session r names at now.
func take(st store.Store, r store.SessionRef, now time.Time) (store.Session, error) {
	return st.Sessions().Take(context.Background(), r, now)
}

// get returns session id at now without taking it.
func get(st store.Store, id string, now time.Time) (store.Session, error) {
	return st.Sessions().Get(context.Background(), id, now)
}

// openIDs returns the ids of the given sessions that are open at now, in the order
// given.
func openIDs(tb testing.TB, st store.Store, now time.Time, ids ...string) []string {
	tb.Helper()
	var out []string
	for _, id := range ids {
		_, err := get(st, id, now)
		switch {
		case err == nil:
			out = append(out, id)
		case !errors.Is(err, store.ErrSessionNotFound):
			tb.Errorf("Get %s: %v", id, err)
		}
	}
	return out
}

// countSessions returns Count at now.
func countSessions(tb testing.TB, st store.Store, now time.Time) int {
	tb.Helper()
	n, err := st.Sessions().Count(context.Background(), now)
	if err != nil {
		tb.Fatalf("Count: %v", err)
	}
	return n
}

// purge purges the sessions expired at now and returns how many went.
func purge(tb testing.TB, st store.Store, now time.Time) int {
	tb.Helper()
	n, err := st.Sessions().Purge(context.Background(), now)
	if err != nil {
		tb.Fatalf("Purge: %v", err)
	}
	return n
}

// testSessionLimitPerUser: a put for a user with PerUser open sessions drops the
// oldest (by CreatedAt, then ID), which is then not found, as an expired session is;
// the user's expired sessions go too but are not counted as dropped; other users'
// sessions stay; a refused put drops nothing.
func testSessionLimitPerUser(t *testing.T, st store.Store) {
	seedWorld(t, st)
	lim := store.SessionLimits{PerUser: 3}
	other := userSession("O1", "u2", base.Add(-30*time.Minute))
	put(t, st, other)
	// A1 and A2 share a CreatedAt: the smaller ID is the older.
	created := []time.Duration{0, 0, time.Second, 2 * time.Second, 3 * time.Second}
	wantDropped := []int{0, 0, 0, 1, 1}
	for i, d := range created {
		id := fmt.Sprintf("A%d", i+1)
		n, err := putWithin(st, userSession(id, "u1", base.Add(d)), lim, base)
		check(t, "Put "+id, err, nil)
		same(t, "dropped by "+id, n, wantDropped[i])
	}
	same(t, "open after five puts", openIDs(t, st, base, "A1", "A2", "A3", "A4", "A5", "O1"), []string{"A3", "A4", "A5", "O1"})
	_, err := take(st, ref("A1", store.FlowAuthentication), base)
	check(t, "Take of a dropped session", err, store.ErrSessionNotFound)

	// A put refused, for an id in use, drops nothing.
	n, err := putWithin(st, userSession("A5", "u1", base.Add(4*time.Second)), lim, base)
	check(t, "Put of an id in use", err, store.ErrSessionExists)
	same(t, "dropped by a refused put", n, 0)
	same(t, "open after a refused put", openIDs(t, st, base, "A3", "A4", "A5"), []string{"A3", "A4", "A5"})

	// A taken session no longer counts: A4 is taken, so A6 fits beside A3 and A5.
	_, err = take(st, ref("A4", store.FlowAuthentication), base)
	check(t, "Take A4", err, nil)
	n, err = putWithin(st, userSession("A6", "u1", base.Add(4*time.Second)), lim, base)
	check(t, "Put A6", err, nil)
	same(t, "dropped by A6 after a take", n, 0)

	// Expired sessions of the user go without counting as dropped: at A3's expiry
	// (an hour after base+1s), A3 is expired, A5 and A6 are open, and A7 fits.
	later := base.Add(time.Hour + time.Second)
	n, err = putWithin(st, userSession("A7", "u1", later), lim, later)
	check(t, "Put A7", err, nil)
	same(t, "dropped by A7", n, 0)
	same(t, "purged (O1; A3 went with A7's put)", purge(t, st, later), 1)
	same(t, "open at the end", openIDs(t, st, later, "A3", "A5", "A6", "A7"), []string{"A5", "A6", "A7"})

	// A taken id is free again, a used one is not, and the limit 0 drops nothing.
	n, err = putWithin(st, userSession("A5", "u1", later), store.SessionLimits{}, later)
	check(t, "Put of an open id", err, store.ErrSessionExists)
	same(t, "dropped by a refused put", n, 0)
	for i := range 5 {
		_, err := putWithin(st, userSession(fmt.Sprintf("B%d", i), "u1", later), store.SessionLimits{}, later)
		check(t, "Put without limits", err, nil)
	}
	same(t, "Count without limits", countSessions(t, st, later), 8)
}

// testSessionLimitTotal: a put that would make the store hold more than Total
// sessions is ErrSessionsFull and changes nothing; expired sessions count until they
// are removed; a user at its own limit still gets a session, since the drop makes
// room.
func testSessionLimitTotal(t *testing.T, st store.Store) {
	seedWorld(t, st)
	lim := store.SessionLimits{PerUser: 2, Total: 4}
	dead := userSession("DEAD", "u3", base.Add(-2*time.Hour)) // expired an hour before base
	put(t, st, dead)
	for i, u := range []string{"u1", "u1", "u2"} {
		_, err := putWithin(st, userSession(fmt.Sprintf("F%d", i), u, base), lim, base)
		check(t, "Put", err, nil)
	}
	// Four held (one expired): u2's second is refused, and changes nothing.
	n, err := putWithin(st, userSession("F3", "u2", base), lim, base)
	check(t, "Put into a full store", err, store.ErrSessionsFull)
	same(t, "dropped by a refused put", n, 0)
	same(t, "open after the refusal", openIDs(t, st, base, "F0", "F1", "F2", "F3"), []string{"F0", "F1", "F2"})
	// u1 is at its own limit: its oldest goes, so its new one fits.
	n, err = putWithin(st, userSession("F4", "u1", base.Add(time.Second)), lim, base)
	check(t, "Put at the user's limit", err, nil)
	same(t, "dropped at the user's limit", n, 1)
	same(t, "open after the drop", openIDs(t, st, base, "F0", "F1", "F2", "F4"), []string{"F1", "F2", "F4"})
	// u3's put removes u3's expired session and fits in its place.
	n, err = putWithin(st, userSession("F5", "u3", base), lim, base)
	check(t, "Put for the user with an expired session", err, nil)
	same(t, "dropped with an expired one", n, 0)
	_, err = putWithin(st, userSession("F6", "u2", base), lim, base)
	check(t, "Put into a full store again", err, store.ErrSessionsFull)
	// Purged, expired sessions make room; taken ones do too.
	_, err = take(st, ref("F1", store.FlowAuthentication), base)
	check(t, "Take F1", err, nil)
	_, err = putWithin(st, userSession("F6", "u2", base), lim, base)
	check(t, "Put after a take", err, nil)
	later := base.Add(2 * time.Hour) // every session so far is expired
	// u9 has no sessions of its own to clear.
	_, err = putWithin(st, userSession("F7", "u9", later), store.SessionLimits{Total: 4}, later)
	check(t, "Put of a full store of expired sessions", err, store.ErrSessionsFull)
	same(t, "purged", purge(t, st, later), 4)
	_, err = putWithin(st, userSession("F7", "u9", later), store.SessionLimits{Total: 4}, later)
	check(t, "Put after the purge", err, nil)
}

// testSessionLimitsConcurrent: 64 concurrent puts of one user under PerUser 8 leave
// exactly 8 open, and the dropped ones are the oldest; 64 concurrent puts of as many
// users under Total 16 admit exactly 16.
func testSessionLimitsConcurrent(t *testing.T, st store.Store) {
	seedWorld(t, st)
	const n = 64
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("C%02d", i)
	}
	// Puts run one at a time, so every put after the eighth drops exactly one.
	winners, errs := race(n, func(i int) (bool, error) {
		d, err := putWithin(st, userSession(ids[i], "u1", base.Add(time.Duration(i)*time.Millisecond)), store.SessionLimits{PerUser: 8}, base)
		return d == 1, err
	})
	if len(errs) > 0 {
		t.Fatalf("concurrent puts failed: %v", errs)
	}
	if open := openIDs(t, st, base, ids...); len(open) != 8 || len(winners) != n-8 {
		t.Errorf("%d of %d sessions open and %d puts dropped one, want 8 open and %d drops", len(open), n, len(winners), n-8)
	}

	purge(t, st, base.Add(2*time.Hour))
	lim := store.SessionLimits{PerUser: 1, Total: 16}
	winners, errs = race(n, func(i int) (bool, error) {
		_, err := putWithin(st, userSession(fmt.Sprintf("T%02d", i), fmt.Sprintf("user-%02d", i), base), lim, base)
		if errors.Is(err, store.ErrSessionsFull) {
			return false, nil
		}
		return err == nil, err
	})
	if len(winners) != 16 || len(errs) > 0 {
		t.Errorf("%d of %d puts under Total 16 succeeded (want 16); other errors: %v", len(winners), n, errs)
	}
	same(t, "Count under Total 16", countSessions(t, st, base), 16)
}

// Bounds of SessionHeap, also stated in refserver/README.md (Bounded sessions).
const (
	// HeapStarts is how many sessions SessionHeap puts.
	HeapStarts = 100_000
	// HeapBoundFewUsers is the most the heap may grow by after HeapStarts puts for
	// two users under the server's default limits (32 per user): 64 sessions stay.
	HeapBoundFewUsers = 2 << 20
	// HeapBoundPerSession is the most heap one held session may take, record and
	// indexes, so that HeapStarts sessions of as many users (the server's default
	// Total) stay under HeapStarts * HeapBoundPerSession, about 195 MiB. Measured:
	// about 1.3-1.4 KB.
	HeapBoundPerSession = 2 << 10
)

// SessionHeap checks that HeapStarts session starts keep the heap bounded: puts of
// server-sized sessions (26-character ids, 32-byte salt and secret, 256-byte B) for
// two users under the server's default limits grow the heap in use (after a GC) by
// less than HeapBoundFewUsers, and HeapStarts sessions of as many users take less
// than HeapBoundPerSession each. It reports the measurements with t.Log. open must
// return a new, empty Store. Call it from a test that does not run in parallel with
// others (a top-level test without t.Parallel runs alone): the heap is the
// process's. Skipped with -short and under the race detector.
func SessionHeap(t *testing.T, open func(tb testing.TB) store.Store) {
	switch {
	case testing.Short():
		t.Skip("-short: 200,000 session puts")
	case raceEnabled:
		t.Skip("under -race: too slow, and the race detector changes what is allocated")
	}
	limits := store.SessionLimits{PerUser: 32, Total: HeapStarts}
	for _, tc := range []struct {
		name  string
		users int
		bound func(held int) uint64
	}{
		{"two users", 2, func(int) uint64 { return HeapBoundFewUsers }},
		{"a user each", HeapStarts, func(held int) uint64 { return uint64(held) * HeapBoundPerSession }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			seedWorld(t, st)
			before := heapInUse()
			start := time.Now()
			for i := range HeapStarts {
				s := heapSession(i, tc.users)
				if _, err := putWithin(st, s, limits, base); err != nil {
					t.Fatalf("put %d: %v", i, err)
				}
			}
			took := time.Since(start)
			after := heapInUse()
			held := countSessions(t, st, base)
			grew := uint64(0)
			if after > before {
				grew = after - before
			}
			t.Logf("%d starts for %d users in %v: %d sessions held, heap in use %d -> %d bytes (+%.1f MiB, %.0f bytes per held session)",
				HeapStarts, tc.users, took.Round(time.Millisecond), held, before, after, float64(grew)/(1<<20), float64(grew)/float64(max(held, 1)))
			if want := min(HeapStarts, tc.users*limits.PerUser); held != want {
				t.Errorf("%d sessions held, want %d", held, want)
			}
			if bound := tc.bound(held); grew > bound {
				t.Errorf("the heap grew by %d bytes, over the bound of %d", grew, bound)
			}
			runtime.KeepAlive(st)
		})
	}
}

// heapSession is the i-th session of SessionHeap, sized as the server's are, for one
// of users users.
func heapSession(i, users int) store.Session {
	id := fmt.Sprintf("%026d", i)
	return store.Session{
		ID: id, Flow: store.FlowAuthentication, Tenant: "t1", Store: "s1",
		UserID: fmt.Sprintf("%026d", i%users), Policy: "standard",
		Identity: "IDENTITYIDENTITYIDENTITY26", Salt: make([]byte, 32), CredentialVersion: 1,
		ServerSecret: make([]byte, 32), ServerPublic: make([]byte, 256),
		CreatedAt: base.Add(time.Duration(i)), ExpiresAt: base.Add(time.Hour),
	}
}

// heapInUse returns runtime.MemStats.HeapInuse after two garbage collections.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
