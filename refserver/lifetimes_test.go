package refserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// TestTokenTTLPerClient: a client with a token lifetime of its own gets tokens of
// that lifetime, in expires_in and in exp - iat, and they are refused once it has
// passed; other clients keep the server's.
func TestTokenTTLPerClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	err := w.st.Update(ctx, func(tx store.Tx) error {
		return tx.PutOAuthClient(ctx, store.OAuthClient{ID: "acme-short", Tenant: acme, Permissions: []string{"TNT#acme#*"},
			SecretHash: store.HashSecret("acme-short-secret"), TokenTTL: 3 * time.Second})
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := w.srv.Client(t, "")
	resp, _, err := cl.Token(ctx, "acme-short", "acme-short-secret")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ExpiresIn != 3 {
		t.Errorf("expires_in %d, want 3", resp.ExpiresIn)
	}
	if iat, exp := jwtTimes(t, resp.AccessToken); exp-iat != 3 {
		t.Errorf("exp - iat = %d, want 3", exp-iat)
	}
	full, _, err := cl.Token(ctx, "acme-full", "acme-full-secret")
	if err != nil {
		t.Fatal(err)
	}
	if full.ExpiresIn != 3600 {
		t.Errorf("expires_in of a client without a lifetime of its own: %d, want the server's 3600", full.ExpiresIn)
	}
	u := w.newUser(t, "Start-Pass-1")
	short := w.srv.Client(t, acme).WithToken(resp.AccessToken)
	if _, _, err := short.Start(ctx, api.FlowRenewal, defStore, u.ref(), standard); err != nil {
		t.Fatalf("fresh short-lived token: %v", err)
	}
	w.clock.Advance(3 * time.Second)
	_, _, err = short.Start(ctx, api.FlowRenewal, defStore, u.ref(), standard)
	wantAPIError(t, err, nil, api.CodeUnauthorized)
	if _, _, err := w.full.Start(ctx, api.FlowRenewal, defStore, u.ref(), standard); err != nil {
		t.Fatalf("the full token after 3 s: %v", err)
	}
}

// jwtTimes returns a JWT's iat and exp claims (no verification).
func jwtTimes(tb testing.TB, tok string) (iat, exp int64) {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(b, &c); err != nil {
		tb.Fatal(err)
	}
	return c.Iat, c.Exp
}

// TestSessionTTLPerStore: a store with a session lifetime of its own gives its
// sessions that lifetime, overriding the server's, on both stores; other stores
// keep the server's.
func TestSessionTTLPerStore(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldOpts{store: st})
			ctx := context.Background()
			err := w.st.Update(ctx, func(tx store.Tx) error {
				if err := tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: acme, Name: "ephemeral", SessionTTL: 5 * time.Second}); err != nil {
					return err
				}
				return tx.CreatePolicy(ctx, store.Policy{Tenant: acme, Store: "ephemeral", Name: standard,
					Requirements: passcode.Requirements{MinimumLength: 8}})
			})
			if err != nil {
				t.Fatal(err)
			}
			short := w.newUserInStore(t, "ephemeral", "Start-Pass-1")
			long := w.newUser(t, "Start-Pass-1")
			sr, _, err := w.full.Start(ctx, api.FlowAuthentication, "ephemeral", short.ref(), standard)
			if err != nil {
				t.Fatal(err)
			}
			kept := w.start(t, w.full, api.FlowAuthentication, long.ref(), standard)
			w.clock.Advance(5 * time.Second)
			sp, err := api.ParseStart(sr, "", true)
			if err != nil {
				t.Fatal(err)
			}
			vd, _, err := sp.Prove("Start-Pass-1")
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = w.full.Complete(ctx, api.FlowAuthentication, "ephemeral", sr.SessionID, api.CompleteRequest{SRPVerificationData: vd})
			wantAPIError(t, err, nil, api.CodeSessionNotFound)
			req, _ := kept.request(t, api.FlowAuthentication, "Start-Pass-1", "")
			if _, _, err := w.complete(w.full, api.FlowAuthentication, kept, req); err != nil {
				t.Fatalf("a default-store session after 5 s: %v", err)
			}
		})
	}
}
