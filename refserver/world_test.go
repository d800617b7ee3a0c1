package refserver_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/srp"
)

// The test world: the names of the fixtures, seeded through the store API so
// that these tests pin exactly the data they rely on.
const (
	acme       = "acme"
	globex     = "globex"
	defStore   = "default"
	otherStore = "other"
	standard   = "standard"
	pin6       = "pin6"
	noHistory  = "nohistory"
)

// world is one server with its clock, store and ready clients.
type world struct {
	srv   *refservertest.Server
	clock *refservertest.Clock
	st    store.Store
	p     *srp.Params
	// full, renewal, readonly hold tokens of acme-full, acme-renewal, acme-readonly;
	// globexFull of globex-full.
	full, renewal, readonly, globexFull *api.Client
	// ghost holds a token of ghost-full, for tenant "ghost" which does not exist.
	ghost *api.Client
}

// worldOpts adjust a world's server.
type worldOpts struct {
	cfg   refserver.Config
	store store.Store // memory when nil
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	return newWorldWith(tb, worldOpts{})
}

func newWorldWith(tb testing.TB, o worldOpts) *world {
	tb.Helper()
	st := o.store
	if st == nil {
		st = memory.New()
	}
	clock := refservertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := o.cfg
	cfg.Store = st
	cfg.NoFixtures = true
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	srv := refservertest.Start(tb, cfg)
	w := &world{srv: srv, clock: clock, st: st, p: srv.Params()}
	w.seed(tb)
	w.full = srv.ClientAs(tb, acme, "acme-full")
	w.renewal = srv.ClientAs(tb, acme, "acme-renewal")
	w.readonly = srv.ClientAs(tb, acme, "acme-readonly")
	w.globexFull = srv.ClientAs(tb, globex, "globex-full")
	w.ghost = srv.ClientAs(tb, "ghost", "ghost-full")
	return w
}

// seed writes tenants, stores, policies and OAuth clients, unless the store has them
// already (a restarted SQLite server).
func (w *world) seed(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	err := w.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Tenant(ctx, acme); err == nil {
			return nil
		}
		for _, t := range []string{acme, globex} {
			if err := tx.PutTenant(ctx, store.Tenant{ID: t}); err != nil {
				return err
			}
			if err := tx.PutIdentityStore(ctx, store.IdentityStore{
				Tenant: t, Name: defStore,
				Lock: store.LockConfig{MaxFailedAttempts: 5, LockDuration: 900 * time.Second},
			}); err != nil {
				return err
			}
			for _, p := range []store.Policy{
				{Name: standard, Requirements: passcode.Requirements{
					MinimumLength: 8, MaximumLength: 64, DigitCount: 1, SymbolCount: 1,
					LowerCaseCount: 1, UpperCaseCount: 1, CharacterVariety: 3, PasscodeHistory: 3,
					RequiredRegExes:   []passcode.Regex{{Pattern: "[0-9]", Error: "needs a digit"}},
					DisallowedRegExes: []passcode.Regex{{Pattern: "(?i)password", Error: "no 'password'"}},
				}},
				{Name: pin6, Requirements: passcode.Requirements{
					PasscodeHistory: 1,
					AllowedRegExes:  []passcode.Regex{{Pattern: "^[0-9]{6}$", Error: "six digits"}},
				}},
				{Name: noHistory, Requirements: passcode.Requirements{MinimumLength: 8, MaximumLength: 64}},
			} {
				p.Tenant, p.Store = t, defStore
				if err := tx.CreatePolicy(ctx, p); err != nil {
					return err
				}
			}
		}
		// A second store of acme, for the session binding checks.
		if err := tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: acme, Name: otherStore}); err != nil {
			return err
		}
		if err := tx.CreatePolicy(ctx, store.Policy{Tenant: acme, Store: otherStore, Name: standard,
			Requirements: passcode.Requirements{PasscodeHistory: 3}}); err != nil {
			return err
		}
		clients := []store.OAuthClient{
			{ID: "acme-full", Tenant: acme, Permissions: []string{"TNT#acme#*"}},
			{ID: "acme-renewal", Tenant: acme, Permissions: []string{
				"TNT#acme#createPasscodeRenewalForUser",
				"TNT#acme#createUserPasscodeRenewalForUserByExtUserId",
				"TNT#acme#completePasscodeRenewal",
			}},
			{ID: "acme-readonly", Tenant: acme},
			{ID: "globex-full", Tenant: globex, Permissions: []string{"TNT#globex#*"}},
			// A client whose permission names a tenant that does not exist: the only
			// way to reach TENANT_NOT_FOUND past the permission check.
			{ID: "ghost-full", Tenant: acme, Permissions: []string{"TNT#ghost#*"}},
		}
		for _, c := range clients {
			c.SecretHash = store.HashSecret(c.ID + "-secret")
			if err := tx.PutOAuthClient(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// testUser is a user made for one test.
type testUser struct {
	store.User
	pass string // "" when unregistered
}

func (u testUser) ref() api.UserRef    { return api.ByID(u.ID) }
func (u testUser) extRef() api.UserRef { return api.ByExternalID(u.ExternalID) }

// newUser adds an ACTIVE user to acme/default, registered with pass unless pass is "".
func (w *world) newUser(tb testing.TB, pass string) testUser {
	tb.Helper()
	return w.newUserIn(tb, acme, store.StatusActive, pass)
}

// newUserIn adds a user with a random external id to tenant/default.
func (w *world) newUserIn(tb testing.TB, tenant string, status store.Status, pass string) testUser {
	tb.Helper()
	id, err := api.NewID()
	if err != nil {
		tb.Fatal(err)
	}
	u := store.User{
		Tenant: tenant, Store: defStore, ID: id, ExternalID: "ext-" + strings.ToLower(id[:10]),
		Status: status, DateCreated: w.clock.Now(),
	}
	if status == store.StatusTempLocked {
		u.LockedUntil = w.clock.Now().Add(15 * time.Minute)
	}
	ctx := context.Background()
	err = w.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if pass == "" {
			return nil
		}
		return tx.CreateCredential(ctx, w.credential(tb, u, pass))
	})
	if err != nil {
		tb.Fatalf("new user: %v", err)
	}
	return testUser{User: u, pass: pass}
}

// credential derives a version-1 credential for pass, as a client registration would.
func (w *world) credential(tb testing.TB, u store.User, pass string) store.Credential {
	tb.Helper()
	ident, err := api.NewID()
	if err != nil {
		tb.Fatal(err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		tb.Fatal(err)
	}
	return store.Credential{
		Tenant: u.Tenant, Store: u.Store, UserID: u.ID, Identity: ident, Salt: salt,
		Verifier: w.p.Verifier([]byte(ident), []byte(passcode.Normalize(pass)), salt), Version: 1,
	}
}

// snapshot is everything about one user that a failed request must not move.
type snapshot struct {
	User store.User
	Cred *store.Credential
}

func (w *world) snapshot(tb testing.TB, u testUser) snapshot {
	tb.Helper()
	ctx := context.Background()
	var s snapshot
	err := w.st.View(ctx, func(tx store.Tx) error {
		var err error
		if s.User, err = tx.User(ctx, u.Tenant, u.Store, u.ID); err != nil {
			return err
		}
		c, err := tx.Credential(ctx, u.Tenant, u.Store, u.ID)
		if err == nil {
			s.Cred = &c
			return nil
		}
		if err == store.ErrCredentialNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return s
}

// sameSnapshot fails the test if the user or credential moved.
func sameSnapshot(tb testing.TB, before, after snapshot) {
	tb.Helper()
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if !bytes.Equal(a, b) {
		tb.Fatalf("state moved:\nbefore %s\nafter  %s", b, a)
	}
}

// mustAuthenticate runs a whole authentication of u with pass and fails on error.
func (w *world) mustAuthenticate(tb testing.TB, u testUser, pass string) {
	tb.Helper()
	if _, err := api.Authenticate(context.Background(), w.full, defStore, u.ref(), standard, pass); err != nil {
		tb.Fatalf("authenticate %s: %v", u.ExternalID, err)
	}
}

// raw sends one request and returns status and body. path is relative to the server.
func (w *world) raw(tb testing.TB, method, path, token, contentType string, body []byte, header http.Header) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.srv.URL()+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = vs[0]
			continue
		}
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, b
}

// wantError checks an error exchange: the status, the section 10 body and the code.
func wantError(tb testing.TB, status int, body []byte, wantStatus int, code api.Code) {
	tb.Helper()
	if status != wantStatus {
		tb.Fatalf("status %d, want %d; body %s", status, wantStatus, body)
	}
	if err := api.ValidateErrorBody(body); err != nil {
		tb.Fatalf("error body: %v: %s", err, body)
	}
	e, err := api.DecodeError(body)
	if err != nil {
		tb.Fatal(err)
	}
	if e.Code != code {
		tb.Fatalf("code %s, want %s (%s)", e.Code, code, e.Message)
	}
}

// wantAPIError checks an error returned by the api client.
func wantAPIError(tb testing.TB, err error, ex *api.Exchange, code api.Code) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want %s", code)
	}
	if got := api.ErrorCode(err); got != code {
		tb.Fatalf("error %v (code %q), want %s", err, got, code)
	}
	if ex != nil && ex.Status != code.Status() {
		tb.Fatalf("status %d, want %d", ex.Status, code.Status())
	}
}
