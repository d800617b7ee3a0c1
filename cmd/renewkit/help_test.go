package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/help")

// TestHelpGolden compares each command's -h text with testdata/help/<command>.txt, so
// that a flag added, renamed or redocumented shows in review as a change to a golden
// file. Run `go test ./cmd/renewkit -run TestHelpGolden -update` after such a change.
func TestHelpGolden(t *testing.T) {
	// Flags take defaults from RENEWKIT_* variables, and -h prints those defaults.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "RENEWKIT_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for _, args := range [][]string{
		{"-h"},
		{"conform", "-h"},
		{"load", "-h"},
		{"load", "merge", "-h"},
		{"load", "profiles", "-h"},
		{"serve", "-h"},
		{"srp", "-h"},
		{"srp", "check", "-h"},
		{"srp", "vectors", "-h"},
		{"version", "-h"},
	} {
		name := strings.Join(args[:len(args)-1], "-")
		if name == "" {
			name = "renewkit"
		}
		t.Run(name, func(t *testing.T) {
			_, stdout, stderr := runCmd(t, args...)
			got := "$ renewkit " + strings.Join(args, " ") + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr
			file := filepath.Join("testdata", "help", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("renewkit %s: help text changed; run with -update if intended.\n--- got\n%s\n--- want\n%s", strings.Join(args, " "), got, want)
			}
		})
	}
}
