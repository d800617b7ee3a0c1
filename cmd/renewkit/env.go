package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// envPrefix starts the environment variables that stand in for flags.
const envPrefix = "RENEWKIT_"

// envNames are the variables that stand in for flag name of command cmd, the
// command's own first: for "report-dir" of "load merge", RENEWKIT_LOAD_MERGE_REPORT_DIR
// then RENEWKIT_REPORT_DIR.
func envNames(cmd, name string) [2]string {
	up := func(s string) string {
		return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(s))
	}
	return [2]string{envPrefix + up(cmd) + "_" + up(name), envPrefix + up(name)}
}

// parseWithEnv parses args into fs, then sets every flag the command line left
// unset from the environment (envNames; the command line wins, as in k6). A
// repeatable flag's variable holds one value per line. It returns the variables
// it used as NAME=value, for the reports' command line. A bad flag or variable
// is a usage error (exit 2); -h is flag.ErrHelp.
func parseWithEnv(fs *flag.FlagSet, cmd string, args []string, stderr io.Writer) ([]string, error) {
	return parseWithLookup(fs, cmd, args, stderr, os.LookupEnv)
}

func parseWithLookup(fs *flag.FlagSet, cmd string, args []string, stderr io.Writer, lookup func(string) (string, bool)) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, exitError{2}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var used []string
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || bad != nil {
			return
		}
		for _, name := range envNames(cmd, f.Name) {
			v, ok := lookup(name)
			if !ok {
				continue
			}
			values := []string{v}
			if _, multi := f.Value.(*stringList); multi {
				values = strings.Split(strings.TrimRight(v, "\n"), "\n")
			}
			for _, one := range values {
				if err := f.Value.Set(one); err != nil {
					bad = fmt.Errorf("%s=%q (for --%s): %v", name, v, f.Name, err)
					return
				}
			}
			used = append(used, name+"="+v)
			return
		}
	})
	if bad != nil {
		fmt.Fprintf(stderr, "renewkit %s: %v\n", cmd, bad)
		return nil, exitError{2}
	}
	sort.Strings(used)
	return used, nil
}

// commandLine is how the reports record a run: the variables that stood in for
// flags, then the arguments, as a shell would take them.
func commandLine(env []string) []string {
	return append(append([]string{}, env...), os.Args...)
}
