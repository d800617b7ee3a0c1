package refserver_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
)

// Addresses of the throttle tests (RFC 5737 documentation ranges).
const (
	realHost = "192.0.2.10"    // where the real client authenticates from
	newHost  = "192.0.2.20"    // the real client, from a host it has not used
	attacker = "198.51.100.66" // someone without the secret
)

// tokenFrom sends one client-credentials request for id with secret by HTTP Basic,
// as if from addr, straight to the server's handler.
func (w *world) tokenFrom(tb testing.TB, addr, id, secret string) *httptest.ResponseRecorder {
	tb.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req := httptest.NewRequest(http.MethodPost, api.TokenPath, strings.NewReader(form))
	req.RemoteAddr = addr + ":40000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cred := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// wantToken checks one token answer: 200, 401 UNAUTHORIZED, or 429 TOO_MANY_REQUESTS
// with Retry-After retry (in seconds) and the section 10 body.
func wantToken(tb testing.TB, what string, rec *httptest.ResponseRecorder, status int, retry string) {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("%s: %d %s, want %d", what, rec.Code, rec.Body.Bytes(), status)
	}
	switch status {
	case http.StatusUnauthorized:
		wantError(tb, rec.Code, rec.Body.Bytes(), status, api.CodeUnauthorized)
	case http.StatusTooManyRequests:
		wantError(tb, rec.Code, rec.Body.Bytes(), status, refserver.CodeTooManyRequests)
		if got := rec.Header().Get("Retry-After"); got != retry {
			tb.Fatalf("%s: Retry-After %q, want %q", what, got, retry)
		}
		if rec.Header().Get("WWW-Authenticate") != "" {
			tb.Fatalf("%s: a 429 with WWW-Authenticate", what)
		}
	}
}

// TestTokenThrottle: from an address without a success, failures of a client id are
// 401 up to the burst and then 429 with Retry-After, right secret or not, known id
// or not; a familiar address keeps getting tokens throughout; the bucket refills one
// failure per interval, and a right secret gives back what it reserved.
func TestTokenThrottle(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, worldOpts{cfg: refserver.Config{TokenFailureBurst: 3, TokenFailureInterval: 10 * time.Second}})
	const id, secret = "acme-renewal", "acme-renewal-secret"
	wantToken(t, "the real client", w.tokenFrom(t, realHost, id, secret), http.StatusOK, "")
	for _, client := range []string{id, "no-such-client"} {
		for i := range 3 {
			wantToken(t, fmt.Sprintf("%s: wrong secret %d", client, i+1), w.tokenFrom(t, attacker, client, "guess"), http.StatusUnauthorized, "")
		}
		wantToken(t, client+": wrong secret over the burst", w.tokenFrom(t, attacker, client, "guess"), http.StatusTooManyRequests, "10")
	}
	// The secret is not looked at: a right one from the attacker's address is 429
	// too, so the throttle tells nothing about guesses.
	wantToken(t, "the right secret from an unfamiliar address", w.tokenFrom(t, attacker, id, secret), http.StatusTooManyRequests, "10")
	wantToken(t, "the real client from a new host", w.tokenFrom(t, newHost, id, secret), http.StatusTooManyRequests, "10")
	for i := range 5 {
		wantToken(t, fmt.Sprintf("the real client during the attack, %d", i), w.tokenFrom(t, realHost, id, secret), http.StatusOK, "")
	}
	w.clock.Advance(4 * time.Second)
	wantToken(t, "429 counts down", w.tokenFrom(t, attacker, id, "guess"), http.StatusTooManyRequests, "6")
	w.clock.Advance(6 * time.Second)
	// One failure allowed again: a right secret reserves it and gives it back.
	wantToken(t, "the real client from a new host after the wait", w.tokenFrom(t, newHost, id, secret), http.StatusOK, "")
	wantToken(t, "one more failure after the wait", w.tokenFrom(t, attacker, id, "guess"), http.StatusUnauthorized, "")
	wantToken(t, "and then 429 again", w.tokenFrom(t, attacker, id, "guess"), http.StatusTooManyRequests, "10")
	// The new host is familiar now.
	wantToken(t, "the new host, now familiar", w.tokenFrom(t, newHost, id, secret), http.StatusOK, "")
	if got := w.metricValue(t, `renewkit_limits_total{limit="token_failures"}`); got != "6" {
		t.Errorf(`renewkit_limits_total{limit="token_failures"} %q, want 6`, got)
	}
}

// TestTokenThrottleFamiliar: wrong secrets from a familiar address spend a bucket of
// their own and then get 429, while the right secret from there still gets a token
// and the unfamiliar bucket is untouched.
func TestTokenThrottleFamiliar(t *testing.T) {
	t.Parallel()
	w := newWorld(t) // DefaultTokenFailureBurst, DefaultTokenFailureInterval
	const id, secret = "acme-readonly", "acme-readonly-secret"
	wantToken(t, "first success", w.tokenFrom(t, realHost, id, secret), http.StatusOK, "")
	for i := range refserver.DefaultTokenFailureBurst {
		wantToken(t, fmt.Sprintf("wrong secret %d", i+1), w.tokenFrom(t, realHost, id, "stale-secret"), http.StatusUnauthorized, "")
	}
	retry := fmt.Sprint(int(refserver.DefaultTokenFailureInterval / time.Second))
	wantToken(t, "over the familiar burst", w.tokenFrom(t, realHost, id, "stale-secret"), http.StatusTooManyRequests, retry)
	wantToken(t, "the right secret still", w.tokenFrom(t, realHost, id, secret), http.StatusOK, "")
	wantToken(t, "an unfamiliar address has its own bucket", w.tokenFrom(t, attacker, id, "guess"), http.StatusUnauthorized, "")
}

// TestTokenThrottleOff: a negative burst turns the throttle off.
func TestTokenThrottleOff(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, worldOpts{cfg: refserver.Config{TokenFailureBurst: -1}})
	for i := range 3 * refserver.DefaultTokenFailureBurst {
		wantToken(t, fmt.Sprintf("wrong secret %d", i+1), w.tokenFrom(t, attacker, "acme-full", "guess"), http.StatusUnauthorized, "")
	}
}

// TestTokenThrottleFlood: 8 attackers from 64 addresses send 2,000 wrong secrets for
// one client id while the real client asks for 200 tokens from its usual address, all
// at once: every request of the real client gets its token, and at most the burst
// of the attackers' guesses is checked (the clock does not move).
func TestTokenThrottleFlood(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const id, secret = "globex-full", "globex-full-secret"
	wantToken(t, "first success", w.tokenFrom(t, realHost, id, secret), http.StatusOK, "")
	const attackers, guesses, goods = 8, 2000, 200
	var checked, throttled, good atomic.Int64
	var wg sync.WaitGroup
	for a := range attackers {
		wg.Go(func() {
			for i := range guesses / attackers {
				addr := fmt.Sprintf("198.51.100.%d", (a*guesses/attackers+i)%64+1)
				switch rec := w.tokenFrom(t, addr, id, fmt.Sprintf("guess-%d-%d", a, i)); rec.Code {
				case http.StatusUnauthorized:
					checked.Add(1)
				case http.StatusTooManyRequests:
					throttled.Add(1)
				default:
					t.Errorf("a guess answered %d", rec.Code)
				}
			}
		})
	}
	wg.Go(func() {
		for range goods {
			if rec := w.tokenFrom(t, realHost, id, secret); rec.Code == http.StatusOK {
				good.Add(1)
			}
		}
	})
	wg.Wait()
	t.Logf("flood: %d of %d guesses checked (401), %d refused unchecked (429); the real client got %d of %d tokens",
		checked.Load(), guesses, throttled.Load(), good.Load(), goods)
	if good.Load() != goods {
		t.Errorf("the real client got %d of %d tokens under the flood", good.Load(), goods)
	}
	if checked.Load() > refserver.DefaultTokenFailureBurst {
		t.Errorf("%d guesses were checked, want at most the burst of %d", checked.Load(), refserver.DefaultTokenFailureBurst)
	}
}
