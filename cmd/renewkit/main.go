// Command renewkit is the one binary of renewkit: a reference server for the passcode
// API of SPEC.md (serve), its conformance suite (conform), load profiles (load), and
// offline SRP tools (srp). main only parses flags and wires packages together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/seedb14f67b8/renewkit/version"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"conform": {"run the conformance suite against a server (default: the in-process reference server)", runConform},
		"load":    {"load profiles: renewals per second, latency and thresholds", runLoad},
		"serve":   {"run the reference server of SPEC.md", runServe},
		"srp":     {"offline SRP tools: check vector files, write new ones", runSRP},
		"version": {"print renewkit's version, VCS revision, SPEC revision and Go version", runVersion},
	}
}

// exitError carries a process exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// interrupted is the cause of a context ended by a signal.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

// signalContext returns a context that SIGINT or SIGTERM ends, with the signal as
// its cause. After the first signal the default handling is back, so a second one
// ends the process at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(interrupted{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}

// interruptStatus is the exit status of a run ctx's signal cut short: 128 plus the
// signal's number, as shells report it (130 for SIGINT, 143 for SIGTERM).
func interruptStatus(ctx context.Context) int {
	var i interrupted
	if errors.As(context.Cause(ctx), &i) && i.sig == syscall.SIGTERM {
		return 143
	}
	return 130
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "renewkit: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return exit.code
	default:
		fmt.Fprintf(stderr, "renewkit %s: %v\n", args[0], err)
		return 1
	}
}

// runVersion is `renewkit version`: one line, or JSON with --json.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version [--json]", stderr)
	asJSON := fs.Bool("json", false, "print the version as JSON (module, revision, modified, spec, go)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "renewkit version: unexpected arguments %q\n", fs.Args())
		return exitError{2}
	}
	info := version.Get()
	if *asJSON {
		return json.NewEncoder(stdout).Encode(info)
	}
	_, err := fmt.Fprintln(stdout, info)
	return err
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: renewkit <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'renewkit <command> -h' for a command's flags.")
}

// newFlags returns a FlagSet that reports errors instead of exiting, writing usage to w.
func newFlags(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: renewkit %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
