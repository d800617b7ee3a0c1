package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/load"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

const conformSynopsis = `conform [flags]    run the conformance suite of SPEC.md against a server

Every flag may also come from the environment: RENEWKIT_CONFORM_<FLAG>, else
RENEWKIT_<FLAG> (RENEWKIT_TARGET, RENEWKIT_TAGS, RENEWKIT_REPORT_DIR, ...); the
command line wins, and the reports record the variables used.

Exit status:
  0    PASS: every selected MUST (and declared MAY) check ran and passed;
       SHOULD failures are warnings
  1    FAIL: a MUST or declared MAY check failed (or the run could not be carried out)
  2    usage error: bad flags, a selection of no scenario, a bad target or expectations file
  3    preflight: the target cannot be used (nothing answers, no token, not the API)
  4    INCOMPLETE: nothing failed, but a selected MUST check did not run
  130  INTERRUPTED by SIGINT (143 by SIGTERM): the reports say so and give no verdict`

// runConform is `renewkit conform`: it starts or names the target and runs the
// embedded features against it (package conform).
func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("conform", conformSynopsis, stderr)
	spec := fs.String("target", "", "server URL (loaded with the reference fixtures) or target YAML file (default: the reference server in this process)")
	tags := fs.String("tags", "", `scenarios to run, as a tag expression: "@RNW-001 or @RNW-002", "@must and not @lockout", "(@a or @b) and @must"`)
	name := fs.String("name", "", "run only the scenarios whose name matches this regular expression")
	reportDir := fs.String("report-dir", filepath.Join("reports", "conform"), `where junit.xml, cucumber.json, report.json and report.html go ("" for none)`)
	expect := fs.String("expect", "", "file of known failures, one check id per line: they do not fail the run")
	concurrency := fs.Int("concurrency", conform.DefaultConcurrency, "scenarios run at once")
	quiet := fs.Bool("quiet", false, "no progress line on stderr")
	var img imageFlags
	img.register(fs)
	env, err := parseWithEnv(fs, "conform", args, stderr)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "renewkit conform: unexpected arguments %q\n", fs.Args())
		return exitError{2}
	}
	image, err := img.image()
	if err != nil {
		fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
		return exitError{2}
	}
	if *concurrency < 1 {
		fmt.Fprintf(stderr, "renewkit conform: --concurrency %d: want at least 1\n", *concurrency)
		return exitError{2}
	}
	if err := writableDir(*reportDir); err != nil {
		fmt.Fprintf(stderr, "renewkit conform: --report-dir: %v\n", err)
		return exitError{2}
	}
	// testcontainers-go would print a banner of Docker details on stderr.
	provider.QuietContainers()
	open := provider.OpenOptions{Spec: *spec, Image: image, Progress: stderr}
	if *reportDir != "" {
		open.LogFile = filepath.Join(*reportDir, containerLog)
	}
	prov, err := provider.OpenWith(open)
	if err != nil {
		if errors.Is(err, sut.ErrInvalid) {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
			return exitError{2}
		}
		return err
	}
	// Deferred before Start: a container that failed to start, or a run cut short by
	// Ctrl-C (ctx), is still removed.
	defer func() {
		if err := prov.Stop(context.Background()); err != nil {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
		}
	}()
	_, isContainer := prov.(*provider.Container)
	tgt, err := prov.Start(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return conformInterrupted(ctx, *reportDir, *spec, stderr)
		}
		// A target that does not start is a set-up fault, not a verdict on it.
		fmt.Fprintf(stderr, "renewkit conform: the target could not be started: %v\n", containerError(err))
		return exitError{conform.ExitPreflight}
	}
	var attach []conform.Attachment
	if isContainer && *reportDir != "" {
		attach = []conform.Attachment{{Name: "container log", Path: containerLog}}
	}
	so := conform.Options{
		Target:      tgt,
		Tags:        *tags,
		Name:        *name,
		ReportDir:   *reportDir,
		Expect:      *expect,
		Concurrency: *concurrency,
		Stdout:      stdout,
		Rerun:       rerunTarget(*spec),
		RerunImage:  image.Name,
		Attachments: attach,
		Command:     commandLine(env),
	}
	if !*quiet {
		so.Progress = stderr
		so.Interactive = load.IsTerminal(stderr)
	}
	sum, err := conform.Run(ctx, so)
	if err != nil {
		if errors.Is(err, conform.ErrOptions) {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
			return exitError{2}
		}
		if errors.Is(err, conform.ErrPreflight) {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
			return exitError{conform.ExitPreflight}
		}
		return err
	}
	if *reportDir != "" {
		fmt.Fprintf(stdout, "reports: %s\n", *reportDir)
	}
	if sum.Verdict == conform.VerdictInterrupted {
		fmt.Fprintf(stderr, "renewkit conform: %v: the reports say INTERRUPTED and give no verdict\n", context.Cause(ctx))
		return exitError{interruptStatus(ctx)}
	}
	if code := sum.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// conformInterrupted ends a run that a signal cut short before its first scenario:
// reports that say INTERRUPTED replace any earlier run's, and the exit status is
// the signal's.
func conformInterrupted(ctx context.Context, reportDir, spec string, stderr io.Writer) error {
	label := spec
	if label == "" {
		label = "in-process reference server"
	}
	if reportDir != "" {
		err := conform.InterruptedBeforeRun(label, nil).WriteReports(reportDir)
		if err == nil {
			err = os.WriteFile(filepath.Join(reportDir, "cucumber.json"), []byte("[]\n"), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
		}
	}
	fmt.Fprintf(stderr, "renewkit conform: %v before the first scenario: the reports say INTERRUPTED and give no verdict\n", context.Cause(ctx))
	return exitError{interruptStatus(ctx)}
}

// writableDir makes dir (if it is not "") and checks that files can be written
// there, before a run spends minutes to find out.
func writableDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".renewkit-write-test-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// containerLog is the container's log in the report directory.
const containerLog = "container.log"

// imageFlags are the flags that run the server under test in a container, shared
// by conform and load.
type imageFlags struct {
	name string
	port int
	env  stringList
	args stringList
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "image", "", "container image NAME[:TAG] of the server under test, run with testcontainers-go (needs a Docker engine); with --target, the target file describes the server")
	fs.IntVar(&f.port, "image-port", 0, fmt.Sprintf("container port the image serves on (default %d, or the target file's)", sut.DefaultImagePort))
	fs.Var(&f.env, "image-env", "KEY=VALUE for the container's environment, repeatable")
	fs.Var(&f.args, "image-arg", "argument appended to the image's entrypoint, repeatable")
}

// image returns the image the flags name.
func (f *imageFlags) image() (sut.Image, error) {
	im := sut.Image{Name: f.name, Port: f.port, Args: f.args}
	if f.name == "" && (f.port != 0 || len(f.env) > 0 || len(f.args) > 0) {
		return im, errors.New("--image-port, --image-env and --image-arg need --image")
	}
	for _, kv := range f.env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return im, fmt.Errorf("--image-env %q: want KEY=VALUE", kv)
		}
		if im.Env == nil {
			im.Env = map[string]string{}
		}
		im.Env[k] = v
	}
	return im, nil
}

// containerError makes a failed start of a container target say what is missing.
func containerError(err error) error {
	if errors.Is(err, provider.ErrNoDocker) {
		return fmt.Errorf("a container target needs a Docker engine, and none answers (set DOCKER_HOST, or start Docker): %w", err)
	}
	return err
}

// rerunTarget is how a rerun command names the target: a file by its absolute path,
// so that the command works from any directory.
func rerunTarget(spec string) string {
	if spec == "" || strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		return spec
	}
	if abs, err := filepath.Abs(spec); err == nil {
		return abs
	}
	return spec
}
