package sut_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is the module path that go list prints the packages under.
const module = "github.com/seedb14f67b8/renewkit"

// serverDeps are what only cmd/ and tests may pull: the reference server and what it
// stands on, and the container library. A harness that takes a sut.Target checks any
// server through its API, so it has no reason to link these.
var serverDeps = []string{"github.com/gin-gonic/", "modernc.org/sqlite", "github.com/testcontainers/", module + "/refserver"}

// TestDependencies lists, with go list -deps, what the packages that take a
// sut.Target link, and fails on any of serverDeps (and, for sut itself, on the
// suite's and the load generator's libraries). sut/provider, which must pull them,
// shows that the list would catch them.
func TestDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to list dependencies with: %v", err)
	}
	tests := []struct {
		pkg       string
		forbidden []string
		// required are dependencies the package must have: sut/provider's show
		// that the forbidden patterns name real packages.
		required []string
	}{
		{pkg: "sut", forbidden: append(slices.Clone(serverDeps), "github.com/cucumber/godog", "github.com/tsenart/vegeta")},
		{pkg: "steps", forbidden: serverDeps},
		{pkg: "steps/srpclient", forbidden: serverDeps},
		{pkg: "conform", forbidden: serverDeps},
		{pkg: "load", forbidden: serverDeps},
		{pkg: "sut/provider", required: serverDeps},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(goTool, "list", "-deps", module+"/"+tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tc.pkg, err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, module+"/api") {
				t.Fatalf("go list -deps %s gave an implausible list: %v", tc.pkg, deps)
			}
			for _, bad := range tc.forbidden {
				for _, d := range deps {
					if strings.HasPrefix(d, bad) {
						t.Errorf("%s depends on %s", tc.pkg, d)
					}
				}
			}
			for _, want := range tc.required {
				if !slices.ContainsFunc(deps, func(d string) bool { return strings.HasPrefix(d, want) }) {
					t.Errorf("%s does not depend on anything under %s: the pattern names no package", tc.pkg, want)
				}
			}
		})
	}
}
