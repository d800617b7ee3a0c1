// Package browsertest starts the headless Chromium that renewkit's browser tests
// drive (the end-user page of refserver/web, the conformance report of conform),
// and says where their screenshots go. It is imported by tests only.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds a Chromium: $RENEWKIT_CHROMIUM, else chromium (Debian's package),
// chromium-browser or google-chrome on PATH; "" when there is none.
func Path() string {
	if p := os.Getenv("RENEWKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Tab starts a headless Chromium for one test and returns a context that drives one
// tab of it for at most timeout; everything stops when the test ends. It skips the
// test when no Chromium is installed (.ci/run installs Debian's), and fails it when
// the browser does not start. extra options follow the defaults.
func Tab(tb testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	path := Path()
	if path == "" {
		tb.Skip("browser test skipped: no Chromium found (apt-get install -y chromium, or set RENEWKIT_CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		// CI runs as root, where Chromium's sandbox cannot start.
		chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so that a failure to launch is reported as such.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return ctx
}

// Artifacts is where a test's screenshots go: $RENEWKIT_ARTIFACTS/sub when that is
// set (a relative path counts from the module root, so RENEWKIT_ARTIFACTS=reports
// writes reports/sub/), else a temporary directory of the test.
func Artifacts(tb testing.TB, sub string) string {
	tb.Helper()
	base := os.Getenv("RENEWKIT_ARTIFACTS")
	if base == "" {
		return tb.TempDir()
	}
	if !filepath.IsAbs(base) {
		base = filepath.Join(moduleRoot(tb), base)
	}
	dir := filepath.Join(base, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// moduleRoot is the directory holding go.mod, at or above the working directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
