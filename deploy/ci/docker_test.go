package ci

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/sut/provider"
)

// testImage is the image the docker run test runs: RENEWKIT_IMAGE, or the one
// `make image` builds (as for package sut/provider's container tests).
func testImage() string {
	if im := os.Getenv("RENEWKIT_IMAGE"); im != "" {
		return im
	}
	return "renewkit:dev"
}

// needDocker skips the test, saying why, unless the docker CLI finds an engine on
// this host that has the test image.
func needDocker(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker run test skipped: no docker command on PATH")
	}
	// --network host reaches this process's loopback server only on a local engine.
	if h := os.Getenv("DOCKER_HOST"); h != "" && !strings.HasPrefix(h, "unix://") &&
		!strings.Contains(h, "127.0.0.1") && !strings.Contains(h, "localhost") {
		t.Skipf("docker run test skipped: DOCKER_HOST=%s is not this host, so --network host cannot reach the test's server", h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("docker run test skipped: no Docker engine answers: %v: %s", err, firstLine(out))
	}
	name := testImage()
	if out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", name).CombinedOutput(); err != nil {
		t.Skipf("docker run test skipped: image %s is not present (build it with `make image`, or set RENEWKIT_IMAGE): %s", name, firstLine(out))
	}
	return name
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// TestDockerRun runs the image's conform and load as docs/ci-gating.md shows:
// renewkit as the entrypoint, host networking to a server on this host, a target
// file mounted read-only, reports written to a mounted directory.
func TestDockerRun(t *testing.T) {
	image := needDocker(t)
	ctx := context.Background()

	srv := provider.NewInProcess(provider.InProcessOptions{})
	tgt, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })

	// A target file as a team writes one: the secret comes from the environment.
	dir := t.TempDir()
	conformance, reports := filepath.Join(dir, "conformance"), filepath.Join(dir, "reports")
	for _, d := range []string{conformance, reports} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	targetFile := fmt.Sprintf(`name: reference server for docker run
baseURL: %s
tenant: acme
store: default
tokens:
  full: {clientId: acme-full, clientSecretEnv: CONFORMANCE_FULL_SECRET}
capabilities: [admin]
`, tgt.BaseURL)
	if err := os.WriteFile(filepath.Join(conformance, "target.yaml"), []byte(targetFile), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		secret string // CONFORMANCE_FULL_SECRET; the right one when empty
		code   int    // the exit status docker run must pass on
		report string // a file the run must leave in the mounted directory
		want   string // in its output
	}{
		{
			name:   "version",
			args:   []string{"version"},
			want:   "renewkit ",
			report: "",
		},
		{
			name:   "conform",
			args:   []string{"conform", "--target", "/conformance/target.yaml", "--tags", "@RNW-001 or @RNW-004", "--report-dir", "/reports/conform", "--quiet"},
			report: "conform/report.json",
			want:   "PASS",
		},
		{ // the gate stops at preflight (3), not FAIL (1), naming the client
			name:   "wrong-secret",
			args:   []string{"conform", "--target", "/conformance/target.yaml", "--tags", "@RNW-001", "--report-dir", "/reports/wrong-secret", "--quiet"},
			secret: "not-the-secret",
			code:   3,
			want:   "acme-full",
		},
		{
			name:   "load",
			args:   []string{"load", "--target", "/conformance/target.yaml", "--profile", "smoke", "--duration", "2s", "--users", "5", "--report-dir", "/reports/load", "--quiet"},
			report: "load/summary.json",
			want:   "PASS",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("renewkit-ci-test-%d-%s", os.Getpid(), tc.name)
			args := append([]string{"run", "--rm", "--name", name, "--network", "host",
				"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
				"-v", conformance + ":/conformance:ro", "-v", reports + ":/reports",
				"-e", "CONFORMANCE_FULL_SECRET=" + cmp.Or(tc.secret, "acme-full-secret"),
				"--entrypoint", "/renewkit", image}, tc.args...)
			out, code := docker(t, name, args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("docker %s\nexit status %d, want %d and %q in the output:\n%s", strings.Join(args, " "), code, tc.code, tc.want, tail(out, 30))
			}
			if tc.report == "" {
				return
			}
			if _, err := os.Stat(filepath.Join(reports, tc.report)); err != nil {
				t.Errorf("no %s in the mounted report directory: %v\n%s", tc.report, err, tail(out, 30))
			}
		})
	}
}

// docker runs the docker CLI and returns its output and exit status. The container
// called name is removed when the test ends, should a timeout leave it behind.
func docker(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("docker: %v", err)
		return "", -1
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
