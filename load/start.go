package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrStart means a synchronized start (Config.StartAt) cannot be kept: this
// generator's clock is too far from the target's, or the start time passed while
// the run was being set up.
var ErrStart = errors.New("load: synchronized start")

// DefaultMaxClockSkew is how far a generator's clock may be from the target's for
// a synchronized start: shards that each keep within it start within twice it of
// one another (plus the measurement's uncertainty, reported beside it).
const DefaultMaxClockSkew = time.Second

// startLate is how far past StartAt the attack may still begin: the time the last
// precomputation and the producers' first renewals take.
const startLate = 500 * time.Millisecond

// ClockSkew is the target's clock less this generator's, as measured from the
// Date headers of the target's answers, and the measurement's uncertainty.
type ClockSkew struct {
	Skew        Millis `json:"skewMs"`
	Uncertainty Millis `json:"uncertaintyMs"`
}

// measureSkew estimates how far the target's clock is from this one. A Date header
// has a resolution of one second, so the target is asked again every 40 ms until
// its Date changes: the second began, on its clock, between the server's reading
// of the last request with the old Date and the first with the new one, which is
// within [sent of the former, answered of the latter] on this clock.
func measureSkew(ctx context.Context, hc *http.Client, url string) (ClockSkew, error) {
	var prev time.Time
	var prevSent time.Time
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		sent := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return ClockSkew{}, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return ClockSkew{}, fmt.Errorf("%w: asking the target for its time: %v", ErrStart, err)
		}
		answered := time.Now()
		resp.Body.Close()
		date, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil {
			return ClockSkew{}, fmt.Errorf("%w: the target's answers carry no Date header to compare clocks with", ErrStart)
		}
		if !prev.IsZero() && date.After(prev) {
			mid := prevSent.Add(answered.Sub(prevSent) / 2)
			return ClockSkew{Skew: Millis(date.Sub(mid)), Uncertainty: Millis(answered.Sub(prevSent) / 2)}, nil
		}
		prev, prevSent = date, sent
		select {
		case <-ctx.Done():
			return ClockSkew{}, ctx.Err()
		case <-time.After(40 * time.Millisecond):
		}
	}
	return ClockSkew{}, fmt.Errorf("%w: the target's Date header did not move in 3 s", ErrStart)
}

// checkSkew refuses a skew beyond maxSkew, however the uncertainty falls.
func checkSkew(cs ClockSkew, maxSkew time.Duration) error {
	return checkSkewOf("the target's", cs, maxSkew)
}

// checkSkewOf is checkSkew against the clock of whom.
func checkSkewOf(whom string, cs ClockSkew, maxSkew time.Duration) error {
	skew := time.Duration(cs.Skew)
	if skew < 0 {
		skew = -skew
	}
	if skew-time.Duration(cs.Uncertainty) > maxSkew {
		return fmt.Errorf("%w: this generator's clock is %v off %s (±%v), more than --max-clock-skew %v: shards would not start together; synchronize the clocks (NTP) or raise the bound",
			ErrStart, time.Duration(cs.Skew).Round(time.Millisecond), whom, time.Duration(cs.Uncertainty).Round(time.Millisecond), maxSkew)
	}
	return nil
}

// waitForStart sleeps until at, saying so, or refuses a start time already past.
func (r *runner) waitForStart(ctx context.Context, at time.Time) error {
	now := time.Now()
	if late := now.Sub(at); late > startLate {
		return fmt.Errorf("%w: the start time %s passed %v ago while this shard set up; give a later --start-at",
			ErrStart, at.Format(time.RFC3339), late.Round(time.Millisecond))
	}
	if wait := at.Sub(now); wait > 0 {
		r.progressf("start: waiting %v for the synchronized start at %s\n", wait.Round(time.Millisecond), at.Format(time.RFC3339Nano))
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
