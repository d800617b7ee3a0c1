package steps_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/target"
)

var (
	targetFlag = flag.String("target", "", "server under test: a URL (reference fixtures) or a target file; the in-process reference server when empty (env RENEWKIT_TARGET)")
	tagsFlag   = flag.String("conform-tags", "", "godog tag expression selecting scenarios (env RENEWKIT_TAGS); not -tags, which go test takes for build tags")
	reportFlag = flag.String("report-dir", "", "write the reports here")
)

// TestConformance runs the whole suite, every scenario a subtest, against the
// target of -target (default: the in-process reference server), and fails on any
// failed check, SHOULD included: against the reference server everything passes.
func TestConformance(t *testing.T) {
	spec := *targetFlag
	if spec == "" {
		spec = os.Getenv("RENEWKIT_TARGET")
	}
	tags := *tagsFlag
	if tags == "" {
		tags = os.Getenv("RENEWKIT_TAGS")
	}
	if tags == "" && raceEnabled {
		// The race detector slows SRP arithmetic tenfold: under -race run every
		// check but the two slowest scenarios (200 renewals; 128 starts).
		tags = "~@RNW-007 && ~@PRF-003"
	}
	rerun := spec
	if spec != "" && !strings.HasPrefix(spec, "http://") && !strings.HasPrefix(spec, "https://") {
		// go test runs in steps/: a relative file is relative to it.
		if abs, err := filepath.Abs(spec); err == nil {
			rerun = abs
		}
	}
	tg := startTarget(t, spec)
	start := time.Now()
	sum, err := steps.Run(context.Background(), steps.Options{
		Target:       tg,
		Tags:         tags,
		ReportDir:    *reportFlag,
		TestingT:     t,
		StrictShould: true,
		Rerun:        rerun,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scenarios, %d checks in %v", sum.Scenarios, len(sum.Checks), time.Since(start).Round(time.Millisecond))
	for _, id := range append(sum.Failures, sum.Warnings...) {
		t.Errorf("check %s failed", id)
	}
}

// startTarget starts the target spec names for one test.
func startTarget(tb testing.TB, spec string) *target.Target {
	tb.Helper()
	p, err := target.Open(spec, "")
	if err != nil {
		tb.Fatal(err)
	}
	tg, err := p.Start(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			tb.Errorf("stopping the target: %v", err)
		}
	})
	return tg
}
