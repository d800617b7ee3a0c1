package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// writeResults writes results to a file as a run does.
func writeResults(tb testing.TB, path string, rs []vegeta.Result) {
	tb.Helper()
	w, err := createResults(path)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range rs {
		if err := w.write(&rs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		tb.Fatal(err)
	}
}

func synthetic(series Series, start time.Time, n int, latency func(i int) time.Duration, code uint16) []vegeta.Result {
	out := make([]vegeta.Result, n)
	for i := range out {
		out[i] = vegeta.Result{Attack: string(series), Seq: uint64(i), Code: code, Timestamp: start.Add(time.Duration(i) * 10 * time.Millisecond),
			Latency: latency(i), Method: "POST", URL: "http://127.0.0.1/x"}
		if code != 200 {
			out[i].Error = "400 Bad Request"
			out[i].Body = []byte(`{"code":"INVALID_PROOF","message":"m","processingDetails":[]}`)
		}
		if series == SeriesComplete {
			out[i].Headers = withLag(time.Duration(i) * time.Millisecond)
		}
	}
	return out
}

func TestMergeRecomputesPercentilesFromEveryResult(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a := filepath.Join(dir, "a.bin")
	b := filepath.Join(dir, "b.bin")
	// Shard a is fast, shard b slow: an average of their p99s would be wrong.
	writeResults(t, a, synthetic(SeriesComplete, t0, 100, func(i int) time.Duration { return time.Duration(i+1) * time.Millisecond }, 200))
	writeResults(t, b, append(
		synthetic(SeriesComplete, t0, 100, func(i int) time.Duration { return time.Duration(i+101) * time.Millisecond }, 200),
		synthetic(SeriesComplete, t0.Add(time.Second), 10, func(int) time.Duration { return time.Millisecond }, 400)...))
	out := filepath.Join(dir, "merged")
	ths, err := ParseThresholds([]string{"complete.p99<190ms", "errors==10"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Merge([]string{a, b}, MergeOptions{Thresholds: ths, ReportDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if s.Complete.Count != 210 || s.Complete.OK != 200 || s.Complete.ErrorCodes["INVALID_PROOF"] != 10 || s.Complete.Verified != 200 {
		t.Errorf("merged counts: %+v", s.Complete)
	}
	h := newHist()
	for i := 1; i <= 200; i++ {
		_ = h.RecordValue(int64(i) * 1000)
	}
	for range 10 {
		_ = h.RecordValue(1000)
	}
	want := latencyOf(h)
	if s.Complete.Latency != want {
		t.Errorf("merged latency %+v, want %+v", s.Complete.Latency, want)
	}
	if s.Passed || s.Thresholds[0].Pass || !s.Thresholds[1].Pass {
		t.Errorf("verdicts %+v", s.Thresholds)
	}
	if s.Generator.Late != 2*89 || s.Generator.Sent != 210 {
		// each 100-result run has lags 0..99ms: 89 of them over 10ms
		t.Errorf("late %d of %d", s.Generator.Late, s.Generator.Sent)
	}
	if got := readAll(t, filepath.Join(out, ResultsFile)); len(got) != 210 {
		t.Errorf("merged results.bin has %d results", len(got))
	}
	for _, f := range []string{SummaryFile, ReportFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestMergeShardsOfARun(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	dirs := []string{t.TempDir(), t.TempDir()}
	prof := constProfile(t, 9, 30, time.Second, "errors==0")
	var sums []*Summary
	for i, dir := range dirs {
		s, err := Run(context.Background(), Config{
			Target: f.target(), Profile: prof, Shard: Shard{Index: i + 1, Count: 2}, RunID: "shared", ReportDir: dir,
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := (Shard{Index: i + 1, Count: 2}).String(); s.Shard != want || s.Generator.Planned != 15 {
			t.Errorf("shard %d: %s planned %d, want half of 30", i+1, s.Shard, s.Generator.Planned)
		}
		sums = append(sums, s)
	}
	if sums[0].Users+sums[1].Users != 9 {
		t.Errorf("shards have %d and %d users, want 9 in all", sums[0].Users, sums[1].Users)
	}
	m, err := Merge(dirs, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logSummary(t, m)
	if m.Complete.Count != sums[0].Complete.Count+sums[1].Complete.Count || m.Start.Count != sums[0].Start.Count+sums[1].Start.Count {
		t.Errorf("merged %d completions, %d starts; shards %d+%d, %d+%d", m.Complete.Count, m.Start.Count,
			sums[0].Complete.Count, sums[1].Complete.Count, sums[0].Start.Count, sums[1].Start.Count)
	}
	if m.Generator.Planned != 30 || m.Users != 9 || m.RunID != "shared" || m.Profile != "test" {
		t.Errorf("merged run: planned %d, users %d, run %q, profile %q", m.Generator.Planned, m.Users, m.RunID, m.Profile)
	}
	if len(m.Thresholds) != 1 || m.Thresholds[0].Threshold != "complete.errors==0" || !m.Passed {
		t.Errorf("merge did not reuse the shards' thresholds: %+v", m.Thresholds)
	}
	if m.Complete.Errors != 0 || m.Complete.Verified != m.Complete.Count {
		t.Errorf("merged errors %v, verified %d of %d", m.Complete.ErrorCodes, m.Complete.Verified, m.Complete.Count)
	}
	if m.Verdict != VerdictPass {
		t.Errorf("merged verdict %q, want PASS", m.Verdict)
	}
	_, violated, _ := f.stats()
	if violated != 0 {
		t.Errorf("%d history violations", violated)
	}

	// A shard cut short leaves the whole run without a verdict.
	sums[1].Interrupted = true
	if err := WriteReports(dirs[1], sums[1]); err != nil {
		t.Fatal(err)
	}
	m, err = Merge(dirs, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Interrupted || m.Passed || m.Verdict != VerdictInterrupted {
		t.Errorf("merge of an interrupted shard: interrupted %v, passed %v, verdict %q; want true, false, INTERRUPTED", m.Interrupted, m.Passed, m.Verdict)
	}
}

func TestMergeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notResults := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(notResults, []byte("hello, world"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cases := []struct {
		name   string
		inputs []string
	}{
		{"none", nil},
		{"missing", []string{filepath.Join(dir, "missing.bin")}},
		{"dir without results", []string{empty}},
		{"not a results file", []string{notResults}},
		{"only a summary", []string{filepath.Join(dir, "s.json")}},
	}
	if err := os.WriteFile(filepath.Join(dir, "s.json"), []byte(`{"profile":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Merge(c.inputs, MergeOptions{}); err == nil {
				t.Fatal("merged without error")
			}
		})
	}
	t.Run("report dir over an input", func(t *testing.T) {
		t.Parallel()
		in := t.TempDir()
		writeResults(t, filepath.Join(in, ResultsFile), synthetic(SeriesComplete, time.Now(), 3, func(int) time.Duration { return time.Millisecond }, 200))
		if _, err := Merge([]string{in}, MergeOptions{ReportDir: in}); !errors.Is(err, ErrMerge) {
			t.Fatalf("err %v, want ErrMerge", err)
		}
	})
}
