package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCollectedRun is a distributed run on one host: two shards of one run wait
// at the collector's barrier, start together, upload their reports, and the
// collector's directories merge into one run with every shard's completions.
func TestCollectedRun(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	col, err := NewCollector(2, t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	prof := constProfile(t, 4, 10, time.Second)

	sums := make([]*Summary, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			sh := Shard{Index: i + 1, Count: 2}
			dir := t.TempDir()
			sums[i], errs[i] = Run(context.Background(), Config{Target: f.target(), Profile: prof, Shard: sh,
				RunID: "collected", ReportDir: dir, Collector: cs.URL})
			if errs[i] == nil {
				errs[i] = Upload(context.Background(), cs.URL, sh, dir)
			}
		})
		if i == 0 {
			// The first shard waits at the barrier alone for a while.
			time.Sleep(300 * time.Millisecond)
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i+1, err)
		}
	}
	select {
	case <-col.Complete():
	default:
		t.Fatal("both shards uploaded, and the collector is not complete")
	}
	// Both began at the collector's start time: within the lateness a start allows
	// of it, and of each other, though the first shard was ready long before.
	for i, s := range sums {
		if s.StartAt.IsZero() || s.ClockSkew == nil {
			t.Fatalf("shard %d: startAt %v, clock skew %v; want both recorded", i+1, s.StartAt, s.ClockSkew)
		}
		if late := s.Started.Sub(s.StartAt); late < 0 || late > startLate+time.Second {
			t.Errorf("shard %d began %v after its start time", i+1, late)
		}
	}
	if d := sums[0].StartAt.Sub(sums[1].StartAt).Abs(); d > 100*time.Millisecond {
		t.Errorf("the shards' start times are %v apart on one host's clock", d)
	}

	merged, err := Merge(col.ShardDirs(), MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := sums[0].Generator.Sent + sums[1].Generator.Sent; merged.Generator.Sent != want || want == 0 {
		t.Errorf("merged run sent %d completions, the shards %d", merged.Generator.Sent, want)
	}
	if merged.RunID != "collected" || merged.Verdict != VerdictPass {
		t.Errorf("merged run: id %q, verdict %q; want collected, PASS", merged.RunID, merged.Verdict)
	}
	// Each shard's part is reported beside the sum, in shard order.
	if len(merged.Shards) != 2 || merged.Shards[0].Shard != "1/2" || merged.Shards[1].Shard != "2/2" {
		t.Fatalf("merged run's shards: %+v, want 1/2 and 2/2", merged.Shards)
	}
	for i, sh := range merged.Shards {
		if sh.Rate != sums[i].Complete.Rate || sh.Users != sums[i].Users || sh.Verdict != VerdictPass {
			t.Errorf("shard %s: %+v, its summary says rate %.2f, %d users", sh.Shard, sh, sums[i].Complete.Rate, sums[i].Users)
		}
	}
	var text strings.Builder
	if err := WriteText(&text, merged); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "SHARD") || !strings.Contains(text.String(), "2/2") {
		t.Errorf("the merged summary's text has no shard table:\n%s", text.String())
	}
}

// TestCollectorRefuses: what does not belong to the run is refused with a 4xx and
// a message, and changes nothing the status shows.
func TestCollectorRefuses(t *testing.T) {
	t.Parallel()
	col, err := NewCollector(2, t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, cs.URL+path, strings.NewReader(body))
		resp, err := cs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("POST", "/v1/shards/1/ready", `{"shards":2,"runId":"a"}`); code != http.StatusAccepted {
		t.Fatalf("the first shard's ready: %d %s", code, body)
	}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		says                     string
	}{
		{"another run size", "POST", "/v1/shards/2/ready", `{"shards":3,"runId":"a"}`, http.StatusConflict, "run of 2 shards"},
		{"another run id", "POST", "/v1/shards/2/ready", `{"shards":2,"runId":"b"}`, http.StatusConflict, "share --run-id"},
		{"a shard out of range", "POST", "/v1/shards/3/ready", `{"shards":2,"runId":"a"}`, http.StatusBadRequest, "shards 1 to 2"},
		{"shard zero", "PUT", "/v1/shards/0/summary.json", `{}`, http.StatusBadRequest, "shards 1 to 2"},
		{"not a barrier request", "POST", "/v1/shards/2/ready", `{"n":2}`, http.StatusBadRequest, "not a barrier request"},
		{"a file that is not a report", "PUT", "/v1/shards/2/..%2fescape", `x`, http.StatusBadRequest, "a shard uploads"},
		{"a summary that does not parse", "PUT", "/v1/shards/2/summary.json", `{"verdict":`, http.StatusBadRequest, "does not parse"},
		{"no report before the merge", "GET", "/v1/report/report.html", ``, http.StatusNotFound, "no merged report"},
		{"an unknown endpoint", "GET", "/v2/status", ``, http.StatusNotFound, "no such collector endpoint"},
	} {
		code, body := do(tc.method, tc.path, tc.body)
		var e struct{ Error string }
		if code != tc.code || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tc.says) {
			t.Errorf("%s: %d %s, want %d and an error saying %q", tc.name, code, body, tc.code, tc.says)
		}
	}
	_, body := do("GET", "/v1/status", "")
	var st CollectorStatus
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(st.Ready, st.Uploaded) != "[1] []" || !st.StartAt.IsZero() {
		t.Errorf("status after refusals: %s, want shard 1 ready alone, nothing uploaded, no start", body)
	}
	if entries, _ := os.ReadDir(filepath.Join(col.dir, "shard-2")); len(entries) != 0 {
		t.Errorf("refused uploads left files: %v", entries)
	}
}

// TestCollectorClockSkew: a shard whose clock is 30 s from the collector's
// refuses to start, saying so.
func TestCollectorClockSkew(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	ahead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now().Add(30 * time.Second)
		collectorJSON(w, http.StatusOK, barrierAnswer{Ready: 1, Shards: 1, StartAt: now.Add(time.Second), Now: now})
	}))
	t.Cleanup(ahead.Close)
	_, err := Run(context.Background(), Config{Target: f.target(), Profile: constProfile(t, 2, 10, time.Second),
		RunID: "skewed", Collector: ahead.URL})
	if !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "off the collector's") {
		t.Fatalf("err = %v, want ErrStart naming the collector's clock", err)
	}
}

// TestInterruptedShardMerges: a shard cut short before its attack uploads a
// summary alone, and the merged run says INTERRUPTED.
func TestInterruptedShardMerges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteReports(dir, InterruptedBeforeRun("steady", "http://x", nil)); err != nil {
		t.Fatal(err)
	}
	s, err := Merge([]string{dir}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.Verdict != VerdictInterrupted {
		t.Errorf("merge of an interrupted shard: interrupted %v, verdict %q", s.Interrupted, s.Verdict)
	}
}
