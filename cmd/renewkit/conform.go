package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/target"
)

const conformSynopsis = `conform [flags]    run the conformance suite of SPEC.md against a server

Exit status: 0 every applicable MUST check passed (SHOULD failures are warnings),
1 a MUST check failed or the run could not be carried out, 2 usage error.`

// runConform is `renewkit conform`: it starts or names the target and runs the
// embedded features against it (package steps).
func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("conform", conformSynopsis, stderr)
	spec := fs.String("target", "", "server URL (loaded with the reference fixtures) or target YAML file (default: the reference server in this process)")
	tags := fs.String("tags", "", `scenarios to run, as a godog tag expression: "@RNW-001,@RNW-002", "@must && ~@lockout"`)
	name := fs.String("name", "", "run only the scenarios whose name matches this regular expression")
	reportDir := fs.String("report-dir", filepath.Join("reports", "conform"), `where junit.xml, cucumber.json, report.json and report.html go ("" for none)`)
	expect := fs.String("expect", "", "file of known failures, one check id per line: they do not fail the run")
	concurrency := fs.Int("concurrency", steps.DefaultConcurrency, "scenarios run at once")
	image := fs.String("image", "", "container image of the server under test (reserved: container targets are not supported yet)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "renewkit conform: unexpected arguments %q\n", fs.Args())
		return exitError{2}
	}
	prov, err := target.Open(*spec, *image)
	if err != nil {
		if errors.Is(err, target.ErrInvalid) || errors.Is(err, target.ErrImageUnsupported) {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
			return exitError{2}
		}
		return err
	}
	tgt, err := prov.Start(ctx)
	defer func() { _ = prov.Stop(context.Background()) }()
	if err != nil {
		return err
	}
	sum, err := steps.Run(ctx, steps.Options{
		Target:      tgt,
		Tags:        *tags,
		Name:        *name,
		ReportDir:   *reportDir,
		Expect:      *expect,
		Concurrency: *concurrency,
		Stdout:      stdout,
		Rerun:       rerunTarget(*spec),
	})
	if err != nil {
		if errors.Is(err, steps.ErrOptions) {
			fmt.Fprintf(stderr, "renewkit conform: %v\n", err)
			return exitError{2}
		}
		return err
	}
	if *reportDir != "" {
		fmt.Fprintf(stdout, "reports: %s\n", *reportDir)
	}
	if code := sum.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
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
