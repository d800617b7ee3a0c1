package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseWithEnv(t *testing.T) {
	t.Parallel()
	newSet := func() (*flag.FlagSet, *string, *int, *time.Duration, *stringList) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		dir := fs.String("report-dir", "reports/x", "")
		n := fs.Int("concurrency", 8, "")
		d := fs.Duration("timeout", time.Second, "")
		var th stringList
		fs.Var(&th, "threshold", "")
		return fs, dir, n, d, &th
	}
	env := map[string]string{
		"RENEWKIT_REPORT_DIR":       "generic",
		"RENEWKIT_LOAD_REPORT_DIR":  "own",
		"RENEWKIT_CONCURRENCY":      "3",
		"RENEWKIT_TIMEOUT":          "5s",
		"RENEWKIT_THRESHOLD":        "a<1ms\nb<2ms\n",
		"RENEWKIT_LOAD_MERGE_OTHER": "ignored",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	fs, dir, n, d, th := newSet()
	used, err := parseWithLookup(fs, "load", []string{"--timeout", "9s"}, io.Discard, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if *dir != "own" {
		t.Errorf("report-dir = %q, want the command's own variable to win over the generic one", *dir)
	}
	if *n != 3 || *d != 9*time.Second {
		t.Errorf("concurrency %d, timeout %v: want 3 from the environment, 9s from the command line", *n, *d)
	}
	if !slices.Equal(*th, stringList{"a<1ms", "b<2ms"}) {
		t.Errorf("threshold = %q, want one value per line", *th)
	}
	want := []string{"RENEWKIT_CONCURRENCY=3", "RENEWKIT_LOAD_REPORT_DIR=own", "RENEWKIT_THRESHOLD=a<1ms\nb<2ms\n"}
	if !slices.Equal(used, want) {
		t.Errorf("used = %q, want %q", used, want)
	}

	fs, dir, _, _, _ = newSet()
	if _, err := parseWithLookup(fs, "conform", nil, io.Discard, lookup); err != nil || *dir != "generic" {
		t.Errorf("conform: report-dir %q (%v), want the generic variable", *dir, err)
	}

	env["RENEWKIT_CONCURRENCY"] = "many"
	fs, _, _, _, _ = newSet()
	var stderr strings.Builder
	_, err = parseWithLookup(fs, "conform", nil, &stderr, lookup)
	if ee, ok := err.(exitError); !ok || ee.code != 2 || !strings.Contains(stderr.String(), `RENEWKIT_CONCURRENCY="many" (for --concurrency)`) {
		t.Errorf("a bad variable: %v, stderr %q; want exit 2 naming the variable", err, stderr.String())
	}
}

// TestConformFromEnvironment runs conform configured by variables alone (not
// parallel: it sets the process environment).
func TestConformFromEnvironment(t *testing.T) {
	t.Setenv("RENEWKIT_CONFORM_TAGS", "@NOPE-998")
	code, _, errOut := runCmd(t, "conform", "--report-dir", "")
	if code != 2 || !strings.Contains(errOut, `--tags "@NOPE-998" selects no scenario`) {
		t.Fatalf("exit %d, want 2 naming the selection from RENEWKIT_CONFORM_TAGS:\n%s", code, errOut)
	}
	t.Setenv("RENEWKIT_CONFORM_TAGS", "")
	t.Setenv("RENEWKIT_TAGS", "@AUTH-001")
	t.Setenv("RENEWKIT_REPORT_DIR", "")
	code, out, errOut := runCmd(t, "conform", "--tags", "@AUTH-002")
	if code != 0 || !strings.Contains(out, "PASS") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}
