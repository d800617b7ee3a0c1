package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/load"
)

func TestLoadUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown profile", []string{"load", "--profile", "nope"}, "unknown profile"},
		{"bad threshold", []string{"load", "--threshold", "p99<250"}, "needs a unit"},
		{"bad shard", []string{"load", "--shard", "3/2"}, "invalid shard"},
		{"bad override", []string{"load", "--users", "-1"}, "invalid profile"},
		{"arguments", []string{"load", "extra"}, "unexpected arguments"},
		{"bad flag", []string{"load", "--rps", "5"}, "flag provided but not defined"},
		{"missing profile file", []string{"load", "--profile-file", "/does/not/exist.yaml"}, "reading profile"},
		{"merge without inputs", []string{"load", "merge"}, "at least one"},
		{"merge bad threshold", []string{"load", "merge", "--threshold", "x", "dir"}, "invalid threshold"},
		{"unknown profile source", []string{"load", "profiles", "nope"}, "unknown profile"},
		{"bad target file", []string{"load", "--target", "/does/not/exist.yaml"}, "neither an http(s) URL nor a readable target file"},
		{"job shard outside a Job", []string{"load", "--shard", "job/4"}, "JOB_COMPLETION_INDEX"},
		{"collector without run id", []string{"load", "--collector", "http://127.0.0.1:1"}, "same --run-id"},
		{"collector and start time", []string{"load", "--collector", "http://127.0.0.1:1", "--start-at", "2026-12-02T10:00:00Z"}, "not both"},
		{"collector that is not a URL", []string{"load", "--collector", "collector:8090"}, "base URL"},
		{"listen without shards", []string{"load", "merge", "--listen", "127.0.0.1:0"}, "--shards N"},
		{"listen with inputs", []string{"load", "merge", "--listen", "127.0.0.1:0", "--shards", "2", "dir"}, "name no INPUT"},
		{"shards without listen", []string{"load", "merge", "--shards", "2", "dir"}, "go with --listen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, errOut)
			}
		})
	}
}

func TestLoadProfiles(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, "load", "profiles")
	if code != 0 || !strings.Contains(out, "smoke ") || !strings.Contains(out, "max ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "load", "profiles", "steady")
	if code != 0 || !strings.Contains(out, "name: steady") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestLoadRunThresholdsAndMerge runs a short smoke attack against the in-process
// reference server with one threshold that cannot be met, then merges its results:
// exit status 3 for the breach, 0 when the merge is judged by a threshold that is met.
func TestLoadRunThresholdsAndMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	code, out, errOut := runCmd(t, "load", "--profile", "smoke", "--duration", "2s", "--users", "6", "--quiet",
		"--report-dir", run, "--threshold", "complete.p99<1ns", "--threshold", "errors==0")
	if code != exitThresholds {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitThresholds, out, errOut)
	}
	if !strings.Contains(out, "complete.p99<1ns") || !strings.Contains(out, "FAIL: 1 of 2 thresholds breached") {
		t.Errorf("no verdict table in:\n%s", out)
	}
	if errOut != "" {
		t.Errorf("--quiet run wrote to stderr: %q", errOut)
	}
	for _, f := range []string{"results.bin", "start.bin", "summary.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Error(err)
		}
	}
	merged := filepath.Join(dir, "merged")
	if code, out, errOut := runCmd(t, "load", "merge", "--report-dir", merged, run); code != exitThresholds {
		t.Errorf("merge with the run's thresholds: exit %d, want %d\n%s%s", code, exitThresholds, out, errOut)
	}
	code, out, errOut = runCmd(t, "load", "merge", "--report-dir", merged, "--threshold", "errors==0", "--threshold", "success>=1", run)
	if code != 0 || !strings.Contains(out, "PASS: 2 of 2 thresholds met") {
		t.Errorf("merge: exit %d\n%s%s", code, out, errOut)
	}
}

// TestLoadInterrupted cuts load runs short, as SIGINT and SIGTERM do, at a point
// the test does not choose (during setup or during the attack): the exit status is
// 130 or 143, and every report in the directory, including one a previous passing
// run left there, says INTERRUPTED and passed: false.
func TestLoadInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig   syscall.Signal
		after time.Duration
		code  int
	}{
		{syscall.SIGINT, 0, 130},
		{syscall.SIGTERM, 1500 * time.Millisecond, 143},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			stale := `{"profile":"smoke","verdict":"PASS","passed":true}`
			if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte(stale), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tc.after == 0 {
				cancel(interrupted{tc.sig})
			} else {
				time.AfterFunc(tc.after, func() { cancel(interrupted{tc.sig}) })
			}
			var out, errOut bytes.Buffer
			code := run(ctx, []string{"load", "--profile", "smoke", "--duration", "30s", "--users", "4", "--quiet", "--report-dir", dir}, &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			if !strings.Contains(errOut.String(), "INTERRUPTED") {
				t.Errorf("stderr does not say INTERRUPTED: %q", errOut.String())
			}
			s, err := load.ReadSummary(filepath.Join(dir, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			if s.Verdict != load.VerdictInterrupted || s.Passed || !s.Interrupted {
				t.Errorf("summary.json: verdict %q, passed %v, interrupted %v; want INTERRUPTED, false, true", s.Verdict, s.Passed, s.Interrupted)
			}
			page, err := os.ReadFile(filepath.Join(dir, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(page), "INTERRUPTED") || strings.Contains(string(page), ">PASS<") || strings.Contains(string(page), ">FAIL<") {
				t.Errorf("report.html does not say INTERRUPTED alone")
			}
		})
	}
}

// TestLoadCollector is a distributed run through the commands: load merge
// --listen collects two shards of `renewkit load --collector`, each against its
// own in-process reference server, merges them once both have uploaded, and
// judges the merge by the shards' thresholds.
func TestLoadCollector(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	merged := filepath.Join(dir, "merged")
	type result struct {
		code        int
		out, errOut string
	}
	collector := make(chan result, 1)
	go func() {
		code, out, errOut := runCmd(t, "load", "merge", "--listen", addr, "--shards", "2", "--report-dir", merged, "--wait", "5m")
		collector <- result{code, out, errOut}
	}()
	shards := make(chan result, 2)
	for i := 1; i <= 2; i++ {
		go func() {
			code, out, errOut := runCmd(t, "load", "--profile", "smoke", "--duration", "2s", "--users", "6", "--quiet",
				"--shard", fmt.Sprintf("%d/2", i), "--run-id", "collected", "--collector", "http://"+addr,
				"--report-dir", filepath.Join(dir, fmt.Sprint("shard", i)), "--threshold", "errors==0")
			shards <- result{code, out, errOut}
		}()
	}
	for range 2 {
		if r := <-shards; r.code != 0 {
			t.Fatalf("shard: exit %d\n%s%s", r.code, r.out, r.errOut)
		}
	}
	r := <-collector
	if r.code != 0 || !strings.Contains(r.out, "PASS: 1 of 1 thresholds met") {
		t.Fatalf("collector: exit %d, want 0 and the shards' threshold met\n%s%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"shard 1/2 ready", "shard 2/2 ready", "every shard is ready", "shard 2/2 uploaded summary.json", "merging"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("the collector's lines do not say %q:\n%s", want, r.errOut)
		}
	}
	b, err := os.ReadFile(filepath.Join(merged, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		RunID   string   `json:"runId"`
		Sources []string `json:"sources"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.RunID != "collected" || len(s.Sources) != 2 {
		t.Errorf("merged summary: run id %q, %d sources (%v); want collected, 2", s.RunID, len(s.Sources), err)
	}
}
