package target

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
