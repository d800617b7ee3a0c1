package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/conform"
)

func TestConformCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		reportIn string // a report file expected in this dir
	}{
		{"a passing selection against the in-process server",
			[]string{"conform", "--tags", "@AUTH-001,@TOK-003", "--report-dir", filepath.Join(dir, "ok")}, 0,
			"PASS: every selected check ran and passed", "", filepath.Join(dir, "ok", "report.html")},
		{"cucumber tag syntax", []string{"conform", "--tags", "(@AUTH-001 or @AUTH-002) and @must", "--report-dir", ""}, 0,
			"PASS: every selected check ran and passed", "", ""},
		{"a selection of no scenario is a usage error", []string{"conform", "--tags", "@NOPE-999", "--report-dir", ""}, 2,
			"", `--tags "@NOPE-999" selects no scenario`, ""},
		{"a name that matches nothing is a usage error", []string{"conform", "--name", "zzzz", "--report-dir", ""}, 2,
			"", `--name "zzzz" selects no scenario`, ""},
		{"a tag without @ is a usage error", []string{"conform", "--tags", "RNW-004", "--report-dir", ""}, 2,
			"", "did you mean @RNW-004", ""},
		{"a malformed tag expression is a usage error", []string{"conform", "--tags", "@must &&", "--report-dir", ""}, 2,
			"", "where a tag was expected", ""},
		{"nothing listening is a preflight failure", []string{"conform", "--target", "http://127.0.0.1:1", "--report-dir", ""}, 3,
			"", "nothing answers at http://127.0.0.1:1", ""},
		{"an unknown expectation id is a usage error",
			[]string{"conform", "--tags", "@AUTH-001", "--report-dir", "", "--expect", writeFile(t, dir, "exp.txt", "NOPE-001\n")}, 2,
			"", "unknown check id", ""},
		{"an image that cannot be had is a preflight failure", []string{"conform", "--image", "renewkit-test/absent:none", "--report-dir", ""}, 3,
			"", "the target could not be started", ""},
		{"an image and a URL together", []string{"conform", "--image", "example/server:1", "--target", "http://127.0.0.1:1"}, 2, "", "not both", ""},
		{"image flags without an image", []string{"conform", "--image-env", "A=1"}, 2, "", "need --image", ""},
		{"an image environment entry without a value", []string{"conform", "--image", "example/server:1", "--image-env", "A"}, 2, "", "want KEY=VALUE", ""},
		{"a target file's image without a name", []string{"conform", "--target", writeFile(t, dir, "img.yaml", "tenant: a\nstore: b\ntokens: {full: {tokenEnv: T}}\nimage: {port: 80}\n")}, 2, "", "image.name is required", ""},
		{"a bad target file", []string{"conform", "--target", writeFile(t, dir, "bad.yaml", "bogus: 1\n")}, 2, "", "invalid target", ""},
		{"stray arguments", []string{"conform", "extra"}, 2, "", "unexpected arguments", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if tc.reportIn != "" {
				if _, err := os.Stat(tc.reportIn); err != nil {
					t.Errorf("no report: %v", err)
				}
			}
		})
	}
}

func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestConformInterrupted cuts conform runs short as SIGINT and SIGTERM do: before
// the target has started, and in the middle of the scenarios. The exit status is
// the signal's, and every report in the directory, including ones a previous
// passing run left there, says INTERRUPTED and holds no failure.
func TestConformInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		sig   syscall.Signal
		after time.Duration
		code  int
	}{
		{"before the target starts", syscall.SIGINT, 0, 130},
		// SES-004 waits out a 5 s session lifetime: 3 s in, scenarios are running.
		{"during the scenarios", syscall.SIGTERM, 3 * time.Second, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range []string{"report.json", "report.html", "junit.xml", "cucumber.json"} {
				writeFile(t, dir, f, `{"verdict":"PASS"} PASS`)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tc.after == 0 {
				cancel(interrupted{tc.sig})
			} else {
				time.AfterFunc(tc.after, func() { cancel(interrupted{tc.sig}) })
			}
			var out, errOut bytes.Buffer
			code := run(ctx, []string{"conform", "--report-dir", dir}, &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errOut.String())
			}
			if !strings.Contains(errOut.String(), "INTERRUPTED") {
				t.Errorf("stderr does not say INTERRUPTED: %q", errOut.String())
			}
			var rep struct {
				Verdict     string   `json:"verdict"`
				Interrupted bool     `json:"interrupted"`
				Failures    []string `json:"failures"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil || rep.Verdict != conform.VerdictInterrupted || !rep.Interrupted {
				t.Errorf("report.json: verdict %q, interrupted %v (%v); want INTERRUPTED", rep.Verdict, rep.Interrupted, err)
			}
			for _, f := range []string{"report.html", "junit.xml"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), "INTERRUPTED") || strings.Contains(string(b), "<failure") {
					t.Errorf("%s does not say INTERRUPTED, or holds a failure:\n%.600s", f, b)
				}
			}
			b, err = os.ReadFile(filepath.Join(dir, "cucumber.json"))
			if err != nil {
				t.Fatal(err)
			}
			var features []any
			if err := json.Unmarshal(b, &features); err != nil || strings.Contains(string(b), `"failed"`) ||
				(len(features) > 0 && !strings.Contains(string(b), "@INTERRUPTED")) {
				t.Errorf("cucumber.json (%v) is not an interrupted run's:\n%.600s", err, b)
			}
		})
	}
}
