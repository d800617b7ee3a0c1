package load

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSynchronizedStart: a run given a start time waits for it, measures the
// target's clock beside its own and records both; a start time that has passed
// by the end of setup is refused. The start time is set from how long a first
// run's setup took here, so a loaded machine moves it out, not the verdict.
func TestSynchronizedStart(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	prof := constProfile(t, 3, 10, time.Second)
	began := time.Now()
	if _, err := Run(context.Background(), Config{Target: f.target(), Profile: prof}); err != nil {
		t.Fatal(err)
	}
	// Everything before the attack (clock check, setup, calibration,
	// precomputation) took less than the whole first run; a machine that slows
	// down further doubles the margin, up to three times.
	margin := 2*time.Since(began) + time.Second
	var s *Summary
	var at time.Time
	for try := 0; ; try++ {
		at = time.Now().Add(margin).Truncate(time.Millisecond)
		var err error
		s, err = Run(context.Background(), Config{Target: f.target(), Profile: prof, StartAt: at})
		if errors.Is(err, ErrStart) && strings.Contains(err.Error(), "while this shard set up") && try < 3 {
			margin *= 2
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if s.Started.Before(at) {
		t.Errorf("the attack began at %v, before its start time %v", s.Started, at)
	}
	if late := s.Started.Sub(at); late > startLate+time.Second {
		t.Errorf("the attack began %v after its start time", late)
	}
	if s.ClockSkew == nil || !s.StartAt.Equal(at) {
		t.Fatalf("summary: startAt %v, clock skew %v; want both recorded", s.StartAt, s.ClockSkew)
	}
	if d := time.Duration(s.ClockSkew.Skew); d > 2*time.Second || d < -2*time.Second {
		t.Errorf("a server on this host measured %v off", d)
	}

	_, err := Run(context.Background(), Config{Target: f.target(), Profile: prof, StartAt: time.Now().Add(-time.Minute)})
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "past already") {
		t.Errorf("a start time in the past: %v, want ErrStart saying it is past", err)
	}
}

// TestSynchronizedStartRefusesASkewedClock: a target whose clock is 30 s ahead
// of this host's is refused before any user is set up.
func TestSynchronizedStartRefusesASkewedClock(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	ahead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
		f.srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ahead.Close)
	tg := f.target()
	tg.BaseURL = ahead.URL
	_, err := Run(context.Background(), Config{Target: tg, Profile: constProfile(t, 3, 10, time.Second), StartAt: time.Now().Add(time.Hour)})
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "off the target's") {
		t.Fatalf("err = %v, want ErrStart naming the skew", err)
	}
	f.mu.Lock()
	users := len(f.users)
	f.mu.Unlock()
	if users != 0 {
		t.Errorf("%d users were set up before the skew was refused", users)
	}
}

func TestCheckSkew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		skew, unc time.Duration
		ok        bool
	}{
		{0, 0, true},
		{900 * time.Millisecond, 0, true},
		{-1500 * time.Millisecond, 0, false},
		{1500 * time.Millisecond, 600 * time.Millisecond, true}, // could be within the bound
		{3 * time.Second, 500 * time.Millisecond, false},
	} {
		err := checkSkew(ClockSkew{Skew: Millis(tc.skew), Uncertainty: Millis(tc.unc)}, time.Second)
		if (err == nil) != tc.ok {
			t.Errorf("skew %v ±%v: err %v, want ok %v", tc.skew, tc.unc, err, tc.ok)
		}
	}
}

func TestWaitForStart(t *testing.T) {
	t.Parallel()
	r := &runner{}
	if err := r.waitForStart(context.Background(), time.Now().Add(-time.Minute)); !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "while this shard set up") {
		t.Errorf("a start time passed during setup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.waitForStart(ctx, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("an interrupted wait: %v, want the context's error", err)
	}
	began := time.Now()
	if err := r.waitForStart(context.Background(), began.Add(50*time.Millisecond)); err != nil || time.Since(began) < 50*time.Millisecond {
		t.Errorf("a wait of 50ms: %v after %v", err, time.Since(began))
	}
}
