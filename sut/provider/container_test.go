package provider_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

func TestOpenWith(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	withImage := filepath.Join(dir, "image.yaml")
	plain := filepath.Join(dir, "plain.yaml")
	for path, body := range map[string]string{
		withImage: "image: {name: example.com/their/server:1.2}\ntenant: acme\nstore: default\ntokens: {full: {tokenEnv: T}}\nusers: {registered: [{id: A, externalId: a}]}\n",
		plain:     "baseURL: http://127.0.0.1:9\ntenant: acme\nstore: default\ntokens: {full: {tokenEnv: T}}\ncapabilities: [admin]\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		opts    provider.OpenOptions
		want    string // the provider's type
		wantErr error
	}{
		{name: "nothing: the in-process server", want: "*provider.InProcess"},
		{name: "an image", opts: provider.OpenOptions{Image: sut.Image{Name: "renewkit:dev"}}, want: "*provider.Container"},
		{name: "an image and a URL", opts: provider.OpenOptions{Spec: "http://h:1", Image: sut.Image{Name: "x"}}, wantErr: sut.ErrInvalid},
		{name: "a target file with an image", opts: provider.OpenOptions{Spec: withImage}, want: "*provider.Container"},
		{name: "a target file and an image flag", opts: provider.OpenOptions{Spec: plain, Image: sut.Image{Name: "x"}}, want: "*provider.Container"},
		{name: "a target file without an image", opts: provider.OpenOptions{Spec: plain}, want: "static"},
		{name: "a URL", opts: provider.OpenOptions{Spec: "http://127.0.0.1:9"}, want: "static"},
		{name: "an image port out of range", opts: provider.OpenOptions{Image: sut.Image{Name: "x", Port: -1}}, wantErr: sut.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := provider.OpenWith(tc.opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "static"
			switch p.(type) {
			case *provider.InProcess:
				got = "*provider.InProcess"
			case *provider.Container:
				got = "*provider.Container"
			}
			if got != tc.want {
				t.Errorf("provider %T, want %s", p, tc.want)
			}
		})
	}
}

// noDockerEnv marks the child process of TestNoDocker.
const noDockerEnv = "RENEWKIT_TEST_NO_DOCKER"

// TestNoDocker checks the answer where no Docker engine answers, in a child process
// (testcontainers-go resolves the engine once per process). testcontainers-go falls
// back to /var/run/docker.sock from any DOCKER_HOST that does not answer, so on a
// machine with an engine the child also names a container runtime that does not
// exist: it cannot find an engine either way.
func TestNoDocker(t *testing.T) {
	ctx := context.Background()
	if os.Getenv(noDockerEnv) == "1" {
		if err := provider.DockerAvailable(ctx); !errors.Is(err, provider.ErrNoDocker) {
			t.Fatalf("DockerAvailable = %v, want ErrNoDocker", err)
		}
		c, err := provider.NewContainer(provider.ContainerOptions{Image: sut.Image{Name: "renewkit:dev"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Start(ctx); !errors.Is(err, provider.ErrNoDocker) {
			t.Fatalf("Start = %v, want ErrNoDocker", err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("Stop after a failed Start: %v", err)
		}
		return
	}
	t.Parallel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNoDocker$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), noDockerEnv+"=1", "DOCKER_HOST=unix:///nonexistent/renewkit/docker.sock",
		"TESTCONTAINERS_PROVIDER=renewkit-no-such-runtime")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNoDocker") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// testImage is the reference image the container tests run: RENEWKIT_IMAGE, or the
// one `make image` builds.
func testImage() string {
	if im := os.Getenv("RENEWKIT_IMAGE"); im != "" {
		return im
	}
	return "renewkit:dev"
}

// needImage skips the test, saying why, unless a Docker engine answers and has the
// test image.
func needImage(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	if err := provider.DockerAvailable(ctx); err != nil {
		t.Skipf("container test skipped: %v", err)
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Skipf("container test skipped: %v", err)
	}
	defer p.Close()
	name := testImage()
	if _, err := p.Client().ImageInspect(ctx, name); err != nil {
		t.Skipf("container test skipped: image %s is not present (build it with `make image`, or set RENEWKIT_IMAGE): %v", name, err)
	}
	return name
}

func TestContainerReferenceImage(t *testing.T) {
	t.Parallel()
	name := needImage(t)
	ctx := context.Background()
	logFile := filepath.Join(t.TempDir(), "logs", "container.log")
	c, err := provider.NewContainer(provider.ContainerOptions{Image: sut.Image{Name: name}, LogFile: logFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(ctx) })
	tg, err := c.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, capability := range []sut.Capability{sut.Admin, sut.SessionExpiry, sut.ExpiredToken, sut.UnknownTenant, sut.OtherTenant} {
		if !tg.Has(capability) {
			t.Errorf("the reference image's target lacks %s: %v", capability, tg.Offered())
		}
	}
	resp, err := http.Get(tg.BaseURL + sut.DefaultReadyPath)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(log), "refserver listening") {
		t.Errorf("container log %s: %v\n%s", logFile, err, log)
	}
	if _, err := http.Get(tg.BaseURL + sut.DefaultReadyPath); err == nil {
		t.Errorf("the server still answers after Stop")
	}
}

func TestContainerThatExits(t *testing.T) {
	t.Parallel()
	name := needImage(t)
	ctx := context.Background()
	logFile := filepath.Join(t.TempDir(), "container.log")
	c, err := provider.NewContainer(provider.ContainerOptions{
		Image:   sut.Image{Name: name, Args: []string{"--no-such-flag"}, StartTimeout: sut.Duration(30 * time.Second)},
		Target:  &sut.Target{Tenant: "acme", Store: "default"},
		LogFile: logFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), logFile) {
		t.Errorf("Start = %v, want an error saying it exited and where its log goes", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("a container that exits took %v to report", d)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(log), "no-such-flag") {
		t.Errorf("container log: %v\n%s", err, log)
	}
}

// TestContainerSuite runs the whole conformance suite against the reference image in
// a container: what CI's `renewkit conform --image renewkit:dev` does.
func TestContainerSuite(t *testing.T) {
	t.Parallel()
	name := needImage(t)
	ctx := context.Background()
	reports := t.TempDir()
	p, err := provider.OpenWith(provider.OpenOptions{Image: sut.Image{Name: name}, LogFile: filepath.Join(reports, "container.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(ctx) })
	tg, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tags := ""
	if raceEnabled {
		// As TestConformance in package steps: the two scenarios of pure SRP
		// arithmetic, which the race detector slows tenfold.
		tags = "~@RNW-007 && ~@PRF-003"
	}
	sum, err := conform.Run(ctx, conform.Options{Target: tg, Tags: tags, ReportDir: reports, RerunImage: name,
		Attachments: []conform.Attachment{{Name: "container log", Path: "container.log"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scenarios against %s in %.1fs", sum.Scenarios, tg.Label(), sum.DurationMS/1000)
	for _, id := range append(sum.Failures, sum.Warnings...) {
		cr, _ := sum.Check(id)
		for _, sr := range cr.Scenarios {
			if sr.Status == steps.StatusFailed {
				t.Errorf("check %s failed against the container: %s", id, sr.Evidence)
				break
			}
		}
	}
	if c := sum.Counts[steps.Must]; c.NotApplicable > 0 {
		t.Errorf("%d MUST checks not applicable against the reference image: %+v", c.NotApplicable, c)
	}
}
