package refserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// TestBadInput runs the corpus of fixtures/badinput.yaml against a server with the
// default fixtures: every case gets its 4xx and code, never a 5xx, and afterwards the
// victim (alice) still authenticates and nothing moved but what SPEC section 2 allows.
func TestBadInput(t *testing.T) {
	t.Parallel()
	cases, err := fixtures.BadInput()
	if err != nil {
		t.Fatal(err)
	}
	srv := refservertest.Start(t, refserver.Config{})
	ctx := context.Background()
	set, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := set.User(acme, defStore, "alice")
	erin, _ := set.User(acme, defStore, "erin")
	full := srv.ClientAs(t, acme, "acme-full")
	tokens := map[string]string{
		"":                      full.AccessToken,
		fixtures.TokenFull:      full.AccessToken,
		fixtures.TokenReadonly:  srv.Token(t, "acme-readonly", "acme-readonly-secret"),
		fixtures.TokenMalformed: fixtures.MalformedToken,
		fixtures.TokenNone:      "",
	}
	vars, err := fixtures.BadInputValues(srv.Params())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"P": api.Paths{Tenant: acme}.Store(defStore), "HP": api.Paths{HostForm: true}.Store(defStore),
		"prefix": api.DefaultPrefix, "tenant": acme, "tenantUpper": strings.ToUpper(acme), "store": defStore,
		"tenantHost": "acme.example.test", "otherHost": "globex.example.test",
		"userId": alice.ID, "userIdLower": strings.ToLower(alice.ID), "extUserId": alice.ExternalID,
		"freshUserId": erin.ID, "policy": alice.Policy,
	} {
		vars[k] = v
	}

	// state is everything the corpus must not move.
	type state struct {
		Alice    store.User
		AliceCrd store.Credential
		Erin     store.User
		ErinCred bool
		Policies []store.Policy
	}
	read := func(t *testing.T) state {
		t.Helper()
		var s state
		err := srv.Store().View(ctx, func(tx store.Tx) error {
			var err error
			if s.Alice, err = tx.User(ctx, acme, defStore, alice.ID); err != nil {
				return err
			}
			if s.AliceCrd, err = tx.Credential(ctx, acme, defStore, alice.ID); err != nil {
				return err
			}
			if s.Erin, err = tx.User(ctx, acme, defStore, erin.ID); err != nil {
				return err
			}
			_, err = tx.Credential(ctx, acme, defStore, erin.ID)
			s.ErinCred = err == nil
			s.Policies, err = tx.Policies(ctx, acme, defStore)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(a, b state) bool {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return bytes.Equal(ja, jb)
	}
	baseline := read(t)

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			v := vars
			if c.Session != "" {
				user := api.ByID(alice.ID)
				if c.Session == "registration" {
					user = api.ByID(erin.ID)
				}
				sr, _, err := full.Start(ctx, api.Flow(c.Session), defStore, user, alice.Policy)
				if err != nil {
					t.Fatalf("starting the %s session: %v", c.Session, err)
				}
				v = map[string]string{"session": sr.SessionID}
				for k, val := range vars {
					v[k] = val
				}
			}
			r, err := c.Expand(v)
			if err != nil {
				t.Fatal(err)
			}
			status, body := send(t, srv.URL(), r, tokens[c.Token])
			if status >= 500 {
				t.Fatalf("5xx: %d %s", status, body)
			}
			if status != c.Status {
				t.Fatalf("status %d, want %d: %s", status, c.Status, body)
			}
			if err := api.ValidateErrorBody(body); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if e, _ := api.DecodeError(body); string(e.Code) != c.Code {
				t.Fatalf("code %s, want %s (%s)", e.Code, c.Code, e.Message)
			}

			after := read(t)
			if c.CountsTowardLockout() {
				if after.Alice.FailedAttempts != baseline.Alice.FailedAttempts+1 {
					t.Fatalf("failed attempts %d, want %d", after.Alice.FailedAttempts, baseline.Alice.FailedAttempts+1)
				}
				after.Alice.FailedAttempts = baseline.Alice.FailedAttempts
			}
			if !same(after, baseline) {
				t.Fatalf("state moved:\nbefore %+v\nafter  %+v", baseline, after)
			}
			// The victim's passcode still works, which also resets a counted failure.
			if _, err := api.Authenticate(ctx, full, defStore, api.ByID(alice.ID), alice.Policy, alice.Passcode); err != nil {
				t.Fatalf("alice no longer authenticates: %v", err)
			}
			if !same(read(t), baseline) {
				t.Fatal("state differs after the good authentication")
			}
		})
	}

	// Nothing the corpus tried to create exists.
	for _, ext := range []string{"badinput-1", "badinput-2", "badinput-3", "badinput-4", "badinput-5", "badinput-6"} {
		if _, _, err := full.GetUserByExternalID(ctx, defStore, ext); api.ErrorCode(err) != api.CodeUserNotFound {
			t.Errorf("user %s: %v", ext, err)
		}
	}
	for _, p := range []string{"badinput-p1", "badinput-p2", "badinput-p3", "badinput-p4", "badinput-p5", "badinput-renamed"} {
		if _, _, err := full.GetPolicy(ctx, defStore, p); api.ErrorCode(err) != api.CodePolicyNotFound {
			t.Errorf("policy %s: %v", p, err)
		}
	}
}

// send performs one expanded corpus request. The path goes on the wire exactly as
// written (Opaque), so percent-encodings and dot segments reach the server untouched.
func send(tb testing.TB, base string, r fixtures.BadRequest, token string) (int, []byte) {
	tb.Helper()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, base+"/", body)
	if err != nil {
		tb.Fatal(err)
	}
	// An opaque path that starts with a single '/' is sent in origin form as it is
	// ("//host/path" would become the absolute form, whose host overrides Host).
	req.URL.Opaque = r.Path
	if r.Host != "" {
		req.Host = r.Host
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		tb.Fatal(err)
	}
	return resp.StatusCode, b
}
