package main

import (
	"bytes"
	"context"
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
