// Package cmdline checks renewkit command lines written in files people copy (CI
// templates, Kubernetes manifests, docs) against the flags of the binary built
// from this tree, as its flag package parses them. Only tests import it.
package cmdline

import (
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Build builds cmd/renewkit of this module into a temporary directory, with the
// flags `make image` uses, so that its compiled packages are reused.
func Build(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("the go command is needed to build renewkit: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "renewkit")
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", bin, "github.com/seedb14f67b8/renewkit/cmd/renewkit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Flags is a subcommand's flag set as its -h prints it: each flag's name and the
// type of its value ("" for a boolean flag).
type Flags struct {
	types map[string]string
}

// defaultLine is how flag.PrintDefaults starts a flag: two spaces, the name, and
// for a flag with a value, its type.
var defaultLine = regexp.MustCompile(`(?m)^  -(\S+)(?: (\S+))?$`)

// FlagsOf runs `renewkit SUB... -h` (sub is one word, or two: "load merge") and
// reads its flags.
func FlagsOf(tb testing.TB, bin, sub string) *Flags {
	tb.Helper()
	cmd := exec.Command(bin, append(strings.Fields(sub), "-h")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no RENEWKIT_* variable
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("renewkit %s -h: %v\n%s", sub, err, out)
	}
	f := &Flags{types: map[string]string{}}
	for _, m := range defaultLine.FindAllStringSubmatch(string(out), -1) {
		f.types[m[1]] = m[2]
	}
	if len(f.types) == 0 {
		tb.Fatalf("renewkit %s -h lists no flags:\n%s", sub, out)
	}
	return f
}

// FlagSet returns a FlagSet with the same flags and value types, for parsing a
// command line as renewkit's flag package does.
func (f *Flags) FlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("renewkit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for name, typ := range f.types {
		switch typ {
		case "":
			fs.Bool(name, false, "")
		case "int":
			fs.Int(name, 0, "")
		case "float":
			fs.Float64(name, 0, "")
		case "duration":
			fs.Duration(name, 0, "")
		default:
			fs.String(name, "", "")
		}
	}
	return fs
}

// Names lists the flags, for a message.
func (f *Flags) Names() string {
	var names []string
	for n := range f.types {
		names = append(names, "--"+n)
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}
