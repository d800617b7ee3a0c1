package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/version"
)

func runCmd(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSRPCheckPublishedVectors(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../srp/testdata/*.json")
	if err != nil || len(files) != 3 {
		t.Fatalf("vector files: %v %v", files, err)
	}
	code, out, errOut := runCmd(t, append([]string{"srp", "check"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "15 vectors, 0 failed") || strings.Count(out, "\nok ")+1 != 15 {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

func TestSRPCheckNamesTheFirstBadField(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if code, _, errOut := runCmd(t, "srp", "vectors", "--group", "1024", "--count", "2", "--out", good); code != 0 {
		t.Fatalf("srp vectors: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	v := file["vectors"].([]any)[1].(map[string]any)
	u := v["u"].(string)
	v["u"] = "ff" + u[2:]
	bad := filepath.Join(dir, "bad.json")
	data, _ = json.Marshal(file)
	if err := os.WriteFile(bad, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "srp", "check", "--profile", "rfc5054-padded", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL "+bad+" renewkit-2") || !strings.Contains(out, "u differs") || !strings.Contains(out, "ok   "+bad+" renewkit-1") {
		t.Fatalf("output does not name the bad vector and field:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"nope"}, 2},
		{[]string{"srp"}, 2},
		{[]string{"srp", "check"}, 2},
		{[]string{"srp", "check", "--profile", "x", "f"}, 1},
		{[]string{"srp", "vectors", "--group", "1000"}, 1},
		{[]string{"srp", "check", "/does/not/exist.json"}, 1},
		{[]string{"srp", "nope"}, 2},
		{[]string{"srp", "--help"}, 0},
		{[]string{"help"}, 0},
		{[]string{"version", "extra"}, 2},
		{[]string{"serve", "--bogus"}, 2},
		{[]string{"serve", "extra"}, 2},
		{[]string{"serve", "--log-level", "loud"}, 2},
		{[]string{"conform", "--target", "/does/not/exist.yaml"}, 2},
		{[]string{"load", "--target", "/does/not/exist.yaml"}, 2},
		{[]string{"conform", "--concurrency", "0"}, 2},
		{[]string{"conform", "--report-dir", "/proc/no/such/dir"}, 2},
		{[]string{"load", "--report-dir", "/proc/no/such/dir"}, 2},
		{[]string{"load", "--producers", "-1"}, 2},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			if code, out, errOut := runCmd(t, c.args...); code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCmd(t, "version")
	if code != 0 || !strings.HasPrefix(out, "renewkit ") || !strings.Contains(out, " SPEC "+version.SpecRevision+" go1.") {
		t.Fatalf("version: exit %d, %q %s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "version", "--json")
	var info version.Info
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil || info.Spec != version.SpecRevision || info.Module == "" {
		t.Fatalf("version --json: exit %d, %q (%v) %s", code, out, err, errOut)
	}
}
