package steps_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
)

// serveTokens runs the reference server with cfg (memory store, default fixtures)
// behind wrap, and returns its URL.
func serveTokens(tb testing.TB, cfg refserver.Config, wrap func(http.Handler) http.Handler) string {
	tb.Helper()
	cfg.StoreDSN = "memory:"
	srv, err := refserver.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(wrap(srv.Handler()))
	tb.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	return hs.URL
}

// lockingOut answers every token request 429 once n have been answered 401: a
// throttle that locks the real client out along with whoever guesses.
func lockingOut(n int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		var failures atomic.Int64
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != api.TokenPath {
				h.ServeHTTP(w, r)
				return
			}
			if failures.Load() >= n {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Retry-After", "60")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"code":"TOO_MANY_REQUESTS","message":"slow down","processingDetails":[]}`))
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code == http.StatusUnauthorized {
				failures.Add(1)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}
}

// TestThrottleCheck: TOK-009 passes against the reference server, and fails against
// one that never throttles (the 100 wrong secrets are all 401) and against one
// whose throttle also refuses the right secret (a lockout the attacker controls).
// The check passing on the reference server alone would not show it can fail: the
// suite's own tokens come from the same client, so a check that only looked at the
// last answer, or a target whose tokens were fetched before the guesses, could pass
// either way.
func TestThrottleCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		cfg    refserver.Config
		wrap   func(http.Handler) http.Handler
		status string
		step   string
		reason string
	}{
		{"throttled", refserver.Config{}, func(h http.Handler) http.Handler { return h }, steps.StatusPassed, "", ""},
		{"no throttle", refserver.Config{TokenFailureBurst: -1}, func(h http.Handler) http.Handler { return h },
			steps.StatusFailed, "the client sends wrong secrets for the renewal role's client until the answer is 429, at most 100", "all answered 401: no throttle"},
		{"lockout", refserver.Config{TokenFailureBurst: -1}, lockingOut(5),
			steps.StatusFailed, "the answer is 200", "429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := serveTokens(t, tc.cfg, tc.wrap)
			tg, err := sut.Load(url)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: "@TOK-009"})
			if err != nil {
				t.Fatal(err)
			}
			c, ok := sum.Check("TOK-009")
			if !ok || c.Status != tc.status {
				t.Fatalf("TOK-009: %v, want %v: %+v", c.Status, tc.status, c.Scenarios)
			}
			if tc.status != steps.StatusFailed {
				return
			}
			sc := c.Scenarios[0]
			if sc.Step != tc.step || !strings.Contains(sc.Evidence, tc.reason) {
				t.Errorf("failed at %q, want %q, with evidence containing %q:\n%s", sc.Step, tc.step, tc.reason, sc.Evidence)
			}
		})
	}
}
