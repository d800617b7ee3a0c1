// Package storetest is the conformance suite of store.Store: every implementation runs
// the same checks of lookups, not-found errors, rollback, single-use sessions and
// compare-and-set renewals, so the reference server behaves alike on each.
package storetest

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

// base is the suite's clock: fixed, UTC and with nanoseconds, so stores must keep
// times exactly.
var base = time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)

// Run runs the conformance suite. open must return a new, empty Store on each call
// and arrange its Close with tb.Cleanup.
func Run(t *testing.T, open func(tb testing.TB) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st store.Store)
	}{
		{"TenantsAndStores", testTenantsAndStores},
		{"Policies", testPolicies},
		{"Users", testUsers},
		{"Credentials", testCredentials},
		{"CredentialHistoryBound", testCredentialHistoryBound},
		{"CredentialHistoryReplaced", testCredentialHistoryReplaced},
		{"Sessions", testSessions},
		{"SessionLimitPerUser", testSessionLimitPerUser},
		{"SessionLimitTotal", testSessionLimitTotal},
		{"SessionLimitsConcurrent", testSessionLimitsConcurrent},
		{"OAuthClients", testOAuthClients},
		{"Invalid", testInvalid},
		{"Rollback", testRollback},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ReadOnly", testReadOnly},
		{"TxDone", testTxDone},
		{"Isolation", testIsolation},
		{"CancelledContext", testCancelledContext},
		{"ContextEndsMidUpdate", testContextEndsMidUpdate},
		{"TakeSessionConcurrent", testTakeSessionConcurrent},
		{"CredentialCASConcurrent", testCredentialCASConcurrent},
		{"CompareInsideUpdateConcurrent", testCompareInsideUpdateConcurrent},
		{"ConcurrentReadersAndWriters", testConcurrentReadersAndWriters},
		{"Attempts", testAttempts},
		{"AttemptsRollback", testAttemptsRollback},
		{"AttemptsHeldConcurrent", testAttemptsHeldConcurrent},
		{"AttemptsConcurrent", testAttemptsConcurrent},
		{"Ping", testPing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// Persistence checks that data survives Close and a new open of the same storage:
// open must return a Store over the same underlying data on each call.
func Persistence(t *testing.T, open func(tb testing.TB) store.Store) {
	ctx := context.Background()
	st := open(t)
	w := seedWorld(t, st)
	cred := w.credential("u1")
	renewed := cred.Renewed([]byte("verifier-2"))
	locked := w.users["u2"]
	locked.Status, locked.FailedAttempts, locked.LockedUntil = store.StatusTempLocked, 5, base.Add(15*time.Minute)
	live := session("S-LIVE", store.FlowRenewal, base.Add(time.Hour))
	dead := session("S-DEAD", store.FlowRenewal, base.Add(-time.Hour))
	client := store.OAuthClient{ID: "c1", SecretHash: store.HashSecret("c1-secret"), Tenant: "t1", Permissions: []string{"TNT#t1#*"},
		TokenTTL: 3 * time.Second}
	update(t, st, func(tx store.Tx) error {
		return errors.Join(
			tx.CreateCredential(ctx, cred),
			tx.UpdateCredential(ctx, renewed),
			tx.UpdateUser(ctx, locked),
			tx.PutOAuthClient(ctx, client),
		)
	})
	put(t, st, live, dead)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	st = open(t)
	view(t, st, func(tx store.Tx) error {
		is, err := tx.IdentityStore(ctx, "t1", "s1")
		check(t, "IdentityStore", err, nil)
		same(t, "IdentityStore", is, w.stores[0])
		p, err := tx.Policy(ctx, "t1", "s1", "standard")
		check(t, "Policy", err, nil)
		same(t, "Policy", p, w.policy)
		for _, id := range []string{"u1", "u3"} {
			u, err := tx.User(ctx, "t1", "s1", id)
			check(t, "User "+id, err, nil)
			same(t, "User "+id, u, w.users[id])
		}
		u, err := tx.User(ctx, "t1", "s1", "u2")
		check(t, "User u2", err, nil)
		same(t, "locked user", u, locked)
		c, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "Credential", c, renewed)
		oc, err := tx.OAuthClient(ctx, "c1")
		check(t, "OAuthClient", err, nil)
		same(t, "OAuthClient", oc, client)
		return nil
	})
	s, err := get(st, "S-LIVE", base)
	check(t, "Get", err, nil)
	same(t, "Get", s, live)
	_, err = get(st, "S-DEAD", base)
	check(t, "Get expired", err, store.ErrSessionNotFound)
	// The reopened store takes writes and still enforces the version sequence.
	update(t, st, func(tx store.Tx) error {
		check(t, "stale UpdateCredential", tx.UpdateCredential(ctx, cred.Renewed([]byte("x"))), store.ErrVersionConflict)
		check(t, "UpdateCredential", tx.UpdateCredential(ctx, renewed.Renewed([]byte("verifier-3"))), nil)
		return nil
	})
	// The sessions it kept count toward their user's limit: S-LIVE (of u1) is
	// dropped for a new session of u1 under a limit of one.
	n, err := putWithin(st, session("S-NEW", store.FlowRenewal, base.Add(2*time.Hour)), store.SessionLimits{PerUser: 1}, base)
	check(t, "Put after reopening", err, nil)
	same(t, "dropped after reopening", n, 1)
	same(t, "open after reopening", openIDs(t, st, base, "S-LIVE", "S-NEW"), []string{"S-NEW"})
}

// world is the small data set most checks start from: tenants t1 and t2, store s1 in
// t1 and s2 in t2, policy standard in t1/s1, users u1 u2 u3 in t1/s1.
type world struct {
	stores []store.IdentityStore
	policy store.Policy
	users  map[string]store.User
}

func (w world) credential(userID string) store.Credential {
	return store.Credential{
		Tenant: "t1", Store: "s1", UserID: userID,
		Identity: "IDENTITY" + userID,
		Salt:     []byte("salt-of-" + userID),
		Verifier: []byte("verifier-1"),
		Version:  1,
	}
}

func requirements() passcode.Requirements {
	return passcode.Requirements{
		MinimumLength: 8, MaximumLength: 64, DigitCount: 1, SymbolCount: 1,
		LowerCaseCount: 1, UpperCaseCount: 1, CharacterVariety: 3, PasscodeHistory: 3,
		RequiredRegExes:   []passcode.Regex{{Pattern: "[A-Za-z]", Error: "must contain a letter"}},
		DisallowedRegExes: []passcode.Regex{{Pattern: "(?i)password", Error: "must not contain the word password"}},
	}
}

func seedWorld(tb testing.TB, st store.Store) world {
	tb.Helper()
	ctx := context.Background()
	w := world{
		stores: []store.IdentityStore{
			{Tenant: "t1", Name: "s1", Lock: store.LockConfig{MaxFailedAttempts: 5, LockDuration: 900 * time.Second}},
			{Tenant: "t2", Name: "s2", Lock: store.LockConfig{MaxFailedAttempts: 3, LockDuration: time.Minute}, SessionTTL: 5 * time.Second},
		},
		policy: store.Policy{Tenant: "t1", Store: "s1", Name: "standard", Requirements: requirements()},
		users:  map[string]store.User{},
	}
	for i, id := range []string{"u1", "u2", "u3"} {
		w.users[id] = store.User{
			Tenant: "t1", Store: "s1", ID: id, ExternalID: "ext-" + id,
			Status: store.StatusActive, DateCreated: base.Add(time.Duration(i) * time.Second),
		}
	}
	update(tb, st, func(tx store.Tx) error {
		errs := []error{tx.PutTenant(ctx, store.Tenant{ID: "t1"}), tx.PutTenant(ctx, store.Tenant{ID: "t2"})}
		for _, s := range w.stores {
			errs = append(errs, tx.PutIdentityStore(ctx, s))
		}
		errs = append(errs, tx.CreatePolicy(ctx, w.policy))
		for _, id := range []string{"u1", "u2", "u3"} {
			errs = append(errs, tx.CreateUser(ctx, w.users[id]))
		}
		return errors.Join(errs...)
	})
	return w
}

func session(id string, flow store.Flow, expires time.Time) store.Session {
	return store.Session{
		ID: id, Flow: flow, Tenant: "t1", Store: "s1", UserID: "u1", Policy: "standard",
		Identity: "IDENTITYu1", Salt: []byte("salt-of-u1"), CredentialVersion: 1,
		ServerSecret: []byte("b-secret-" + id), ServerPublic: []byte("B-public-" + id),
		CreatedAt: expires.Add(-5 * time.Minute), ExpiresAt: expires,
	}
}

// update runs fn in st.Update and fails tb on error.
func update(tb testing.TB, st store.Store, fn func(store.Tx) error) {
	tb.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// view runs fn in st.View and fails tb on error.
func view(tb testing.TB, st store.Store, fn func(store.Tx) error) {
	tb.Helper()
	if err := st.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// check reports an error unless err matches want (nil meaning success).
func check(tb testing.TB, what string, err, want error) {
	tb.Helper()
	switch {
	case want == nil && err != nil:
		tb.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		tb.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// same reports an error unless got and want are deeply equal. Records with secrets
// print redacted, so for a struct it names the fields that differ instead.
func same(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Struct && g.Type() == w.Type() {
		var fields []string
		for i := range g.NumField() {
			if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
				fields = append(fields, g.Type().Field(i).Name)
			}
		}
		tb.Errorf("%s: %s differs in %s", what, g.Type(), strings.Join(fields, ", "))
		return
	}
	tb.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
}

func testTenantsAndStores(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	update(t, st, func(tx store.Tx) error {
		check(t, "store of missing tenant", tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "nope", Name: "s"}), store.ErrTenantNotFound)
		// Replacing a store keeps one record with the new lock configuration and
		// session lifetime.
		s := w.stores[1]
		s.Lock.MaxFailedAttempts = 7
		s.SessionTTL = 7 * time.Second
		check(t, "replace store", tx.PutIdentityStore(ctx, s), nil)
		w.stores[1] = s
		check(t, "replace tenant", tx.PutTenant(ctx, store.Tenant{ID: "t1"}), nil)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		tn, err := tx.Tenant(ctx, "t1")
		check(t, "Tenant", err, nil)
		same(t, "Tenant", tn, store.Tenant{ID: "t1"})
		_, err = tx.Tenant(ctx, "nope")
		check(t, "missing Tenant", err, store.ErrTenantNotFound)
		for _, want := range w.stores {
			got, err := tx.IdentityStore(ctx, want.Tenant, want.Name)
			check(t, "IdentityStore", err, nil)
			same(t, "IdentityStore", got, want)
		}
		lookups := []struct {
			name, tenant, store string
			want                error
		}{
			{"missing tenant", "nope", "s1", store.ErrTenantNotFound},
			{"missing store", "t1", "nope", store.ErrStoreNotFound},
			{"store of another tenant", "t2", "s1", store.ErrStoreNotFound},
		}
		for _, l := range lookups {
			_, err := tx.IdentityStore(ctx, l.tenant, l.store)
			check(t, l.name, err, l.want)
		}
		return nil
	})
}

func testPolicies(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	pin := store.Policy{Tenant: "t1", Store: "s1", Name: "pin6", Requirements: passcode.Requirements{
		MinimumLength: 6, MaximumLength: 6, PasscodeHistory: 1,
		AllowedRegExes: []passcode.Regex{{Pattern: "^[0-9]{6}$", Error: "must be six digits"}},
	}}
	other := store.Policy{Tenant: "t2", Store: "s2", Name: "standard", Requirements: passcode.Requirements{MinimumLength: 4}}
	update(t, st, func(tx store.Tx) error {
		check(t, "CreatePolicy pin6", tx.CreatePolicy(ctx, pin), nil)
		check(t, "CreatePolicy same name, other tenant", tx.CreatePolicy(ctx, other), nil)
		check(t, "CreatePolicy taken name", tx.CreatePolicy(ctx, w.policy), store.ErrPolicyExists)
		missing := w.policy
		missing.Name = "nope"
		check(t, "UpdatePolicy missing", tx.UpdatePolicy(ctx, missing), store.ErrPolicyNotFound)
		missing.Store = "nope"
		check(t, "CreatePolicy in missing store", tx.CreatePolicy(ctx, missing), store.ErrStoreNotFound)
		missing.Tenant = "nope"
		check(t, "CreatePolicy in missing tenant", tx.CreatePolicy(ctx, missing), store.ErrTenantNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Policy(ctx, "t1", "s1", "standard")
		check(t, "Policy", err, nil)
		same(t, "Policy", got, w.policy)
		got, err = tx.Policy(ctx, "t2", "s2", "standard")
		check(t, "Policy of t2", err, nil)
		same(t, "Policy of t2", got, other)
		ps, err := tx.Policies(ctx, "t1", "s1")
		check(t, "Policies", err, nil)
		same(t, "Policies", ps, []store.Policy{pin, w.policy})
		lookups := []struct {
			name, tenant, store, policy string
			want                        error
		}{
			{"missing tenant", "nope", "s1", "standard", store.ErrTenantNotFound},
			{"missing store", "t1", "nope", "standard", store.ErrStoreNotFound},
			{"missing policy", "t1", "s1", "nope", store.ErrPolicyNotFound},
		}
		for _, l := range lookups {
			_, err := tx.Policy(ctx, l.tenant, l.store, l.policy)
			check(t, "Policy "+l.name, err, l.want)
		}
		_, err = tx.Policies(ctx, "t1", "nope")
		check(t, "Policies of missing store", err, store.ErrStoreNotFound)
		return nil
	})
	changed := w.policy
	changed.Requirements.MinimumLength = 12
	changed.Requirements.RequiredRegExes = nil
	update(t, st, func(tx store.Tx) error {
		check(t, "UpdatePolicy", tx.UpdatePolicy(ctx, changed), nil)
		check(t, "DeletePolicy", tx.DeletePolicy(ctx, "t1", "s1", "pin6"), nil)
		check(t, "DeletePolicy again", tx.DeletePolicy(ctx, "t1", "s1", "pin6"), store.ErrPolicyNotFound)
		check(t, "DeletePolicy missing store", tx.DeletePolicy(ctx, "t1", "nope", "pin6"), store.ErrStoreNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Policy(ctx, "t1", "s1", "standard")
		check(t, "updated Policy", err, nil)
		same(t, "updated Policy", got, changed)
		_, err = tx.Policy(ctx, "t1", "s1", "pin6")
		check(t, "deleted Policy", err, store.ErrPolicyNotFound)
		ps, err := tx.Policies(ctx, "t1", "s1")
		check(t, "Policies", err, nil)
		same(t, "Policies after delete", ps, []store.Policy{changed})
		return nil
	})
}

func testUsers(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	elsewhere := store.User{Tenant: "t2", Store: "s2", ID: "u1", ExternalID: "ext-u1", Status: store.StatusDisabled, DateCreated: base}
	update(t, st, func(tx store.Tx) error {
		check(t, "same ids in another store", tx.CreateUser(ctx, elsewhere), nil)
		dup := w.users["u1"]
		dup.ExternalID = "fresh"
		check(t, "CreateUser taken id", tx.CreateUser(ctx, dup), store.ErrUserExists)
		dup.ID, dup.ExternalID = "u9", "ext-u2"
		check(t, "CreateUser taken external id", tx.CreateUser(ctx, dup), store.ErrExternalIDTaken)
		dup.Store = "nope"
		check(t, "CreateUser in missing store", tx.CreateUser(ctx, dup), store.ErrStoreNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		for id, want := range w.users {
			got, err := tx.User(ctx, "t1", "s1", id)
			check(t, "User "+id, err, nil)
			same(t, "User "+id, got, want)
			got, err = tx.UserByExternalID(ctx, "t1", "s1", want.ExternalID)
			check(t, "UserByExternalID "+id, err, nil)
			same(t, "UserByExternalID "+id, got, want)
		}
		got, err := tx.UserByExternalID(ctx, "t2", "s2", "ext-u1")
		check(t, "UserByExternalID elsewhere", err, nil)
		same(t, "UserByExternalID elsewhere", got, elsewhere)
		lookups := []struct {
			name, tenant, store, id string
			want                    error
		}{
			{"missing tenant", "nope", "s1", "u1", store.ErrTenantNotFound},
			{"missing store", "t1", "nope", "u1", store.ErrStoreNotFound},
			{"missing user", "t1", "s1", "nope", store.ErrUserNotFound},
		}
		for _, l := range lookups {
			_, err := tx.User(ctx, l.tenant, l.store, l.id)
			check(t, "User "+l.name, err, l.want)
			_, err = tx.UserByExternalID(ctx, l.tenant, l.store, l.id)
			check(t, "UserByExternalID "+l.name, err, l.want)
		}
		// An ID is not an external ID, and the other way round.
		_, err = tx.UserByExternalID(ctx, "t1", "s1", "u1")
		check(t, "UserByExternalID with an id", err, store.ErrUserNotFound)
		_, err = tx.User(ctx, "t1", "s1", "ext-u1")
		check(t, "User with an external id", err, store.ErrUserNotFound)
		return nil
	})

	changed := w.users["u1"]
	changed.ExternalID = "renamed"
	changed.Status = store.StatusTempLocked
	changed.FailedAttempts = 5
	changed.LockedUntil = base.Add(15 * time.Minute)
	update(t, st, func(tx store.Tx) error {
		check(t, "UpdateUser", tx.UpdateUser(ctx, changed), nil)
		clash := w.users["u2"]
		clash.ExternalID = "renamed"
		check(t, "UpdateUser to taken external id", tx.UpdateUser(ctx, clash), store.ErrExternalIDTaken)
		missing := w.users["u2"]
		missing.ID = "nope"
		check(t, "UpdateUser missing", tx.UpdateUser(ctx, missing), store.ErrUserNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.User(ctx, "t1", "s1", "u1")
		check(t, "updated User", err, nil)
		same(t, "updated User", got, changed)
		got, err = tx.UserByExternalID(ctx, "t1", "s1", "renamed")
		check(t, "UserByExternalID new", err, nil)
		same(t, "UserByExternalID new", got, changed)
		_, err = tx.UserByExternalID(ctx, "t1", "s1", "ext-u1")
		check(t, "UserByExternalID old", err, store.ErrUserNotFound)
		got, err = tx.User(ctx, "t1", "s1", "u2")
		check(t, "User u2 after failed update", err, nil)
		same(t, "User u2 after failed update", got, w.users["u2"])
		return nil
	})
	// The freed external ID can be taken again.
	update(t, st, func(tx store.Tx) error {
		u := store.User{Tenant: "t1", Store: "s1", ID: "u4", ExternalID: "ext-u1", Status: store.StatusPendingActive, DateCreated: base}
		check(t, "CreateUser with freed external id", tx.CreateUser(ctx, u), nil)
		return nil
	})
}

func testCredentials(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	update(t, st, func(tx store.Tx) error {
		_, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential before registration", err, store.ErrCredentialNotFound)
		_, err = tx.Credential(ctx, "t1", "s1", "nope")
		check(t, "Credential of missing user", err, store.ErrUserNotFound)
		_, err = tx.Credential(ctx, "t1", "nope", "u1")
		check(t, "Credential in missing store", err, store.ErrStoreNotFound)
		check(t, "UpdateCredential before registration", tx.UpdateCredential(ctx, c1.Renewed([]byte("v2"))), store.ErrCredentialNotFound)
		check(t, "DeleteCredential before registration", tx.DeleteCredential(ctx, "t1", "s1", "u1"), store.ErrCredentialNotFound)
		check(t, "CreateCredential", tx.CreateCredential(ctx, c1), nil)
		again := w.credential("u1")
		again.Identity = "OTHER"
		check(t, "CreateCredential again", tx.CreateCredential(ctx, again), store.ErrCredentialExists)
		orphan := w.credential("nope")
		check(t, "CreateCredential for missing user", tx.CreateCredential(ctx, orphan), store.ErrUserNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "Credential", got, c1)
		_, err = tx.Credential(ctx, "t1", "s1", "u2")
		check(t, "Credential of u2", err, store.ErrCredentialNotFound)
		return nil
	})

	c2 := c1.Renewed([]byte("verifier-2"))
	c3 := c2.Renewed([]byte("verifier-3"))
	update(t, st, func(tx store.Tx) error {
		skip := c2.Renewed([]byte("v"))
		skip.Version = c1.Version + 2
		wrongIdentity := c1.Renewed([]byte("v"))
		wrongIdentity.Identity = "OTHER"
		cases := []struct {
			name string
			c    store.Credential
			want error
		}{
			{"version skipped", skip, store.ErrVersionConflict},
			{"same version", c1, store.ErrVersionConflict},
			{"other identity", wrongIdentity, store.ErrVersionConflict},
			{"next version", c2, nil},
			{"stale after renewal", c1.Renewed([]byte("v")), store.ErrVersionConflict},
			{"next again", c3, nil},
		}
		for _, c := range cases {
			check(t, "UpdateCredential "+c.name, tx.UpdateCredential(ctx, c.c), c.want)
		}
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "renewed Credential", err, nil)
		same(t, "renewed Credential", got, c3)
		same(t, "history", got.History, [][]byte{[]byte("verifier-2"), []byte("verifier-1")})
		return nil
	})
	update(t, st, func(tx store.Tx) error {
		check(t, "DeleteCredential", tx.DeleteCredential(ctx, "t1", "s1", "u1"), nil)
		check(t, "DeleteCredential again", tx.DeleteCredential(ctx, "t1", "s1", "u1"), store.ErrCredentialNotFound)
		return nil
	})
	fresh := w.credential("u1")
	fresh.Identity, fresh.Salt = "NEWIDENTITY", []byte("new-salt")
	update(t, st, func(tx store.Tx) error {
		_, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "deleted Credential", err, store.ErrCredentialNotFound)
		check(t, "CreateCredential after delete", tx.CreateCredential(ctx, fresh), nil)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "re-registered Credential", err, nil)
		same(t, "re-registered Credential has no history", got, fresh)
		return nil
	})
}

func testCredentialHistoryBound(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c := w.credential("u1")
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c) })
	for i := range store.MaxHistory + 5 {
		next := c.Renewed(fmt.Appendf(nil, "verifier-%d", i+2))
		update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, next) })
		c = next
	}
	// A caller that hands in an over-long history gets it trimmed.
	long := c.Renewed([]byte("last"))
	long.History = append(long.History, []byte("extra-1"), []byte("extra-2"))
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, long) })
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		if len(got.History) != store.MaxHistory {
			t.Fatalf("history length %d, want %d", len(got.History), store.MaxHistory)
		}
		same(t, "newest history entry", got.History[0], c.Verifier)
		same(t, "history", got.History, long.History[:store.MaxHistory])
		same(t, "version", got.Version, int64(store.MaxHistory+5+2))
		return nil
	})
}

// testCredentialHistoryReplaced: UpdateCredential stores the history it is given,
// not only one that pushes the previous verifier (stores may append a row for that
// common case, but must then still get every other history right).
func testCredentialHistoryReplaced(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c := w.credential("u1")
	c.History = [][]byte{[]byte("h-2"), []byte("h-1")}
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c) })
	renewed := func(c store.Credential, v string, history ...string) store.Credential {
		n := c.Renewed([]byte(v))
		if history != nil {
			n.History = nil
			for _, h := range history {
				n.History = append(n.History, []byte(h))
			}
		}
		return n
	}
	steps := []struct {
		name    string
		next    func(c store.Credential) store.Credential
		history []string // the stored history afterwards
	}{
		{"pushed", func(c store.Credential) store.Credential { return renewed(c, "v-2") },
			[]string{"verifier-1", "h-2", "h-1"}},
		{"shortened", func(c store.Credential) store.Credential { return renewed(c, "v-3", "v-2") },
			[]string{"v-2"}},
		{"pushed after shortening", func(c store.Credential) store.Credential { return renewed(c, "v-4") },
			[]string{"v-3", "v-2"}},
		{"previous verifier left out", func(c store.Credential) store.Credential { return renewed(c, "v-5", "v-2") },
			[]string{"v-2"}},
		{"reordered", func(c store.Credential) store.Credential { return renewed(c, "v-6", "v-5", "x", "v-2") },
			[]string{"v-5", "x", "v-2"}},
		{"same entries, other order", func(c store.Credential) store.Credential { return renewed(c, "v-7", "v-6", "v-2", "x", "v-5") },
			[]string{"v-6", "v-2", "x", "v-5"}},
		{"emptied", func(c store.Credential) store.Credential {
			n := c.Renewed([]byte("v-8"))
			n.History = nil
			return n
		}, nil},
		{"pushed onto nothing", func(c store.Credential) store.Credential { return renewed(c, "v-9") },
			[]string{"v-8"}},
	}
	for _, s := range steps {
		next := s.next(c)
		update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, next) })
		c = next
		view(t, st, func(tx store.Tx) error {
			got, err := tx.Credential(ctx, "t1", "s1", "u1")
			check(t, s.name, err, nil)
			var want [][]byte
			for _, h := range s.history {
				want = append(want, []byte(h))
			}
			same(t, s.name+": history", got.History, want)
			same(t, s.name+": credential", got, next)
			return nil
		})
	}
}

// testSessions: Put, Get, Take (once, of the flow, tenant and store named), Purge and
// Count.
func testSessions(t *testing.T, st store.Store) {
	ctx := context.Background()
	seedWorld(t, st)
	sessions := st.Sessions()
	live := session("S1", store.FlowRenewal, base.Add(5*time.Minute))
	other := session("S2", store.FlowRegistration, base.Add(10*time.Minute))
	other.CredentialVersion = 0
	expired := session("S3", store.FlowAuthentication, base.Add(-time.Second))
	edge := session("S4", store.FlowAuthentication, base) // expires exactly now
	put(t, st, live, other, expired, edge)
	_, err := sessions.Put(ctx, live, store.SessionLimits{}, time.Time{})
	check(t, "Put taken id", err, store.ErrSessionExists)
	same(t, "Count", countSessions(t, st, base), 2)
	got, err := sessions.Get(ctx, "S1", base)
	check(t, "Get", err, nil)
	same(t, "Get", got, live)
	got, err = sessions.Get(ctx, "S2", base)
	check(t, "Get S2", err, nil)
	same(t, "Get S2", got, other)
	for _, id := range []string{"S3", "S4", "nope"} {
		_, err := sessions.Get(ctx, id, base)
		check(t, "Get "+id, err, store.ErrSessionNotFound)
	}

	// A ref that names another flow, tenant or store finds nothing and takes nothing.
	for name, r := range map[string]store.SessionRef{
		"flow":   ref("S1", store.FlowAuthentication),
		"tenant": {ID: "S1", Flow: store.FlowRenewal, Tenant: "t2", Store: "s1"},
		"store":  {ID: "S1", Flow: store.FlowRenewal, Tenant: "t1", Store: "s2"},
	} {
		_, err := sessions.Take(ctx, r, base)
		check(t, "Take of another "+name, err, store.ErrSessionNotFound)
	}
	got, err = sessions.Take(ctx, ref("S1", store.FlowRenewal), base)
	check(t, "Take", err, nil)
	same(t, "Take", got, live)
	_, err = sessions.Take(ctx, ref("S1", store.FlowRenewal), base)
	check(t, "Take twice", err, store.ErrSessionNotFound)
	_, err = sessions.Take(ctx, ref("S3", store.FlowAuthentication), base)
	check(t, "Take expired", err, store.ErrSessionNotFound)
	_, err = sessions.Take(ctx, ref("nope", store.FlowRenewal), base)
	check(t, "Take unknown", err, store.ErrSessionNotFound)

	// S3 went with its Take; S4 is expired and still there.
	same(t, "purged", purge(t, st, base), 1)
	same(t, "purged later", purge(t, st, base.Add(time.Hour)), 1)
	same(t, "Count after purge", countSessions(t, st, base), 0)
}

func testOAuthClients(t *testing.T, st store.Store) {
	ctx := context.Background()
	seedWorld(t, st)
	c := store.OAuthClient{ID: "c1", SecretHash: store.HashSecret("c1-secret"), Tenant: "t1", Permissions: []string{"TNT#t1#*", "TNT#t1#IdentityStore:admin"},
		TokenTTL: time.Minute}
	none := store.OAuthClient{ID: "c2", SecretHash: store.HashSecret("c2-secret"), Tenant: "t1"}
	update(t, st, func(tx store.Tx) error {
		check(t, "PutOAuthClient", tx.PutOAuthClient(ctx, c), nil)
		check(t, "PutOAuthClient no permissions", tx.PutOAuthClient(ctx, none), nil)
		orphan := c
		orphan.ID, orphan.Tenant = "c3", "nope"
		check(t, "PutOAuthClient missing tenant", tx.PutOAuthClient(ctx, orphan), store.ErrTenantNotFound)
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.OAuthClient(ctx, "c1")
		check(t, "OAuthClient", err, nil)
		same(t, "OAuthClient", got, c)
		if !got.CheckSecret("c1-secret") || got.CheckSecret("c2-secret") || got.CheckSecret("") {
			t.Error("CheckSecret does not tell the secret apart")
		}
		got, err = tx.OAuthClient(ctx, "c2")
		check(t, "OAuthClient c2", err, nil)
		if len(got.Permissions) != 0 {
			t.Errorf("c2 permissions %q, want none", got.Permissions)
		}
		_, err = tx.OAuthClient(ctx, "c3")
		check(t, "OAuthClient missing", err, store.ErrClientNotFound)
		return nil
	})
}

func testInvalid(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	badPolicy := w.policy
	badPolicy.Name = "bad"
	badPolicy.Requirements.RequiredRegExes = []passcode.Regex{{Pattern: "([", Error: "x"}}
	badUser := store.User{Tenant: "t1", Store: "s1", ID: "u9", ExternalID: "x", Status: "WEIRD"}
	badCred := w.credential("u2")
	badCred.Version = 0
	badSession := session("S9", "teleport", base.Add(time.Hour))
	update(t, st, func(tx store.Tx) error {
		writes := []struct {
			name string
			err  error
		}{
			{"PutTenant", tx.PutTenant(ctx, store.Tenant{})},
			{"PutIdentityStore", tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t1"})},
			{"CreatePolicy", tx.CreatePolicy(ctx, badPolicy)},
			{"CreateUser", tx.CreateUser(ctx, badUser)},
			{"CreateCredential", tx.CreateCredential(ctx, badCred)},
			{"PutOAuthClient", tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c", Tenant: "t1"})},
			{"PutIdentityStore negative session lifetime", tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t1", Name: "s9", SessionTTL: -time.Second})},
			{"PutOAuthClient negative token lifetime", tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c", Tenant: "t1", SecretHash: store.HashSecret("x"), TokenTTL: -time.Second})},
			{"ReserveAttempt limit 0", tx.ReserveAttempt(ctx, "t1", "s1", "u1", 0, base)},
		}
		for _, w := range writes {
			check(t, w.name, w.err, store.ErrInvalid)
		}
		return nil
	})
	_, err := st.Sessions().Put(ctx, badSession, store.SessionLimits{}, base)
	check(t, "Put session", err, store.ErrInvalid)
	same(t, "sessions after an invalid put", countSessions(t, st, time.Time{}), 0)
}

// testRollback: a failed Update leaves no write behind, and undoes none of the
// session calls made while it ran: a session taken then stays taken, so single use
// does not hang on the outcome of the Update around the take.
func testRollback(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c1) })
	put(t, st, session("S0", store.FlowRenewal, base.Add(time.Hour)))
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx store.Tx) error {
		changed := w.users["u1"]
		changed.ExternalID, changed.Status, changed.FailedAttempts = "renamed", store.StatusTempLocked, 3
		changedPolicy := w.policy
		changedPolicy.Requirements.MinimumLength = 40
		writes := []error{
			tx.PutTenant(ctx, store.Tenant{ID: "t9"}),
			tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t9", Name: "s9"}),
			tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: "t1", Name: "s1", Lock: store.LockConfig{MaxFailedAttempts: 1}}),
			tx.CreatePolicy(ctx, store.Policy{Tenant: "t1", Store: "s1", Name: "new"}),
			tx.UpdatePolicy(ctx, changedPolicy),
			tx.CreateUser(ctx, store.User{Tenant: "t1", Store: "s1", ID: "u9", ExternalID: "ext-u9", Status: store.StatusActive}),
			tx.UpdateUser(ctx, changed),
			tx.UpdateCredential(ctx, c1.Renewed([]byte("v2"))),
			tx.CreateCredential(ctx, w.credential("u2")),
			tx.DeleteCredential(ctx, "t1", "s1", "u1"),
			tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c9", SecretHash: store.HashSecret("x"), Tenant: "t1"}),
			tx.DeletePolicy(ctx, "t1", "s1", "standard"),
		}
		for i, err := range writes {
			check(t, fmt.Sprintf("write %d", i), err, nil)
		}
		_, err := take(st, ref("S0", store.FlowRenewal), base)
		check(t, "Take inside the Update", err, nil)
		put(t, st, session("S1", store.FlowRenewal, base.Add(time.Hour)))
		return boom
	})
	check(t, "failing Update", err, boom)
	assertSeedOnly(t, st, w, c1)
	same(t, "sessions open after the failed Update", openIDs(t, st, base, "S0", "S1"), []string{"S1"})
}

func testRollbackOnPanic(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	put(t, st, session("S0", store.FlowRenewal, base.Add(time.Hour)))
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c1) })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Update swallowed the panic")
			}
		}()
		_ = st.Update(ctx, func(tx store.Tx) error {
			check(t, "CreateUser", tx.CreateUser(ctx, store.User{Tenant: "t1", Store: "s1", ID: "u9", ExternalID: "ext-u9", Status: store.StatusActive}), nil)
			check(t, "UpdateCredential", tx.UpdateCredential(ctx, c1.Renewed([]byte("v2"))), nil)
			_, err := take(st, ref("S0", store.FlowRenewal), base)
			check(t, "Take", err, nil)
			panic("boom")
		})
	}()
	// The store still works after the panic and nothing of it remains.
	view(t, st, func(tx store.Tx) error {
		_, err := tx.User(ctx, "t1", "s1", "u9")
		check(t, "User created before the panic", err, store.ErrUserNotFound)
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "Credential", got, c1)
		return nil
	})
	// The take is no part of the Update: it stays.
	_, err := get(st, "S0", base)
	check(t, "Get of the session taken before the panic", err, store.ErrSessionNotFound)
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c1.Renewed([]byte("v2"))) })
}

// assertSeedOnly checks that st holds seedWorld's data plus c1 (none when it is the
// zero Credential), and nothing else.
func assertSeedOnly(tb testing.TB, st store.Store, w world, c1 store.Credential) {
	tb.Helper()
	ctx := context.Background()
	view(tb, st, func(tx store.Tx) error {
		_, err := tx.Tenant(ctx, "t9")
		check(tb, "rolled back tenant", err, store.ErrTenantNotFound)
		is, err := tx.IdentityStore(ctx, "t1", "s1")
		check(tb, "IdentityStore", err, nil)
		same(tb, "IdentityStore", is, w.stores[0])
		ps, err := tx.Policies(ctx, "t1", "s1")
		check(tb, "Policies", err, nil)
		same(tb, "Policies", ps, []store.Policy{w.policy})
		_, err = tx.User(ctx, "t1", "s1", "u9")
		check(tb, "rolled back user", err, store.ErrUserNotFound)
		u, err := tx.User(ctx, "t1", "s1", "u1")
		check(tb, "User u1", err, nil)
		same(tb, "User u1", u, w.users["u1"])
		u, err = tx.UserByExternalID(ctx, "t1", "s1", "ext-u1")
		check(tb, "UserByExternalID u1", err, nil)
		same(tb, "UserByExternalID u1", u, w.users["u1"])
		_, err = tx.UserByExternalID(ctx, "t1", "s1", "renamed")
		check(tb, "rolled back external id", err, store.ErrUserNotFound)
		c, err := tx.Credential(ctx, "t1", "s1", "u1")
		if c1.Identity == "" {
			check(tb, "Credential u1", err, store.ErrCredentialNotFound)
		} else {
			check(tb, "Credential u1", err, nil)
			same(tb, "Credential u1", c, c1)
		}
		_, err = tx.Credential(ctx, "t1", "s1", "u2")
		check(tb, "rolled back credential", err, store.ErrCredentialNotFound)
		_, err = tx.OAuthClient(ctx, "c9")
		check(tb, "rolled back client", err, store.ErrClientNotFound)
		return nil
	})
}

func testReadOnly(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	view(t, st, func(tx store.Tx) error {
		writes := []struct {
			name string
			err  error
		}{
			{"PutTenant", tx.PutTenant(ctx, store.Tenant{ID: "t9"})},
			{"PutIdentityStore", tx.PutIdentityStore(ctx, w.stores[0])},
			{"CreatePolicy", tx.CreatePolicy(ctx, store.Policy{Tenant: "t1", Store: "s1", Name: "new"})},
			{"UpdatePolicy", tx.UpdatePolicy(ctx, w.policy)},
			{"DeletePolicy", tx.DeletePolicy(ctx, "t1", "s1", "standard")},
			{"CreateUser", tx.CreateUser(ctx, store.User{Tenant: "t1", Store: "s1", ID: "u9", ExternalID: "e", Status: store.StatusActive})},
			{"UpdateUser", tx.UpdateUser(ctx, w.users["u1"])},
			{"CreateCredential", tx.CreateCredential(ctx, c1)},
			{"UpdateCredential", tx.UpdateCredential(ctx, c1.Renewed([]byte("v")))},
			{"DeleteCredential", tx.DeleteCredential(ctx, "t1", "s1", "u1")},
			{"PutOAuthClient", tx.PutOAuthClient(ctx, store.OAuthClient{ID: "c", SecretHash: store.HashSecret("x"), Tenant: "t1"})},
		}
		for _, w := range writes {
			check(t, w.name+" in View", w.err, store.ErrReadOnly)
		}
		return nil
	})
	assertSeedOnly(t, st, w, store.Credential{})
}

func testTxDone(t *testing.T, st store.Store) {
	ctx := context.Background()
	seedWorld(t, st)
	var leaked store.Tx
	view(t, st, func(tx store.Tx) error { leaked = tx; return nil })
	_, err := leaked.Tenant(ctx, "t1")
	check(t, "Tenant after View", err, store.ErrTxDone)
	update(t, st, func(tx store.Tx) error { leaked = tx; return nil })
	check(t, "PutTenant after Update", leaked.PutTenant(ctx, store.Tenant{ID: "t9"}), store.ErrTxDone)
	view(t, st, func(tx store.Tx) error {
		_, err := tx.Tenant(ctx, "t9")
		check(t, "tenant written after Update", err, store.ErrTenantNotFound)
		return nil
	})
}

// testIsolation checks that records are values: changing what a read returned, or
// what was written, does not reach into the store.
func testIsolation(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	c2 := c1.Renewed([]byte("verifier-2"))
	s := session("S1", store.FlowRenewal, base.Add(time.Hour))
	client := store.OAuthClient{ID: "c1", SecretHash: store.HashSecret("s"), Tenant: "t1", Permissions: []string{"TNT#t1#*"}}
	written := struct {
		s store.Session
		o store.OAuthClient
	}{cloneSession(s), store.OAuthClient{ID: client.ID, SecretHash: client.SecretHash, Tenant: client.Tenant, Permissions: []string{"TNT#t1#*"}}}
	update(t, st, func(tx store.Tx) error {
		return errors.Join(tx.CreateCredential(ctx, c1), tx.UpdateCredential(ctx, c2), tx.PutOAuthClient(ctx, written.o))
	})
	put(t, st, written.s)
	// Scribble over what was written.
	written.s.ServerSecret[0] ^= 0xff
	written.o.Permissions[0] = "TNT#t2#*"
	c2.History[0][0] ^= 0xff
	c2 = c1.Renewed([]byte("verifier-2")) // the pristine expectation again
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "Credential after caller scribbled", got, c2)
		got.History[0][0] ^= 0xff
		got.Verifier[0] ^= 0xff
		p, err := tx.Policy(ctx, "t1", "s1", "standard")
		check(t, "Policy", err, nil)
		p.Requirements.RequiredRegExes[0].Pattern = "x"
		oc, err := tx.OAuthClient(ctx, "c1")
		check(t, "OAuthClient", err, nil)
		same(t, "OAuthClient after caller scribbled", oc, client)
		oc.Permissions[0] = "x"
		return nil
	})
	ss, err := get(st, "S1", base)
	check(t, "Get", err, nil)
	same(t, "session after caller scribbled", ss, s)
	ss.ServerPublic[0] ^= 0xff
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "Credential after reader scribbled", got, c2)
		p, err := tx.Policy(ctx, "t1", "s1", "standard")
		check(t, "Policy", err, nil)
		same(t, "Policy after reader scribbled", p, w.policy)
		oc, err := tx.OAuthClient(ctx, "c1")
		check(t, "OAuthClient", err, nil)
		same(t, "OAuthClient after reader scribbled", oc, client)
		return nil
	})
	ss, err = get(st, "S1", base)
	check(t, "Get", err, nil)
	same(t, "session after reader scribbled", ss, s)
	ss.Salt[0] ^= 0xff
	ss, err = take(st, ref("S1", store.FlowRenewal), base)
	check(t, "Take", err, nil)
	same(t, "taken session after reader scribbled", ss, s)
}

func testCancelledContext(t *testing.T, st store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := st.View(ctx, func(store.Tx) error { ran = true; return nil })
	check(t, "View", err, context.Canceled)
	err = st.Update(ctx, func(store.Tx) error { ran = true; return nil })
	check(t, "Update", err, context.Canceled)
	if ran {
		t.Error("a transaction ran under a cancelled context")
	}
	sessions := st.Sessions()
	_, err = sessions.Put(ctx, session("S1", store.FlowRenewal, base.Add(time.Hour)), store.SessionLimits{}, base)
	check(t, "Put", err, context.Canceled)
	_, err = sessions.Take(ctx, ref("S1", store.FlowRenewal), base)
	check(t, "Take", err, context.Canceled)
	_, err = sessions.Get(ctx, "S1", base)
	check(t, "Get", err, context.Canceled)
	_, err = sessions.Purge(ctx, base)
	check(t, "Purge", err, context.Canceled)
	_, err = sessions.Count(ctx, base)
	check(t, "Count", err, context.Canceled)
	same(t, "sessions put under a cancelled context", countSessions(t, st, base), 0)
}

// testContextEndsMidUpdate: a context that ends while an Update runs stops its next
// statement and fails the Update, and none of its writes remain.
func testContextEndsMidUpdate(t *testing.T, st store.Store) {
	w := seedWorld(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	u := w.users["u1"]
	u.Status = store.StatusDisabled
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		cancel()
		_, err := tx.User(ctx, "t1", "s1", "u2")
		check(t, "User after the context ended", err, context.Canceled)
		return nil // as if the caller ignored it: the Update must still fail
	})
	check(t, "Update", err, context.Canceled)
	view(t, st, func(tx store.Tx) error {
		got, err := tx.User(context.Background(), "t1", "s1", "u1")
		check(t, "User", err, nil)
		if got.Status != store.StatusActive {
			t.Errorf("status %s after the failed Update, want %s: its write remained", got.Status, store.StatusActive)
		}
		return nil
	})
}

// testTakeSessionConcurrent: of 64 concurrent takers of one session exactly one wins.
func testTakeSessionConcurrent(t *testing.T, st store.Store) {
	seedWorld(t, st)
	const n = 64
	for round := range 3 {
		id := fmt.Sprintf("S%d", round)
		put(t, st, session(id, store.FlowRenewal, base.Add(time.Hour)))
		winners, errs := race(n, func(int) (bool, error) {
			_, err := take(st, ref(id, store.FlowRenewal), base)
			if errors.Is(err, store.ErrSessionNotFound) {
				return false, nil
			}
			return err == nil, err
		})
		if len(winners) != 1 || len(errs) > 0 {
			t.Fatalf("round %d: %d of %d takers won (want 1); other errors: %v", round, len(winners), n, errs)
		}
	}
}

// testCredentialCASConcurrent: N writers that all read version v and write v+1
// through UpdateCredential: exactly one succeeds, the others get ErrVersionConflict,
// and the winner's verifier is the one stored.
func testCredentialCASConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c1) })
	const n = 32
	var read store.Credential
	view(t, st, func(tx store.Tx) error {
		var err error
		read, err = tx.Credential(ctx, "t1", "s1", "u1")
		return err
	})
	winners, errs := race(n, func(i int) (bool, error) {
		next := read.Renewed(fmt.Appendf(nil, "verifier-from-%d", i))
		err := st.Update(ctx, func(tx store.Tx) error { return tx.UpdateCredential(ctx, next) })
		if errors.Is(err, store.ErrVersionConflict) {
			return false, nil
		}
		return err == nil, err
	})
	if len(winners) != 1 || len(errs) > 0 {
		t.Fatalf("%d of %d writers won (want 1); other errors: %v", len(winners), n, errs)
	}
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "winner's credential", got, read.Renewed(fmt.Appendf(nil, "verifier-from-%d", winners[0])))
		return nil
	})
}

// race runs attempt(0) ... attempt(n-1) at once, released together, and returns the
// indexes whose attempt won and the errors of those that failed unexpectedly. An
// attempt returns (true, nil) when it won, (false, nil) when it lost as the test
// expects, and its error otherwise.
func race(n int, attempt func(i int) (bool, error)) (winners []int, errs []error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			won, err := attempt(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case won:
				winners = append(winners, i)
			}
		})
	}
	close(start)
	wg.Wait()
	return winners, errs
}

// errStale is what a caller of the compare-inside-Update pattern returns when the
// credential moved after its session started.
var errStale = errors.New("storetest: stale session")

// testCompareInsideUpdateConcurrent: the reference server's renewal pattern. N
// sessions started on version v; each completion takes its session, then, inside
// one Update, reads the credential, compares the version and writes v+1. Exactly
// one succeeds; every session is consumed either way.
func testCompareInsideUpdateConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	w := seedWorld(t, st)
	c1 := w.credential("u1")
	const n = 16
	update(t, st, func(tx store.Tx) error { return tx.CreateCredential(ctx, c1) })
	for i := range n {
		put(t, st, session(fmt.Sprintf("S%d", i), store.FlowRenewal, base.Add(time.Hour)))
	}
	winners, errs := race(n, func(i int) (bool, error) {
		s, err := take(st, ref(fmt.Sprintf("S%d", i), store.FlowRenewal), base)
		if err != nil {
			return false, err
		}
		var outcome error
		err = st.Update(ctx, func(tx store.Tx) error {
			c, err := tx.Credential(ctx, s.Tenant, s.Store, s.UserID)
			if err != nil {
				return err
			}
			if c.Identity != s.Identity || c.Version != s.CredentialVersion {
				outcome = errStale
				return nil
			}
			return tx.UpdateCredential(ctx, c.Renewed(fmt.Appendf(nil, "verifier-from-%d", i)))
		})
		return err == nil && outcome == nil, err
	})
	if len(winners) != 1 || len(errs) > 0 {
		t.Fatalf("%d of %d renewals won (want 1); errors: %v", len(winners), n, errs)
	}
	view(t, st, func(tx store.Tx) error {
		got, err := tx.Credential(ctx, "t1", "s1", "u1")
		check(t, "Credential", err, nil)
		same(t, "version", got.Version, c1.Version+1)
		same(t, "verifier", got.Verifier, fmt.Appendf(nil, "verifier-from-%d", winners[0]))
		return nil
	})
	same(t, "sessions left", countSessions(t, st, base), 0)
}

// testConcurrentReadersAndWriters runs readers against writers (for -race) and
// checks that every acknowledged write is there at the end.
func testConcurrentReadersAndWriters(t *testing.T, st store.Store) {
	ctx := context.Background()
	seedWorld(t, st)
	const writers, perWriter, readers = 8, 10, 8
	var wg sync.WaitGroup
	errc := make(chan error, writers*perWriter+readers)
	done := make(chan struct{})
	for g := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", g, i)
				err := st.Update(ctx, func(tx store.Tx) error {
					u := store.User{Tenant: "t1", Store: "s1", ID: id, ExternalID: "ext-" + id, Status: store.StatusActive, DateCreated: base}
					return tx.CreateUser(ctx, u)
				})
				if err == nil {
					_, err = st.Sessions().Put(ctx, session("S-"+id, store.FlowAuthentication, base.Add(time.Hour)), store.SessionLimits{}, base)
				}
				errc <- err
			}
		})
	}
	var rg sync.WaitGroup
	for range readers {
		rg.Go(func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				err := st.View(ctx, func(tx store.Tx) error {
					_, err := tx.User(ctx, "t1", "s1", "u1")
					return err
				})
				if err == nil {
					var n int
					n, err = st.Sessions().Count(ctx, base)
					if err == nil && n > writers*perWriter {
						err = fmt.Errorf("storetest: %d sessions, more than were written", n)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	view(t, st, func(tx store.Tx) error {
		for g := range writers {
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", g, i)
				_, err := tx.UserByExternalID(ctx, "t1", "s1", "ext-"+id)
				check(t, "User "+id, err, nil)
			}
		}
		return nil
	})
	same(t, "sessions", countSessions(t, st, base), writers*perWriter)
}

func testPing(t *testing.T, st store.Store) {
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.Ping(ctx); err == nil {
		t.Error("Ping with a cancelled context succeeded")
	}
}

func cloneSession(s store.Session) store.Session {
	s.Salt = append([]byte(nil), s.Salt...)
	s.ServerSecret = append([]byte(nil), s.ServerSecret...)
	s.ServerPublic = append([]byte(nil), s.ServerPublic...)
	return s
}
