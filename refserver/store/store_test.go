package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

func TestLockout(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	lock := store.LockConfig{MaxFailedAttempts: 3, LockDuration: time.Minute}
	u := store.User{Status: store.StatusActive}
	for i := 1; i <= 2; i++ {
		u = u.WithFailure(lock, now)
		if u.FailedAttempts != i || u.Status != store.StatusActive {
			t.Fatalf("after %d failures: %+v, want ACTIVE with count %d", i, u, i)
		}
	}
	u = u.WithFailure(lock, now)
	if u.Status != store.StatusTempLocked || !u.LockedUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("after 3 failures: %+v, want TEMP_LOCKED until now+1m", u)
	}
	tests := []struct {
		name string
		at   time.Time
		want store.Status
	}{
		{"during the lock", now.Add(59 * time.Second), store.StatusTempLocked},
		{"when it ends", now.Add(time.Minute), store.StatusActive},
		{"after it", now.Add(time.Hour), store.StatusActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := u.StatusAt(tt.at); got != tt.want {
				t.Errorf("StatusAt = %s, want %s", got, tt.want)
			}
		})
	}
	// A failure after the lock ran out starts the count over.
	later := u.WithFailure(lock, now.Add(2*time.Minute))
	if later.Status != store.StatusActive || later.FailedAttempts != 1 || !later.LockedUntil.IsZero() {
		t.Errorf("failure after the lock: %+v, want ACTIVE with count 1", later)
	}
	// Success resets the count and clears a run-out lock.
	ok := u.WithSuccess(now.Add(2 * time.Minute))
	if ok.Status != store.StatusActive || ok.FailedAttempts != 0 || !ok.LockedUntil.IsZero() {
		t.Errorf("success after the lock: %+v, want ACTIVE, count 0, no lock", ok)
	}
	// Zero lock configuration means the defaults.
	d := store.User{Status: store.StatusActive}
	for range store.DefaultMaxFailedAttempts {
		d = d.WithFailure(store.LockConfig{}, now)
	}
	if d.Status != store.StatusTempLocked || !d.LockedUntil.Equal(now.Add(store.DefaultLockDuration)) {
		t.Errorf("with default lock: %+v, want TEMP_LOCKED for %v", d, store.DefaultLockDuration)
	}
	// Administrative states are not changed by failures.
	for _, s := range []store.Status{store.StatusLocked, store.StatusDisabled} {
		x := store.User{Status: s, FailedAttempts: 10}.WithFailure(lock, now)
		if x.Status != s {
			t.Errorf("%s user became %s", s, x.Status)
		}
	}
}

func TestRenewedAndReuses(t *testing.T) {
	t.Parallel()
	c := store.Credential{Identity: "I", Salt: []byte("s"), Verifier: []byte("v1"), Version: 1}
	c2 := c.Renewed([]byte("v2"))
	c3 := c2.Renewed([]byte("v3"))
	if c3.Version != 3 || string(c3.Verifier) != "v3" || !reflect.DeepEqual(c3.History, [][]byte{[]byte("v2"), []byte("v1")}) {
		t.Fatalf("after two renewals: %+v", c3)
	}
	if c.Version != 1 || c.History != nil || string(c2.Verifier) != "v2" || len(c2.History) != 1 {
		t.Fatal("Renewed changed its receiver")
	}
	tests := []struct {
		name     string
		verifier string
		history  int
		want     bool
	}{
		{"off", "v3", 0, false},
		{"current, history 1", "v3", 1, true},
		{"previous, history 1", "v2", 1, false},
		{"previous, history 2", "v2", 2, true},
		{"oldest, history 2", "v1", 2, false},
		{"oldest, history 3", "v1", 3, true},
		{"new, history 24", "v4", 24, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c3.Reuses([]byte(tt.verifier), tt.history); got != tt.want {
				t.Errorf("Reuses(%s, %d) = %v, want %v", tt.verifier, tt.history, got, tt.want)
			}
		})
	}
	long := c
	for i := range store.MaxHistory + 10 {
		long = long.Renewed([]byte{byte(i)})
	}
	if len(long.History) != store.MaxHistory {
		t.Errorf("history grew to %d, want at most %d", len(long.History), store.MaxHistory)
	}
}

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	c := store.OAuthClient{SecretHash: store.HashSecret("right")}
	if !c.CheckSecret("right") || c.CheckSecret("wrong") || c.CheckSecret("") {
		t.Error("CheckSecret does not tell the right secret from others")
	}
	if (store.OAuthClient{}).CheckSecret("") {
		t.Error("a client without a hash accepts the empty secret")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    interface{ Validate() error }
		ok   bool
	}{
		{"tenant", store.Tenant{ID: "t"}, true},
		{"tenant without id", store.Tenant{}, false},
		{"store", store.IdentityStore{Tenant: "t", Name: "s"}, true},
		{"store negative lock", store.IdentityStore{Tenant: "t", Name: "s", Lock: store.LockConfig{LockDuration: -1}}, false},
		{"policy", store.Policy{Tenant: "t", Store: "s", Name: "p"}, true},
		{"policy history too long", store.Policy{Tenant: "t", Store: "s", Name: "p", Requirements: passcode.Requirements{PasscodeHistory: store.MaxHistory + 1}}, false},
		{"policy bad regex", store.Policy{Tenant: "t", Store: "s", Name: "p", Requirements: passcode.Requirements{
			RequiredRegExes: []passcode.Regex{{Pattern: "(", Error: "x"}}}}, false},
		{"user", store.User{Tenant: "t", Store: "s", ID: "u", ExternalID: "e", Status: store.StatusActive}, true},
		{"user unknown status", store.User{Tenant: "t", Store: "s", ID: "u", ExternalID: "e", Status: "NAPPING"}, false},
		{"user without external id", store.User{Tenant: "t", Store: "s", ID: "u", Status: store.StatusActive}, false},
		{"credential", store.Credential{Tenant: "t", Store: "s", UserID: "u", Identity: "i", Salt: []byte{1}, Verifier: []byte{2}, Version: 1}, true},
		{"credential version 0", store.Credential{Tenant: "t", Store: "s", UserID: "u", Identity: "i", Salt: []byte{1}, Verifier: []byte{2}}, false},
		{"credential empty history entry", store.Credential{Tenant: "t", Store: "s", UserID: "u", Identity: "i", Salt: []byte{1}, Verifier: []byte{2}, Version: 2, History: [][]byte{nil}}, false},
		{"session", store.Session{ID: "x", Flow: store.FlowRenewal, Tenant: "t", Store: "s", UserID: "u", ExpiresAt: future}, true},
		{"session unknown flow", store.Session{ID: "x", Flow: "other", Tenant: "t", Store: "s", UserID: "u", ExpiresAt: future}, false},
		{"session without expiry", store.Session{ID: "x", Flow: store.FlowRenewal, Tenant: "t", Store: "s", UserID: "u"}, false},
		{"client", store.OAuthClient{ID: "c", Tenant: "t", SecretHash: store.HashSecret("x")}, true},
		{"client without hash", store.OAuthClient{ID: "c", Tenant: "t"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			if tt.ok && err != nil {
				t.Errorf("Validate: %v", err)
			}
			if !tt.ok && !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	t.Parallel()
	secret := []byte("TOP-SECRET-BYTES")
	values := []struct {
		name string
		v    any
	}{
		{"credential", store.Credential{Identity: "I", Salt: secret, Verifier: secret, History: [][]byte{secret}, Version: 2}},
		{"session", store.Session{ID: "S", Salt: secret, ServerSecret: secret, ServerPublic: secret}},
		{"oauth client", store.OAuthClient{ID: "c", SecretHash: secret}},
	}
	for _, tt := range values {
		t.Run(tt.name, func(t *testing.T) {
			for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
				ptr := reflect.New(reflect.TypeOf(tt.v))
				ptr.Elem().Set(reflect.ValueOf(tt.v))
				nested := struct{ Inner any }{tt.v}
				for _, v := range []any{tt.v, ptr.Interface(), nested, []any{tt.v}} {
					out := fmt.Sprintf(format, v)
					if strings.Contains(out, string(secret)) || strings.Contains(out, fmt.Sprint(secret)) ||
						strings.Contains(out, fmt.Sprintf("%x", secret)) {
						t.Errorf("%s of %s shows the secret: %s", format, tt.name, out)
					}
				}
			}
		})
	}
}
