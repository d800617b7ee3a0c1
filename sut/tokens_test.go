package sut

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenSourceRenews checks that a fetched token is reused while fresh and fetched
// again once four fifths of its lifetime have passed, and that a static token is
// never fetched.
func TestTokenSourceRenews(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			http.NotFound(w, r)
			return
		}
		n := fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":100}`, n)
	}))
	defer srv.Close()
	tg := &Target{BaseURL: srv.URL, Tenant: "acme", Store: "default", Tokens: map[Role]Credentials{
		RoleFull: {ClientID: "c", ClientSecret: "s"},
		RoleNone: {Token: "static"},
	}}
	now := time.Unix(1_000_000, 0)
	ts := NewTokenSource(tg, srv.Client())
	ts.now = func() time.Time { return now }
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		role    Role
		want    string
	}{
		{0, RoleFull, "tok-1"},
		{79 * time.Second, RoleFull, "tok-1"}, // within 4/5 of 100 s
		{2 * time.Second, RoleFull, "tok-2"},  // 81 s after the fetch: renewed
		{0, RoleFull, "tok-2"},
		{time.Hour, RoleNone, "static"},
		{time.Hour, RoleNone, "static"},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		got, err := ts.Token(ctx, st.role)
		if err != nil || got != st.want {
			t.Fatalf("step %d: Token(%s) = %q, %v; want %q", i, st.role, got, err, st.want)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d token fetches, want 2", n)
	}
}

// TestTokenSourceExpired: Expired waits a fresh token's lifetime (exp - iat of a
// JWT, else expires_in) plus the margin from when the token arrived, keeps the
// expired token for later calls, takes a static token past its exp at once, and
// refuses a token whose lifetime it cannot tell.
func TestTokenSourceExpired(t *testing.T) {
	t.Parallel()
	jwt := func(iat, exp int64) string {
		claims := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"iat":%d,"exp":%d,"sub":"x"}`, iat, exp))
		return "eyJhbGciOiJFUzI1NiJ9." + claims + ".c2ln"
	}
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, _ := r.BasicAuth()
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch id {
		case "jwt": // one second by its claims; expires_in says an hour
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, jwt(5000, 5001))
		case "opaque":
			fmt.Fprint(w, `{"access_token":"opaque-token","token_type":"Bearer","expires_in":1}`)
		case "mute":
			fmt.Fprint(w, `{"access_token":"mute-token","token_type":"Bearer"}`)
		}
	}))
	defer srv.Close()
	static := jwt(100, 200)
	tg := &Target{BaseURL: srv.URL, Tenant: "acme", Store: "default", Tokens: map[Role]Credentials{
		RoleExpired:       {ClientID: "jwt", ClientSecret: "s"},
		RoleFull:          {ClientID: "opaque", ClientSecret: "s"},
		RoleRenewal:       {ClientID: "mute", ClientSecret: "s"},
		RoleNone:          {Token: static},
		RoleUnknownTenant: {Token: "not-a-jwt"},
	}}
	ts := NewTokenSource(tg, srv.Client())
	ctx := context.Background()
	const margin = 200 * time.Millisecond
	for _, tc := range []struct {
		role Role
		want string
		wait time.Duration // at least
	}{
		{RoleExpired, jwt(5000, 5001), time.Second + margin},
		{RoleExpired, jwt(5000, 5001), 0}, // kept
		{RoleFull, "opaque-token", time.Second + margin},
		{RoleNone, static, 0},               // exp long past
		{RoleUnknownTenant, "not-a-jwt", 0}, // static: expired by the target's word
	} {
		start := time.Now()
		got, err := ts.Expired(ctx, tc.role, margin)
		took := time.Since(start)
		if err != nil || got != tc.want {
			t.Fatalf("Expired(%s) = %q, %v; want %q", tc.role, got, err, tc.want)
		}
		if took < tc.wait || (tc.wait == 0 && took > 500*time.Millisecond) {
			t.Errorf("Expired(%s) took %v, want %v", tc.role, took, tc.wait)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (a kept token is not fetched again)", n)
	}
	if _, err := ts.Expired(ctx, RoleRenewal, margin); err == nil || !strings.Contains(err.Error(), "expires_in") {
		t.Errorf("a token without a lifetime: err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := NewTokenSource(tg, srv.Client()).Expired(cctx, RoleExpired, margin); err == nil {
		t.Error("a cancelled context did not end the wait")
	}
}
