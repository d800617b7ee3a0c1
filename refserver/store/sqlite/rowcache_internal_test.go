package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// openCounted opens a file database whose transactions count their statements, and
// seeds it (seed) with policy p besides.
func openCounted(tb testing.TB) (*Store, *testCounters) {
	tb.Helper()
	st, _ := openFile(tb)
	st.counters = &testCounters{}
	seed(tb, st)
	update(tb, st, func(tx store.Tx) error { return tx.CreatePolicy(context.Background(), policyP()) })
	return st, st.counters
}

func policyP() store.Policy {
	return store.Policy{Tenant: "t", Store: "s", Name: "p", Requirements: passcode.Requirements{
		MinimumLength:     4,
		RequiredRegExes:   []passcode.Regex{{Pattern: "[0-9]", Error: "a digit"}},
		AllowedRegExes:    []passcode.Regex{},
		DisallowedRegExes: []passcode.Regex{{Pattern: "^1234$", Error: "too simple"}},
	}}
}

// rows is what the three cached reads return for t/s/u and policy p, errors included.
type rows struct {
	user                  store.User
	policy                store.Policy
	cred                  store.Credential
	userErr, polErr, cErr string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readRows reads the rows in tx.
func readRows(ctx context.Context, tx store.Tx) rows {
	var r rows
	var err error
	r.user, err = tx.User(ctx, "t", "s", "u")
	r.userErr = errText(err)
	r.policy, err = tx.Policy(ctx, "t", "s", "p")
	r.polErr = errText(err)
	r.cred, err = tx.Credential(ctx, "t", "s", "u")
	r.cErr = errText(err)
	return r
}

// viewRows reads the rows in a View.
func viewRows(tb testing.TB, st *Store) rows {
	tb.Helper()
	ctx := context.Background()
	var r rows
	if err := st.View(ctx, func(tx store.Tx) error { r = readRows(ctx, tx); return nil }); err != nil {
		tb.Fatal(err)
	}
	return r
}

// databaseRows reads the rows from the database: in a View with the row cache emptied
// first (and emptied again after, so it is left as cold as it was made).
func databaseRows(tb testing.TB, st *Store) rows {
	tb.Helper()
	st.rows.clear()
	defer st.rows.clear()
	return viewRows(tb, st)
}

// cacheSize returns the number of entries of each kind in the row cache.
func cacheSize(st *Store) (users, policies, creds int) {
	st.rows.mu.Lock()
	defer st.rows.mu.Unlock()
	return len(st.rows.users), len(st.rows.policies), len(st.rows.credentials)
}

// statementsDuring returns the statements run and SQL transactions begun by fn.
func statementsDuring(c *testCounters, fn func()) (statements, begins int64) {
	s0, b0 := c.statements.Load(), c.begins.Load()
	fn()
	return c.statements.Load() - s0, c.begins.Load() - b0
}

// TestRowCacheHits: once warm, a View on the writer and an Update read the user,
// policy and credential without any SQL and get what the database gives; an Update
// that takes a session and reads them begins no SQL transaction.
func TestRowCacheHits(t *testing.T) {
	ctx := context.Background()
	st, c := openCounted(t)
	want := databaseRows(t, st)
	if want.userErr != "" || want.polErr != "" || want.cErr != "" {
		t.Fatalf("reads failed: %+v", want)
	}
	if n, _ := statementsDuring(c, func() { viewRows(t, st) }); n == 0 {
		t.Fatal("a cold View ran no statements: the counters do not count")
	}
	var got rows
	if n, b := statementsDuring(c, func() { got = viewRows(t, st) }); n != 0 || b != 0 {
		t.Errorf("warm View: %d statements, %d transactions, want none", n, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warm View read\n%+v\nwant\n%+v", got, want)
	}
	n, b := statementsDuring(c, func() {
		update(t, st, func(tx store.Tx) error { got = readRows(ctx, tx); return nil })
	})
	if n != 0 || b != 0 {
		t.Errorf("warm Update: %d statements, %d transactions, want none", n, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warm Update read\n%+v\nwant\n%+v", got, want)
	}
	// A completion's consume: Take, then User, Policy, Credential in an Update.
	n, b = statementsDuring(c, func() {
		if _, err := st.Sessions().Take(ctx, refNamed("S1"), t0); err != nil {
			t.Fatal(err)
		}
		update(t, st, func(tx store.Tx) error {
			got = readRows(ctx, tx)
			return nil
		})
	})
	if n != 0 || b != 0 {
		t.Errorf("consume Update: %d statements, %d transactions, want none", n, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("consume Update read\n%+v\nwant\n%+v", got, want)
	}
	if _, err := st.Sessions().Get(ctx, "S1", t0); !errors.Is(err, store.ErrSessionNotFound) {
		t.Errorf("Get of the session the consume took = %v, want ErrSessionNotFound", err)
	}
	// The lockout attempt of a completion: the store's lock configuration, the
	// reservation and its release run no SQL either once the store is cached.
	update(t, st, func(tx store.Tx) error { _, err := tx.IdentityStore(ctx, "t", "s"); return err })
	n, b = statementsDuring(c, func() {
		update(t, st, func(tx store.Tx) error {
			is, err := tx.IdentityStore(ctx, "t", "s")
			if err != nil {
				return err
			}
			return tx.ReserveAttempt(ctx, "t", "s", "u", is.Lock.OrDefault().MaxFailedAttempts, t0)
		})
		update(t, st, func(tx store.Tx) error { return tx.ReleaseAttempt(ctx, "t", "s", "u") })
	})
	if n != 0 || b != 0 {
		t.Errorf("reserve and release: %d statements, %d transactions, want none", n, b)
	}
	// Misses still go to the database, with its errors.
	err := st.View(ctx, func(tx store.Tx) error {
		if _, err := tx.User(ctx, "t", "nostore", "u"); !errors.Is(err, store.ErrStoreNotFound) {
			t.Errorf("User in a missing store: %v, want ErrStoreNotFound", err)
		}
		if _, err := tx.Policy(ctx, "nott", "s", "p"); !errors.Is(err, store.ErrTenantNotFound) {
			t.Errorf("Policy in a missing tenant: %v, want ErrTenantNotFound", err)
		}
		if _, err := tx.Credential(ctx, "t", "s", "nouser"); !errors.Is(err, store.ErrUserNotFound) {
			t.Errorf("Credential of a missing user: %v, want ErrUserNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, p, cr := cacheSize(st); u != 1 || p != 1 || cr != 1 {
		t.Errorf("cache holds %d users, %d policies, %d credentials; want 1 each (not-found is not cached)", u, p, cr)
	}
}

// TestRowCacheTrackedWrites: UpdateUser and UpdateCredential are read back in the same
// Update, and by later Views and Updates from the cache, exactly as the database
// gives them.
func TestRowCacheTrackedWrites(t *testing.T) {
	ctx := context.Background()
	st, c := openCounted(t)
	old := databaseRows(t, st)
	viewRows(t, st) // warm
	// A time with a zone and a monotonic reading: the database keeps neither.
	locked := time.Now().In(time.FixedZone("X", 3600)).Add(time.Hour)
	u := old.user
	u.FailedAttempts, u.Status, u.LockedUntil = 3, store.StatusTempLocked, locked
	cred := old.cred.Renewed([]byte("v2"))
	cred.Salt = []byte("salt2")
	var inside rows
	update(t, st, func(tx store.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.UpdateCredential(ctx, cred); err != nil {
			return err
		}
		inside = readRows(ctx, tx)
		// Another renewal on top, in the same Update.
		return tx.UpdateCredential(ctx, inside.cred.Renewed([]byte("v3")))
	})
	want := databaseRows(t, st)
	if inside.user != storedUser(u) || !reflect.DeepEqual(inside.cred, cred) {
		t.Errorf("read in the writing Update:\n%+v\nwant user %+v and credential %+v", inside, storedUser(u), cred)
	}
	if want.user != storedUser(u) || want.cred.Version != 3 || string(want.cred.Verifier) != "v3" {
		t.Fatalf("database after the Update: %+v", want)
	}
	databaseRows(t, st) // leaves the cache cold
	update(t, st, func(tx store.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.UpdateCredential(ctx, want.cred.Renewed([]byte("v4")))
	})
	want = databaseRows(t, st)
	// Fill the cache from the writes alone, then read.
	update(t, st, func(tx store.Tx) error {
		u.FailedAttempts = 4
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.UpdateCredential(ctx, want.cred.Renewed([]byte("v5")))
	})
	want = databaseRows(t, st)
	update(t, st, func(tx store.Tx) error {
		u.FailedAttempts = 5
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.UpdateCredential(ctx, want.cred.Renewed([]byte("v6")))
	})
	var got, gotU rows
	n, _ := statementsDuring(c, func() {
		got = viewRows(t, st)
		update(t, st, func(tx store.Tx) error { gotU = readRows(ctx, tx); return nil })
	})
	want = databaseRows(t, st)
	if n > 2 {
		// The policy was not cached by these Updates: one statement per transaction.
		t.Errorf("reads after tracked writes ran %d statements, want the policy's only", n)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotU, want) {
		t.Errorf("after tracked writes: View read\n%+v\nUpdate read\n%+v\ndatabase has\n%+v", got, gotU, want)
	}
	if want.user.FailedAttempts != 5 || want.cred.Version != 6 {
		t.Errorf("database after the Updates: %+v", want)
	}
}

// TestRowCacheRollback: the writes and reads of an Update that fails, or whose
// context ends before its commit, never reach the cache.
func TestRowCacheRollback(t *testing.T) {
	ctx := context.Background()
	st, _ := openCounted(t)
	old := databaseRows(t, st)
	rollback := errors.New("rollback")
	write := func(tx store.Tx) error {
		u := old.user
		u.FailedAttempts = 9
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.UpdateCredential(ctx, old.cred.Renewed([]byte("rolled back"))); err != nil {
			return err
		}
		readRows(ctx, tx)
		return nil
	}
	for _, warm := range []bool{false, true} {
		st.rows.clear()
		if warm {
			viewRows(t, st)
		}
		err := st.Update(ctx, func(tx store.Tx) error { return errors.Join(write(tx), rollback) })
		if !errors.Is(err, rollback) {
			t.Fatalf("Update = %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		err = st.Update(cctx, func(tx store.Tx) error { cancel(); return write(tx) })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update with its context ended = %v", err)
		}
		if u, p, c := cacheSize(st); !warm && u+p+c != 0 {
			t.Errorf("failed Updates cached %d users, %d policies, %d credentials", u, p, c)
		}
		if got := viewRows(t, st); !reflect.DeepEqual(got, old) {
			t.Errorf("warm %v: after failed Updates, read\n%+v\nwant\n%+v", warm, got, old)
		}
		if got := databaseRows(t, st); !reflect.DeepEqual(got, old) {
			t.Fatalf("warm %v: the database changed: %+v", warm, got)
		}
	}
	// A failed sync: the commit is in the database, so the cache must not keep
	// the rows it replaced.
	viewRows(t, st)
	st.syncWAL = func() error { return errors.New("disk on fire") }
	u := old.user
	u.FailedAttempts = 7
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.UpdateUser(ctx, u) }); err == nil {
		t.Fatal("Update with a failing sync succeeded")
	}
	got := viewRows(t, st)
	if want := databaseRows(t, st); !reflect.DeepEqual(got, want) || want.user.FailedAttempts != 7 {
		t.Errorf("after a failed sync: read\n%+v\ndatabase has\n%+v", got, want)
	}
}

// TestRowCacheUntrackedWrites: after every other write method, in the same Update and
// after it, the cached reads give what the database gives.
func TestRowCacheUntrackedWrites(t *testing.T) {
	ctx := context.Background()
	other := policyP()
	other.Requirements.MinimumLength = 9
	tests := []struct {
		name  string
		write func(tx store.Tx) error
	}{
		{"DeleteCredential", func(tx store.Tx) error { return tx.DeleteCredential(ctx, "t", "s", "u") }},
		{"DeleteCredential+CreateCredential", func(tx store.Tx) error {
			c := credential()
			c.Identity, c.Salt, c.Verifier, c.History = "I2", []byte("salt2"), []byte("w1"), [][]byte{[]byte("w0")}
			return errors.Join(tx.DeleteCredential(ctx, "t", "s", "u"), tx.CreateCredential(ctx, c))
		}},
		{"UpdatePolicy", func(tx store.Tx) error { return tx.UpdatePolicy(ctx, other) }},
		{"DeletePolicy", func(tx store.Tx) error { return tx.DeletePolicy(ctx, "t", "s", "p") }},
		{"DeletePolicy+CreatePolicy", func(tx store.Tx) error {
			return errors.Join(tx.DeletePolicy(ctx, "t", "s", "p"), tx.CreatePolicy(ctx, other))
		}},
		{"CreateUser", func(tx store.Tx) error {
			return tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: "u2", ExternalID: "e2", Status: store.StatusActive})
		}},
		{"PutIdentityStore", func(tx store.Tx) error {
			return tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t", Name: "s", Lock: store.LockConfig{MaxFailedAttempts: 3}})
		}},
		{"PutTenant", func(tx store.Tx) error { return tx.PutTenant(ctx, store.Tenant{ID: "t"}) }},
		{"PutOAuthClient", func(tx store.Tx) error {
			return tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c", SecretHash: store.HashSecret("x"), Tenant: "t"})
		}},
		// A tracked write, then an untracked one on the same row.
		{"UpdateCredential+DeleteCredential", func(tx store.Tx) error {
			c, err := tx.Credential(ctx, "t", "s", "u")
			if err != nil {
				return err
			}
			return errors.Join(tx.UpdateCredential(ctx, c.Renewed([]byte("v2"))), tx.DeleteCredential(ctx, "t", "s", "u"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openCounted(t)
			old := databaseRows(t, st)
			viewRows(t, st) // warm
			var inside rows
			update(t, st, func(tx store.Tx) error {
				readRows(ctx, tx) // pending reads before the write
				if err := tc.write(tx); err != nil {
					return err
				}
				inside = readRows(ctx, tx)
				return nil
			})
			after := viewRows(t, st)
			var afterU rows
			update(t, st, func(tx store.Tx) error { afterU = readRows(ctx, tx); return nil })
			want := databaseRows(t, st)
			if !reflect.DeepEqual(inside, want) {
				t.Errorf("read in the writing Update\n%+v\ndatabase has\n%+v", inside, want)
			}
			if !reflect.DeepEqual(after, want) || !reflect.DeepEqual(afterU, want) {
				t.Errorf("read after it: View\n%+v\nUpdate\n%+v\ndatabase has\n%+v", after, afterU, want)
			}
			if reflect.DeepEqual(old, want) && tc.name != "CreateUser" && tc.name != "PutTenant" &&
				tc.name != "PutIdentityStore" && tc.name != "PutOAuthClient" {
				t.Error("the write changed none of the rows read: the test tests nothing")
			}
		})
	}
}

// TestRowCachePoolViews: a View on the read pool neither reads nor fills the cache:
// beside an Update that holds the writer it reads its snapshot, also of rows an
// Update commits (and caches) while it runs.
func TestRowCachePoolViews(t *testing.T) {
	ctx := context.Background()
	st, c := openCounted(t)
	old := databaseRows(t, st)
	newUser := old.user
	newUser.FailedAttempts = 1
	for _, warm := range []bool{false, true} {
		update(t, st, func(tx store.Tx) error { return tx.UpdateUser(ctx, old.user) })
		st.rows.clear()
		if warm {
			viewRows(t, st)
		}
		aIn, vStarted, aDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
		updated := make(chan error, 1)
		go func() {
			updated <- st.Update(ctx, func(tx store.Tx) error {
				if err := tx.UpdateUser(ctx, newUser); err != nil {
					return err
				}
				if _, err := tx.User(ctx, "t", "s", "u"); err != nil {
					return err
				}
				close(aIn)
				<-vStarted
				return nil
			})
			close(aDone)
		}()
		<-aIn
		var before, during rows
		n, _ := statementsDuring(c, func() {
			err := st.View(ctx, func(tx store.Tx) error {
				before = readRows(ctx, tx) // the snapshot begins here
				if u, p, cr := cacheSize(st); !warm && u+p+cr != 0 {
					t.Errorf("a pool View filled the cache: %d users, %d policies, %d credentials", u, p, cr)
				}
				close(vStarted)
				<-aDone // the Update has committed its user, and cached it
				var err error
				during.user, err = tx.User(ctx, "t", "s", "u")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		if err := <-updated; err != nil {
			t.Fatal(err)
		}
		if n < 4 {
			t.Errorf("warm %v: the pool View ran %d statements: it read the cache", warm, n)
		}
		if !reflect.DeepEqual(before, old) {
			t.Errorf("warm %v: pool View beside an Update read\n%+v\nwant the committed\n%+v", warm, before, old)
		}
		if during.user != old.user {
			t.Errorf("warm %v: pool View read %+v after a commit, want its snapshot's %+v", warm, during.user, old.user)
		}
		if got := viewRows(t, st); got.user != newUser {
			t.Errorf("warm %v: after the commit, read %+v, want %+v", warm, got.user, newUser)
		}
	}
}

// TestRowCacheReturnsCopies: changing what a read returns, or what was written,
// changes no later read.
func TestRowCacheReturnsCopies(t *testing.T) {
	ctx := context.Background()
	st, _ := openCounted(t)
	want := databaseRows(t, st)
	scribble := func(r rows) {
		r.policy.Requirements.RequiredRegExes[0].Pattern = "scribbled"
		r.policy.Requirements.DisallowedRegExes[0] = passcode.Regex{}
		_ = append(r.policy.Requirements.AllowedRegExes[:0], passcode.Regex{Pattern: "x"})
		r.cred.Salt[0] ^= 0xff
		r.cred.Verifier[0] ^= 0xff
		r.cred.History = append(r.cred.History[:0], []byte("x"))
	}
	scribble(viewRows(t, st)) // filled from the database
	scribble(viewRows(t, st)) // read from the cache
	update(t, st, func(tx store.Tx) error {
		scribble(readRows(ctx, tx))
		scribble(readRows(ctx, tx))
		return nil
	})
	if got := viewRows(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after scribbling on reads: read\n%+v\nwant\n%+v", got, want)
	}
	// A written credential, changed by its caller afterwards.
	c := want.cred.Renewed([]byte("v2"))
	c.Salt = []byte("salt2")
	update(t, st, func(tx store.Tx) error {
		if err := tx.UpdateCredential(ctx, c); err != nil {
			return err
		}
		c.Salt[0], c.Verifier[0] = 'X', 'X'
		got, err := tx.Credential(ctx, "t", "s", "u")
		if err != nil {
			return err
		}
		if string(got.Salt) != "salt2" || string(got.Verifier) != "v2" {
			t.Errorf("in the Update, read salt %q verifier %q after the caller changed its copy", got.Salt, got.Verifier)
		}
		return nil
	})
	got := viewRows(t, st)
	if string(got.cred.Salt) != "salt2" || string(got.cred.Verifier) != "v2" {
		t.Errorf("after the Update, read salt %q verifier %q after the caller changed its copy", got.cred.Salt, got.cred.Verifier)
	}
	if want := databaseRows(t, st); !reflect.DeepEqual(got, want) {
		t.Errorf("read\n%+v\ndatabase has\n%+v", got, want)
	}
}

// TestRowCacheEndedContext: a read the cache could answer fails, as a statement
// would, once its context has ended.
func TestRowCacheEndedContext(t *testing.T) {
	st, _ := openCounted(t)
	want := databaseRows(t, st)
	viewRows(t, st) // warm
	for _, inUpdate := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		var got rows
		run := st.View
		if inUpdate {
			run = st.Update
		}
		err := run(ctx, func(tx store.Tx) error {
			cancel()
			got = readRows(ctx, tx)
			if inUpdate {
				c := want.cred.Renewed([]byte("v2"))
				if err := tx.UpdateCredential(ctx, c); !errors.Is(err, context.Canceled) {
					t.Errorf("UpdateCredential after the context ended: %v", err)
				}
			}
			return nil
		})
		if inUpdate && !errors.Is(err, context.Canceled) {
			t.Errorf("Update after its context ended: %v", err)
		}
		for _, e := range []string{got.userErr, got.polErr, got.cErr} {
			if !strings.HasSuffix(e, context.Canceled.Error()) {
				t.Errorf("in Update %v, a read after the context ended: %q", inUpdate, e)
			}
		}
	}
}

// TestRowCacheBounded: the cache keeps at most rowCacheSize rows of a kind.
func TestRowCacheBounded(t *testing.T) {
	c := newRowCache()
	for i := range rowCacheSize + 10 {
		k := rowKey{"t", "s", fmt.Sprint(i)}
		c.apply(&rowSet{
			users:       map[rowKey]store.User{k: {ID: k.name}},
			policies:    map[rowKey]store.Policy{k: {Name: k.name}},
			credentials: map[rowKey]credentialRow{k: {identity: k.name}},
		})
	}
	if len(c.users) != rowCacheSize || len(c.policies) != rowCacheSize || len(c.credentials) != rowCacheSize {
		t.Errorf("cache holds %d users, %d policies, %d credentials; want %d each",
			len(c.users), len(c.policies), len(c.credentials), rowCacheSize)
	}
}

// TestRowCacheConcurrent: Updates renew the credential and count the user's failures
// on the same rows, some rolling back, while Views on the writer and on the pool read
// them: every read is a committed version, the user and credential of one View agree,
// and no reader goes back in time.
func TestRowCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	st, _ := openCounted(t)
	// Version n of the credential has verifier vn and goes with failure count n-1 and
	// external id en; rolled-back writes use other values.
	const writers, updates, readers = 2, 40, 4
	rollback := errors.New("rollback")
	var wg, wgWriters sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers+readers)
	for w := range writers {
		wgWriters.Add(1)
		go func() {
			defer wgWriters.Done()
			for i := range updates {
				roll := (i+w)%3 == 0
				err := st.Update(ctx, func(tx store.Tx) error {
					c, err := tx.Credential(ctx, "t", "s", "u")
					if err != nil {
						return err
					}
					u, err := tx.User(ctx, "t", "s", "u")
					if err != nil {
						return err
					}
					n := c.Version + 1
					mark := "v"
					if roll {
						mark = "rolled"
					}
					c = c.Renewed(fmt.Appendf(nil, "%s%d", mark, n))
					u.FailedAttempts, u.ExternalID = int(n-1), fmt.Sprintf("%s%d", mark, n)
					if err := tx.UpdateCredential(ctx, c); err != nil {
						return err
					}
					if err := tx.UpdateUser(ctx, u); err != nil {
						return err
					}
					if r := readRows(ctx, tx); r.cred.Version != n || r.user.FailedAttempts != int(n-1) {
						return fmt.Errorf("in the Update, read %+v after writing version %d", r, n)
					}
					if roll {
						return rollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, rollback) {
					errs <- err
					return
				}
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			for {
				select {
				case <-done:
					return
				default:
				}
				var r rows
				if err := st.View(ctx, func(tx store.Tx) error { r = readRows(ctx, tx); return nil }); err != nil {
					errs <- err
					return
				}
				n := r.cred.Version
				ok := r.userErr == "" && r.cErr == "" && n >= last &&
					(n == 1 && string(r.cred.Verifier) == "v1" && r.user.ExternalID == "e" && r.user.FailedAttempts == 0 ||
						string(r.cred.Verifier) == fmt.Sprintf("v%d", n) && r.user.ExternalID == fmt.Sprintf("v%d", n) &&
							r.user.FailedAttempts == int(n-1))
				if !ok {
					errs <- fmt.Errorf("View read a version that was never committed, or an older one than %d: %+v", last, r)
					return
				}
				last = n
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wgWriters.Wait(); close(writersDone) }()
	select {
	case <-writersDone:
	case <-time.After(2 * time.Minute):
		t.Fatal("writers did not finish")
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := viewRows(t, st), databaseRows(t, st); !reflect.DeepEqual(got, want) {
		t.Errorf("at the end, read\n%+v\ndatabase has\n%+v", got, want)
	}
}
