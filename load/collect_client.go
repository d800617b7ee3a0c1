package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// barrierPoll is how often a shard asks the collector whether every shard is
// ready, and barrierWait how long it waits for them before giving up.
const (
	barrierPoll = 250 * time.Millisecond
	barrierWait = 15 * time.Minute
)

// collectorURL joins a collector's base URL and a path of its protocol.
func collectorURL(base, path string) string { return strings.TrimRight(base, "/") + path }

// barrier reports this shard ready at the collector and waits until every shard
// is. It returns the start time in this host's clock (the collector's start less
// the difference between the two clocks), and that difference. A difference
// beyond maxSkew, however its uncertainty falls, is refused: it would mean the
// measurement itself is off by more than the bound.
func (r *runner) barrier(ctx context.Context, hc *http.Client) (time.Time, ClockSkew, error) {
	sh := r.cfg.Shard.normal()
	body, _ := json.Marshal(barrierRequest{Shards: sh.Count, RunID: r.cfg.RunID})
	endpoint := collectorURL(r.cfg.Collector, fmt.Sprintf("/v1/shards/%d/ready", sh.Index))
	deadline := time.Now().Add(barrierWait)
	lastSaid := time.Time{}
	for {
		sent := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return time.Time{}, ClockSkew{}, fmt.Errorf("%w: collector %s: %v", ErrStart, r.cfg.Collector, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return time.Time{}, ClockSkew{}, ctx.Err()
			}
			// The collector may start after the shards: keep asking until the deadline.
			if time.Now().After(deadline) {
				return time.Time{}, ClockSkew{}, fmt.Errorf("%w: the collector %s did not answer in %v: %v", ErrStart, r.cfg.Collector, barrierWait, err)
			}
			if time.Since(lastSaid) >= 5*time.Second {
				r.progressf("start: waiting for the collector at %s (%v)\n", r.cfg.Collector, err)
				lastSaid = time.Now()
			}
			if err := sleepCtx(ctx, barrierPoll); err != nil {
				return time.Time{}, ClockSkew{}, err
			}
			continue
		}
		answered := time.Now()
		var ans barrierAnswer
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusAccepted:
			if err := json.Unmarshal(b, &ans); err != nil || ans.Now.IsZero() {
				return time.Time{}, ClockSkew{}, fmt.Errorf("%w: the collector %s does not answer as renewkit's does (HTTP %d: %.200s)", ErrStart, r.cfg.Collector, resp.StatusCode, b)
			}
		default:
			return time.Time{}, ClockSkew{}, fmt.Errorf("%w: the collector %s refused this shard: HTTP %d: %s", ErrStart, r.cfg.Collector, resp.StatusCode, collectorMessage(b))
		}
		if resp.StatusCode == http.StatusOK {
			mid := sent.Add(answered.Sub(sent) / 2)
			cs := ClockSkew{Skew: Millis(ans.Now.Sub(mid)), Uncertainty: Millis(answered.Sub(sent) / 2)}
			if err := checkSkewOf("the collector's", cs, r.cfg.MaxClockSkew); err != nil {
				return time.Time{}, cs, err
			}
			return ans.StartAt.Add(-time.Duration(cs.Skew)), cs, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, ClockSkew{}, fmt.Errorf("%w: %d of %d shards were ready at the collector after %v: is every shard running, with --shard i/%d?", ErrStart, ans.Ready, ans.Shards, barrierWait, ans.Shards)
		}
		if time.Since(lastSaid) >= 5*time.Second {
			r.progressf("start: %d of %d shards ready at the collector\n", ans.Ready, ans.Shards)
			lastSaid = time.Now()
		}
		if err := sleepCtx(ctx, barrierPoll); err != nil {
			return time.Time{}, ClockSkew{}, err
		}
	}
}

// collectorMessage is the error message of a collector's answer, or the answer.
func collectorMessage(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return fmt.Sprintf("%.200s", b)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Upload sends a shard's report directory to the collector at base: the results
// files it has, then summary.json, whose arrival completes the shard. An
// interrupted shard uploads too, so that the merged run says INTERRUPTED rather
// than waiting for it.
func Upload(ctx context.Context, base string, sh Shard, dir string) error {
	sh = sh.normal()
	hc := &http.Client{Timeout: 10 * time.Minute}
	for _, name := range uploadFiles {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if os.IsNotExist(err) && name != SummaryFile {
			continue
		}
		if err != nil {
			return fmt.Errorf("load: upload: %w", err)
		}
		err = uploadFile(ctx, hc, collectorURL(base, fmt.Sprintf("/v1/shards/%d/%s", sh.Index, url.PathEscape(name))), f)
		f.Close()
		if err != nil {
			return fmt.Errorf("load: uploading %s to the collector %s: %w", name, base, err)
		}
	}
	return nil
}

// uploadFile PUTs one file, trying again a few times when the collector cannot
// be reached (it answers the same to a repeated upload).
func uploadFile(ctx context.Context, hc *http.Client, endpoint string, f *os.File) error {
	var last error
	for attempt := range 5 {
		if attempt > 0 {
			if err := sleepCtx(ctx, time.Duration(attempt)*time.Second); err != nil {
				return err
			}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint, f)
		if err != nil {
			return err
		}
		if st, err := f.Stat(); err == nil {
			req.ContentLength = st.Size()
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := hc.Do(req)
		if err != nil {
			last = err
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode == http.StatusNoContent {
			return nil
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, collectorMessage(b))
	}
	return last
}
