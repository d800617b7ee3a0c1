package refserver_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
)

// metricValue returns the value of one series of /metrics, "" if absent.
func (w *world) metricValue(tb testing.TB, series string) string {
	tb.Helper()
	status, body := w.raw(tb, http.MethodGet, api.MetricsPath, "", "", nil, nil)
	if status != http.StatusOK {
		tb.Fatalf("/metrics: %d", status)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// TestSessionsPerUser: a start for a user with MaxSessionsPerUser open sessions drops
// the oldest, whose completion is then answered exactly as an expired session's is,
// and counts as nothing (no failure, no consumed attempt); the others complete.
func TestSessionsPerUser(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldOpts{store: st, cfg: refserver.Config{MaxSessionsPerUser: 3}})
			u := w.newUser(t, "Right-Pass-1")
			var ss []started
			for range 4 {
				ss = append(ss, w.start(t, w.full, api.FlowAuthentication, u.ref(), standard))
				w.clock.Advance(time.Second) // CreatedAt orders them
			}
			// A wrong proof for the dropped session: 404, and no failure counted.
			req, _ := ss[0].request(t, api.FlowAuthentication, "Wrong-Pass-1", "")
			_, dropped, err := w.complete(w.full, api.FlowAuthentication, ss[0], req)
			wantAPIError(t, err, dropped, api.CodeSessionNotFound)
			if got := w.snapshot(t, u).User.FailedAttempts; got != 0 {
				t.Errorf("failures after completing a dropped session: %d, want 0", got)
			}
			for _, s := range ss[1:] {
				req, _ := s.request(t, api.FlowAuthentication, "Right-Pass-1", "")
				if _, _, err := w.complete(w.full, api.FlowAuthentication, s, req); err != nil {
					t.Errorf("a session within the limit: %v", err)
				}
			}
			// An expired session's answer, for comparison.
			other := w.newUser(t, "Right-Pass-1")
			old := w.start(t, w.full, api.FlowAuthentication, other.ref(), standard)
			w.clock.Advance(refserver.DefaultSessionTTL)
			req, _ = old.request(t, api.FlowAuthentication, "Right-Pass-1", "")
			_, expired, err := w.complete(w.full, api.FlowAuthentication, old, req)
			wantAPIError(t, err, expired, api.CodeSessionNotFound)
			if dropped.Status != expired.Status || string(dropped.ResponseBody) != string(expired.ResponseBody) {
				t.Errorf("a dropped session answers %d %s, an expired one %d %s", dropped.Status, dropped.ResponseBody, expired.Status, expired.ResponseBody)
			}
			if got := w.metricValue(t, `renewkit_limits_total{limit="sessions_per_user"}`); got != "1" {
				t.Errorf("renewkit_limits_total{limit=\"sessions_per_user\"} is %q, want 1", got)
			}
		})
	}
}

// TestSessionsServerWide: a start while the server holds MaxSessions sessions is 429
// TOO_MANY_REQUESTS with Retry-After and the section 10 body, and stores nothing; a
// user at its own limit still starts (its oldest makes room); once sessions expire,
// starts succeed again without waiting for the purge loop.
func TestSessionsServerWide(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorldWith(t, worldOpts{store: st, cfg: refserver.Config{MaxSessions: 3, MaxSessionsPerUser: 2}})
			ctx := context.Background()
			users := []testUser{w.newUser(t, "Right-Pass-1"), w.newUser(t, "Right-Pass-1"), w.newUser(t, "Right-Pass-1")}
			w.start(t, w.full, api.FlowAuthentication, users[0].ref(), standard)
			w.clock.Advance(time.Second)
			w.start(t, w.full, api.FlowAuthentication, users[0].ref(), standard)
			w.start(t, w.full, api.FlowRegistration, w.newUser(t, "").ref(), standard)
			for _, flow := range []api.Flow{api.FlowAuthentication, api.FlowRenewal} {
				_, ex, err := w.full.Start(ctx, flow, defStore, users[1].ref(), standard)
				if api.ErrorCode(err) != refserver.CodeTooManyRequests || ex.Status != http.StatusTooManyRequests {
					t.Fatalf("%s start on a full server: %v (status %d), want 429 TOO_MANY_REQUESTS", flow, err, ex.Status)
				}
				if ra := ex.ResponseHeader.Get("Retry-After"); ra != "1" {
					t.Errorf("Retry-After %q, want 1", ra)
				}
				wantError(t, ex.Status, ex.ResponseBody, http.StatusTooManyRequests, refserver.CodeTooManyRequests)
			}
			if got := w.metricValue(t, "renewkit_sessions_open"); got != "3" {
				t.Errorf("renewkit_sessions_open %q after refused starts, want 3", got)
			}
			// users[0] has two, its limit: its oldest goes and its new one fits.
			w.start(t, w.full, api.FlowAuthentication, users[0].ref(), standard)
			if got := w.metricValue(t, `renewkit_limits_total{limit="sessions"}`); got != "2" {
				t.Errorf(`renewkit_limits_total{limit="sessions"} %q, want 2`, got)
			}
			// Every session expires; the next start purges them and fits.
			w.clock.Advance(refserver.DefaultSessionTTL + time.Second)
			s := w.start(t, w.full, api.FlowAuthentication, users[2].ref(), standard)
			req, _ := s.request(t, api.FlowAuthentication, "Right-Pass-1", "")
			if _, _, err := w.complete(w.full, api.FlowAuthentication, s, req); err != nil {
				t.Fatalf("a session started after the others expired: %v", err)
			}
		})
	}
}

// TestSessionLimitsDefaults: the zero Config has the documented limits, and a
// negative one turns its limit off.
func TestSessionLimitsDefaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Right-Pass-1")
	var first started
	for i := range refserver.DefaultMaxSessionsPerUser + 1 {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		if i == 0 {
			first = s
		}
		w.clock.Advance(time.Millisecond)
	}
	req, _ := first.request(t, api.FlowAuthentication, "Right-Pass-1", "")
	_, _, err := w.complete(w.full, api.FlowAuthentication, first, req)
	wantAPIError(t, err, nil, api.CodeSessionNotFound)

	off := newWorldWith(t, worldOpts{cfg: refserver.Config{MaxSessionsPerUser: -1, MaxSessions: -1}})
	u = off.newUser(t, "Right-Pass-1")
	for i := range refserver.DefaultMaxSessionsPerUser + 1 {
		s := off.start(t, off.full, api.FlowAuthentication, u.ref(), standard)
		if i == 0 {
			first = s
		}
	}
	req, _ = first.request(t, api.FlowAuthentication, "Right-Pass-1", "")
	if _, _, err := off.complete(off.full, api.FlowAuthentication, first, req); err != nil {
		t.Fatalf("the first of %d sessions without a limit: %v", refserver.DefaultMaxSessionsPerUser+1, err)
	}
	if got := fmt.Sprint(off.metricValue(t, `renewkit_limits_total{limit="sessions_per_user"}`)); got != "0" {
		t.Errorf("sessions dropped without a limit: %s", got)
	}
}
