package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/refserver/store/sqlite"
)

// derive stands in for the SRP verifier: deterministic in identity, passcode and salt,
// which is all Seed may rely on.
func derive(identity, passcode string, salt []byte) ([]byte, error) {
	h := sha256.New()
	h.Write([]byte(identity + ":" + passcode + ":"))
	h.Write(salt)
	return h.Sum(nil), nil
}

func defaultSet(tb testing.TB) *fixtures.Set {
	tb.Helper()
	s, err := fixtures.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func seed(tb testing.TB, st store.Store, set *fixtures.Set) {
	tb.Helper()
	if err := store.Seed(context.Background(), st, set, derive); err != nil {
		tb.Fatalf("Seed: %v", err)
	}
}

// backends are the stores Seed is tested on; each returns a fresh store.
var backends = []struct {
	name string
	open func(tb testing.TB) store.Store
}{
	{"memory", func(tb testing.TB) store.Store {
		st := memory.New()
		tb.Cleanup(func() { st.Close() })
		return st
	}},
	{"sqlite", func(tb testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "renewkit.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}},
}

// snapshot is everything of a Set that Seed writes, as the store holds it.
type snapshot struct {
	Stores   []store.IdentityStore
	Policies [][]store.Policy
	Clients  []store.OAuthClient
	Users    []store.User
	Creds    []*store.Credential // nil where the user has none
}

func take(tb testing.TB, st store.Store, set *fixtures.Set) snapshot {
	tb.Helper()
	ctx := context.Background()
	var s snapshot
	err := st.View(ctx, func(tx store.Tx) error {
		for _, fs := range set.Stores {
			is, err := tx.IdentityStore(ctx, fs.Tenant, fs.Name)
			if err != nil {
				return err
			}
			ps, err := tx.Policies(ctx, fs.Tenant, fs.Name)
			if err != nil {
				return err
			}
			s.Stores, s.Policies = append(s.Stores, is), append(s.Policies, ps)
		}
		for _, fc := range set.Clients {
			c, err := tx.OAuthClient(ctx, fc.ID)
			if err != nil {
				return err
			}
			s.Clients = append(s.Clients, c)
		}
		for _, fu := range set.Users {
			u, err := tx.User(ctx, fu.Tenant, fu.Store, fu.ID)
			if err != nil {
				return err
			}
			s.Users = append(s.Users, u)
			c, err := tx.Credential(ctx, fu.Tenant, fu.Store, fu.ID)
			switch {
			case errors.Is(err, store.ErrCredentialNotFound):
				s.Creds = append(s.Creds, nil)
			case err != nil:
				return err
			default:
				s.Creds = append(s.Creds, &c)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return s
}

func TestSeedDefault(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			set := defaultSet(t)
			st := b.open(t)
			seed(t, st, set)
			s := take(t, st, set)
			for i, fs := range set.Stores {
				want := store.LockConfig{MaxFailedAttempts: fs.Lock.MaxFailedAttempts, LockDuration: time.Duration(fs.Lock.LockDurationSeconds) * time.Second}
				if s.Stores[i].Lock != want {
					t.Errorf("store %s/%s lock %+v, want %+v", fs.Tenant, fs.Name, s.Stores[i].Lock, want)
				}
				if s.Stores[i].SessionTTL != time.Duration(fs.SessionTTL) {
					t.Errorf("store %s/%s session lifetime %v, want %v", fs.Tenant, fs.Name, s.Stores[i].SessionTTL, time.Duration(fs.SessionTTL))
				}
				for _, p := range s.Policies[i] {
					fp, ok := set.Policy(fs.Tenant, fs.Name, p.Name)
					if !ok || !reflect.DeepEqual(p.Requirements, fp.Requirements) {
						t.Errorf("policy %s/%s/%s not as in the fixture", fs.Tenant, fs.Name, p.Name)
					}
				}
				if len(s.Policies[i]) != 3 {
					t.Errorf("store %s/%s has %d policies, want 3", fs.Tenant, fs.Name, len(s.Policies[i]))
				}
			}
			for i, fc := range set.Clients {
				c := s.Clients[i]
				if !c.CheckSecret(fc.Secret) || c.CheckSecret(fc.Secret+"x") || c.Tenant != fc.Tenant || len(c.Permissions) != len(fc.Permissions) ||
					c.TokenTTL != time.Duration(fc.TokenTTL) {
					t.Errorf("client %s not as in the fixture", fc.ID)
				}
			}
			identities := map[string]bool{}
			for i, fu := range set.Users {
				u, c := s.Users[i], s.Creds[i]
				if u.ExternalID != fu.ExternalID || string(u.Status) != fu.Status || u.FailedAttempts != 0 || u.DateCreated.IsZero() {
					t.Errorf("user %s = %+v, not as in the fixture", fu.ExternalID, u)
				}
				if (c != nil) != (fu.Passcode != "") {
					t.Errorf("user %s/%s/%s: credential %v, fixture passcode %v", fu.Tenant, fu.Store, fu.ExternalID, c != nil, fu.Passcode != "")
					continue
				}
				if c == nil {
					continue
				}
				want, _ := derive(c.Identity, fu.Passcode, c.Salt)
				switch {
				case !api.ValidID(c.Identity) || identities[c.Identity]:
					t.Errorf("user %s: identity %q not a fresh 26-character ID", fu.ExternalID, c.Identity)
				case len(c.Salt) != store.SaltSize:
					t.Errorf("user %s: salt of %d bytes, want %d", fu.ExternalID, len(c.Salt), store.SaltSize)
				case !bytes.Equal(c.Verifier, want):
					t.Errorf("user %s: verifier is not derive(identity, passcode, salt)", fu.ExternalID)
				case c.Version != 1 || len(c.History) != 0:
					t.Errorf("user %s: version %d with %d history entries, want 1 and none", fu.ExternalID, c.Version, len(c.History))
				}
				identities[c.Identity] = true
			}
		})
	}
}

func TestSeedIdempotent(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			set := defaultSet(t)
			st := b.open(t)
			seed(t, st, set)
			first := take(t, st, set)
			seed(t, st, set)
			if second := take(t, st, set); !reflect.DeepEqual(first, second) {
				t.Error("a second Seed changed the store")
			}
		})
	}
}

// TestSeedKeepsUserState: what users did after the first seed (renew, get locked
// out, drop their credential) survives later seeds, on SQLite also across a restart.
func TestSeedKeepsUserState(t *testing.T) {
	ctx := context.Background()
	set := defaultSet(t)
	alice, _ := set.User("acme", "default", "alice")
	bob, _ := set.User("acme", "default", "bob")
	carol, _ := set.User("acme", "default", "carol")
	path := filepath.Join(t.TempDir(), "renewkit.db")
	open := func(tb testing.TB) store.Store {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			tb.Fatal(err)
		}
		return st
	}
	st := open(t)
	seed(t, st, set)
	var renewed store.Credential
	lockedUntil := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Credential(ctx, alice.Tenant, alice.Store, alice.ID)
		if err != nil {
			return err
		}
		renewed = c.Renewed([]byte("renewed-verifier"))
		if err := tx.UpdateCredential(ctx, renewed); err != nil {
			return err
		}
		u, err := tx.User(ctx, bob.Tenant, bob.Store, bob.ID)
		if err != nil {
			return err
		}
		u.Status, u.FailedAttempts, u.LockedUntil = store.StatusTempLocked, 5, lockedUntil
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.DeleteCredential(ctx, carol.Tenant, carol.Store, carol.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, st, set)
	before := take(t, st, set)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t)
	t.Cleanup(func() { st.Close() })
	seed(t, st, set)
	after := take(t, st, set)
	if !reflect.DeepEqual(before, after) {
		t.Error("restart and reseed changed the store")
	}
	err = st.View(ctx, func(tx store.Tx) error {
		c, err := tx.Credential(ctx, alice.Tenant, alice.Store, alice.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(c, renewed) {
			t.Error("alice's renewed credential was replaced")
		}
		u, err := tx.User(ctx, bob.Tenant, bob.Store, bob.ID)
		if err != nil {
			return err
		}
		if u.Status != store.StatusTempLocked || u.FailedAttempts != 5 || !u.LockedUntil.Equal(lockedUntil) {
			t.Errorf("bob's lock state was reset: %+v", u)
		}
		if _, err := tx.Credential(ctx, carol.Tenant, carol.Store, carol.ID); !errors.Is(err, store.ErrCredentialNotFound) {
			t.Errorf("carol's deleted credential: %v, want ErrCredentialNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSeedUpdatesConfiguration: a changed fixture file changes policies, stores and
// clients on the next seed, and adds new users.
func TestSeedUpdatesConfiguration(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			set := defaultSet(t)
			st := b.open(t)
			seed(t, st, set)
			set.Policies[0].Requirements.MinimumLength = 10
			set.Stores[0].Lock.MaxFailedAttempts = 9
			set.Clients[0].Secret = "rotated"
			set.Users = append(set.Users, fixtures.User{
				Tenant: "acme", Store: "default", ID: "AAAAAAAAAAAAAAAAAAAAAAAAAA", ExternalID: "newcomer", Status: fixtures.StatusActive,
			})
			seed(t, st, set)
			err := st.View(ctx, func(tx store.Tx) error {
				p0 := set.Policies[0]
				p, err := tx.Policy(ctx, p0.Tenant, p0.Store, p0.Name)
				if err != nil {
					return err
				}
				if p.Requirements.MinimumLength != 10 {
					t.Errorf("policy minimumLength %d, want 10", p.Requirements.MinimumLength)
				}
				is, err := tx.IdentityStore(ctx, set.Stores[0].Tenant, set.Stores[0].Name)
				if err != nil {
					return err
				}
				if is.Lock.MaxFailedAttempts != 9 {
					t.Errorf("store maxFailedAttempts %d, want 9", is.Lock.MaxFailedAttempts)
				}
				c, err := tx.OAuthClient(ctx, set.Clients[0].ID)
				if err != nil {
					return err
				}
				if !c.CheckSecret("rotated") {
					t.Error("client secret not rotated")
				}
				_, err = tx.UserByExternalID(ctx, "acme", "default", "newcomer")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSeedAllOrNothing(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	tests := []struct {
		name   string
		derive store.DeriveFunc
		edit   func(*fixtures.Set)
		want   error
	}{
		{"derive fails", func(string, string, []byte) ([]byte, error) { return nil, boom }, nil, boom},
		{"invalid set", derive, func(s *fixtures.Set) { s.Users[0].ID = "nope" }, fixtures.ErrInvalid},
		{"nil derive", nil, nil, nil},
	}
	for _, b := range backends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				set := defaultSet(t)
				if tt.edit != nil {
					tt.edit(set)
				}
				st := b.open(t)
				err := store.Seed(ctx, st, set, tt.derive)
				if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
					t.Fatalf("Seed = %v, want %v", err, tt.want)
				}
				err = st.View(ctx, func(tx store.Tx) error {
					_, err := tx.Tenant(ctx, "acme")
					return err
				})
				if !errors.Is(err, store.ErrTenantNotFound) {
					t.Errorf("after a failed Seed, tenant acme: %v, want ErrTenantNotFound", err)
				}
			})
		}
	}
}

// TestSeedExternalIDClash: a fixture user whose external ID another user took since
// (an admin created it) fails the seed with a message naming the fixture user.
func TestSeedExternalIDClash(t *testing.T) {
	ctx := context.Background()
	set := defaultSet(t)
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	erin, _ := set.User("acme", "default", "erin")
	without := *set
	without.Users = nil
	for _, u := range set.Users {
		if u.ID != erin.ID {
			without.Users = append(without.Users, u)
		}
	}
	seed(t, st, &without)
	err := st.Update(ctx, func(tx store.Tx) error {
		return tx.CreateUser(ctx, store.User{Tenant: "acme", Store: "default", ID: "AAAAAAAAAAAAAAAAAAAAAAAAAA", ExternalID: "erin", Status: store.StatusActive})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.Seed(ctx, st, set, derive)
	if !errors.Is(err, store.ErrExternalIDTaken) || !bytes.Contains([]byte(err.Error()), []byte("acme/default/erin")) {
		t.Errorf("Seed = %v, want ErrExternalIDTaken naming acme/default/erin", err)
	}
}
