package steps_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

var (
	targetFlag = flag.String("target", "", "server under test: a URL (reference fixtures) or a target file; the in-process reference server when empty (env RENEWKIT_TARGET)")
	tagsFlag   = flag.String("conform-tags", "", "godog tag expression selecting scenarios (env RENEWKIT_TAGS); not -tags, which go test takes for build tags")
	reportFlag = flag.String("report-dir", "", "write the reports here")
	imageFlag  = flag.String("image", "", "container image of the server under test, run with testcontainers-go (env RENEWKIT_IMAGE); with -target, the target file describes it")
	// godogTags is godog's own name for the selection, for those who know it.
	godogTags = flag.String("godog.tags", "", "the same as -conform-tags (godog's flag name)")
)

// TestMain runs only TestConformance when a server under test is named (-target,
// -image or their variables) and -run is not given: the package's own unit tests
// say nothing about that server.
func TestMain(m *testing.M) {
	flag.Parse()
	named := *targetFlag != "" || *imageFlag != "" || os.Getenv("RENEWKIT_TARGET") != "" || os.Getenv("RENEWKIT_IMAGE") != ""
	if run := flag.Lookup("test.run"); named && run != nil && run.Value.String() == "" {
		_ = run.Value.Set("^TestConformance$")
	}
	os.Exit(m.Run())
}

// TestConformance runs the whole suite, every scenario a subtest, against the
// target of -target (default: the in-process reference server), and fails on any
// failed check, SHOULD included: against the reference server everything passes.
func TestConformance(t *testing.T) {
	spec := *targetFlag
	if spec == "" {
		spec = os.Getenv("RENEWKIT_TARGET")
	}
	image := *imageFlag
	if image == "" {
		image = os.Getenv("RENEWKIT_IMAGE")
	}
	tags := *tagsFlag
	if tags == "" {
		tags = *godogTags
	}
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
	opts := provider.OpenOptions{Spec: spec, Image: sut.Image{Name: image}}
	var attach []conform.Attachment
	if *reportFlag != "" {
		// Only a container target writes it.
		opts.LogFile = filepath.Join(*reportFlag, containerLog)
		attach = []conform.Attachment{{Name: "container log", Path: containerLog}}
	}
	tg, isContainer := startTarget(t, opts)
	if !isContainer {
		attach = nil
	}
	start := time.Now()
	sum, err := conform.Run(context.Background(), conform.Options{
		Target:       tg,
		Tags:         tags,
		ReportDir:    *reportFlag,
		TestingT:     t,
		StrictShould: true,
		Rerun:        rerun,
		RerunImage:   image,
		Attachments:  attach,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scenarios, %d checks in %v", sum.Scenarios, len(sum.Checks), time.Since(start).Round(time.Millisecond))
	for _, id := range append(sum.Failures, sum.Warnings...) {
		t.Errorf("check %s failed", id)
	}
}

// containerLog is the container's log in the report directory.
const containerLog = "container.log"

// startTarget starts the target o names for one test, and says whether it runs in a
// container. A container target skips the test, saying so, where no Docker engine
// answers.
func startTarget(tb testing.TB, o provider.OpenOptions) (*sut.Target, bool) {
	tb.Helper()
	p, err := provider.OpenWith(o)
	if err != nil {
		tb.Fatal(err)
	}
	_, isContainer := p.(*provider.Container)
	if isContainer {
		if err := provider.DockerAvailable(context.Background()); err != nil {
			tb.Skipf("the target runs in a container, and it cannot: %v", err)
		}
	}
	// Registered before Start: Stop removes a container that failed to start too.
	tb.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			tb.Errorf("stopping the target: %v", err)
		}
	})
	tg, err := p.Start(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return tg, isContainer
}
