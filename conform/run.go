package conform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/features"
	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
)

// DefaultConcurrency is how many scenarios run at once when Options.Concurrency is
// zero. Scenarios spend much of their time waiting on the server, so more than the
// core count helps; the slowest ones (session expiry, 200 renewals) start first.
const DefaultConcurrency = 8

// ErrOptions is returned by Run for options it cannot use.
var ErrOptions = errors.New("conform: invalid options")

// Options configure Run. Only Target is required.
type Options struct {
	// Target is the server under test, already started (see sut.Provider).
	Target *sut.Target
	// Tags is a godog tag expression selecting scenarios: "@RNW-001,@RNW-002"
	// (or), "@must && ~@slow" (and, not). Empty runs everything.
	Tags string
	// Name is a regular expression a scenario's name must match to run.
	Name string
	// ReportDir receives junit.xml, cucumber.json, report.json and report.html;
	// no files are written when empty.
	ReportDir string
	// Expect is a file of known failures, one check id per line (see
	// ReadExpectations); they do not fail the run.
	Expect string
	// Concurrency is the number of scenarios run at once; DefaultConcurrency when 0.
	Concurrency int
	// Stdout receives the summary; nothing is printed when nil.
	Stdout io.Writer
	// TestingT runs every scenario as a subtest of it (go test ./steps).
	TestingT *testing.T
	// StrictShould fails a scenario whose error code (a SHOULD) is wrong in godog
	// and go test too; the report always counts it as a SHOULD warning only.
	StrictShould bool
	// Features holds the .feature files; the embedded features.FS when nil.
	Features fs.FS
	// Rerun is how reports name the target in rerun commands: the -target value
	// (a URL or a file), empty for the default in-process server.
	Rerun string
	// RerunImage is the -image value of rerun commands, for a target run in a
	// container (empty otherwise).
	RerunImage string
	// Attachments are files that go with the reports (a container's log), listed in
	// report.json and linked from report.html. Their paths are relative to
	// ReportDir; they may be written after Run returns (a container's log is
	// complete only once the container stops).
	Attachments []Attachment
	// Progress receives a progress line (scenarios done of those that run,
	// failures so far) while the run goes on: redrawn in place when Interactive
	// (a terminal), else a plain line every ProgressEvery (default 5 s) and one at
	// the end. Nothing when nil.
	Progress      io.Writer
	Interactive   bool
	ProgressEvery time.Duration
	// Command is the command line that started the run, recorded in every report;
	// os.Args when empty.
	Command []string
}

// Attachment is a file that goes with the reports.
type Attachment struct {
	// Name says what it is, e.g. "container log".
	Name string `json:"name"`
	// Path is the file, relative to the report directory.
	Path string `json:"path"`
}

// firstFeatures run before the others so that their long scenarios (the session
// lifetime wait, the 200 renewals) overlap with everything else.
var firstFeatures = []string{"sessions.feature", "renewal.feature", "proofs.feature", "lockout.feature", "history.feature"}

// Run runs the suite against o.Target and reports it. The error is only for a run
// that could not happen (bad options, unreadable features, unwritable reports);
// failed checks are in the Summary (Summary.ExitCode).
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Target == nil {
		return nil, fmt.Errorf("%w: no target", ErrOptions)
	}
	if o.Features == nil {
		o.Features = features.FS
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	var nameRe *regexp.Regexp
	if o.Name != "" {
		var err error
		if nameRe, err = regexp.Compile(o.Name); err != nil {
			return nil, fmt.Errorf("%w: name: %v", ErrOptions, err)
		}
	}
	expect, err := ReadExpectations(o.Expect)
	if err != nil {
		return nil, err
	}
	paths, err := featurePaths(o.Features)
	if err != nil {
		return nil, err
	}
	tags, err := ParseTags(o.Tags)
	if err != nil {
		return nil, err
	}
	plan, err := MakePlan(o.Features, paths, tags, o.Target)
	if err != nil {
		return nil, err
	}
	if plan.selected(nameRe) == 0 {
		return nil, fmt.Errorf("%w: %s selects no scenario (tags are check ids such as @RNW-004, levels such as @must, or capabilities; see docs/conformance.md)", ErrOptions, describeSelection(o.Tags, o.Name))
	}
	hc := sut.NewHTTPClient(0)
	tokens := sut.NewTokenSource(o.Target, hc)
	var prog progress
	st, err := steps.New(steps.Config{
		Target:       o.Target,
		HTTP:         hc,
		Tokens:       tokens,
		Name:         nameRe,
		StrictShould: o.StrictShould,
		Rerun:        func(name, id string) string { return rerunCommands(o.Rerun, o.RerunImage, name, id) },
		Done:         prog.scenarioDone,
	})
	if err != nil {
		return nil, err
	}
	// A preflight cut short by a signal says nothing about the target: the run
	// goes on to report INTERRUPTED, with no scenario run.
	interruptedEarly := false
	if err := preflight(ctx, o.Target, hc, tokens); err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		interruptedEarly = true
	}

	// godog's cucumber JSON is kept in memory and written with the other reports,
	// so that an interrupted run's can say so (markCucumberInterrupted).
	var cucumber bytes.Buffer
	if o.ReportDir != "" {
		if err := os.MkdirAll(o.ReportDir, 0o755); err != nil {
			return nil, fmt.Errorf("conform: report dir: %w", err)
		}
	}

	started := time.Now()
	suite := godog.TestSuite{
		Name:                "renewkit-conformance",
		ScenarioInitializer: st.InitScenario,
		Options: &godog.Options{
			Format:         "cucumber",
			Output:         &cucumber,
			NoColors:       true,
			Strict:         true,
			Concurrency:    o.Concurrency,
			Paths:          paths,
			FS:             o.Features,
			Tags:           runTags(tags, plan.missing()),
			TestingT:       o.TestingT,
			DefaultContext: ctx,
		},
	}
	// The exit status is ignored: the records say what failed, and godog's status
	// also counts the SHOULD failures that StrictShould surfaces.
	if !interruptedEarly {
		stop := func() {}
		if o.Progress != nil {
			every := o.ProgressEvery
			if every <= 0 {
				every = 5 * time.Second
			}
			stop = prog.report(o.Progress, o.Interactive, every, plan.runnable(nameRe))
		}
		_ = suite.Run()
		stop()
	}
	elapsed := time.Since(started)

	if o.TestingT != nil {
		// Not applicable scenarios show as skipped subtests, never as passed.
		for _, p := range plan.Scenarios {
			if len(p.Missing) > 0 && (nameRe == nil || nameRe.MatchString(p.Name)) {
				o.TestingT.Run(p.Name, func(t *testing.T) { t.Skip(p.reason()) })
			}
		}
	}

	sum := summarize(o, plan, nameRe, st.Outcome, expect, started, elapsed, ctx.Err() != nil)
	if o.ReportDir != "" {
		doc := cucumber.Bytes()
		if sum.Interrupted {
			if doc, err = markCucumberInterrupted(doc); err != nil {
				return sum, err
			}
		}
		if err := os.WriteFile(filepath.Join(o.ReportDir, "cucumber.json"), doc, 0o644); err != nil {
			return sum, fmt.Errorf("conform: report: %w", err)
		}
		if err := sum.WriteReports(o.ReportDir); err != nil {
			return sum, err
		}
	}
	if o.Stdout != nil {
		sum.Print(o.Stdout)
	}
	return sum, nil
}

// featurePaths lists the feature files of fsys, the long-running ones first.
func featurePaths(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.feature")
	if err != nil {
		return nil, fmt.Errorf("conform: features: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("conform: no .feature files")
	}
	rank := func(n string) int {
		if i := slices.Index(firstFeatures, n); i >= 0 {
			return i
		}
		return len(firstFeatures)
	}
	sort.SliceStable(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names, nil
}

// PlannedScenario is one scenario the tag filter selected, with what it needs.
type PlannedScenario struct {
	ID      string
	Level   steps.Level
	Name    string
	Feature string
	Tags    []string
	// Needs are the capabilities its tags name; Missing those the target lacks.
	Needs   []sut.Capability
	Missing []sut.Capability

	pickleID string
	// namesCode is set when a step names a section 10 error code
	// (errorCodeInStep): the scenario then has an error-code sub-check.
	namesCode bool
}

// errorCodeInStep finds a section 10 error code (INVALID_PROOF, USER_LOCKED) in a
// step's text.
var errorCodeInStep = regexp.MustCompile(`\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b`)

func (p PlannedScenario) reason() string {
	names := make([]string, len(p.Missing))
	for i, c := range p.Missing {
		names[i] = "@" + string(c)
	}
	return "not applicable: the target does not offer " + strings.Join(names, ", ")
}

// Plan is the scenarios of a run in order.
type Plan struct {
	Scenarios []PlannedScenario
}

// runnable counts the scenarios of the plan that will run: those whose name
// nameRe matches and whose capabilities the target offers.
func (p *Plan) runnable(nameRe *regexp.Regexp) int {
	n := 0
	for _, s := range p.Scenarios {
		if len(s.Missing) == 0 && (nameRe == nil || nameRe.MatchString(s.Name)) {
			n++
		}
	}
	return n
}

// selected counts the scenarios of the plan whose name nameRe matches.
func (p *Plan) selected(nameRe *regexp.Regexp) int {
	n := 0
	for _, s := range p.Scenarios {
		if nameRe == nil || nameRe.MatchString(s.Name) {
			n++
		}
	}
	return n
}

// describeSelection names a selection for an error message.
func describeSelection(tags, name string) string {
	var parts []string
	if tags != "" {
		parts = append(parts, fmt.Sprintf("--tags %q", tags))
	}
	if name != "" {
		parts = append(parts, fmt.Sprintf("--name %q", name))
	}
	if len(parts) == 0 {
		return "the selection"
	}
	return "the selection " + strings.Join(parts, " with ")
}

// missing returns every capability some selected scenario needs and the target
// lacks.
func (p *Plan) missing() []sut.Capability {
	var out []sut.Capability
	for _, s := range p.Scenarios {
		for _, c := range s.Missing {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// MakePlan parses the features at paths of fsys, selects the scenarios tags selects,
// and works out which of them t can run. Every scenario must carry one check id tag
// and one level tag.
func MakePlan(fsys fs.FS, paths []string, tags string, t *sut.Target) (*Plan, error) {
	feats, err := godog.TestSuite{Options: &godog.Options{FS: fsys, Paths: paths, Tags: tags}}.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("conform: features: %w", err)
	}
	plan := &Plan{}
	for _, f := range feats {
		for _, p := range f.Pickles {
			tagNames := make([]string, len(p.Tags))
			for i, tg := range p.Tags {
				tagNames[i] = tg.Name
			}
			id, level := steps.CheckTags(tagNames)
			if id == "" || level == "" {
				return nil, fmt.Errorf("conform: %s: scenario %q lacks a check id or a level tag", p.Uri, p.Name)
			}
			ps := PlannedScenario{ID: id, Level: level, Name: p.Name, Feature: p.Uri, Tags: tagNames, pickleID: p.Id}
			// A step that names an error code, or a check whose SPEC text does,
			// makes an error-code sub-check (the code may come from a table).
			if c, ok := steps.LookupCheck(id); ok && errorCodeInStep.MatchString(c.Spec) {
				ps.namesCode = true
			}
			for _, st := range p.Steps {
				ps.namesCode = ps.namesCode || errorCodeInStep.MatchString(st.Text)
			}
			for _, tg := range tagNames {
				c := sut.Capability(strings.TrimPrefix(tg, "@"))
				if slices.Contains(sut.AllCapabilities(), c) {
					ps.Needs = append(ps.Needs, c)
					if t != nil && !t.Has(c) {
						ps.Missing = append(ps.Missing, c)
					}
				}
			}
			plan.Scenarios = append(plan.Scenarios, ps)
		}
	}
	return plan, nil
}

// runTags combines the user's tag expression with the exclusion of scenarios that
// need a missing capability. godog's expressions have no parentheses: "," is or and
// binds loosest, so the exclusions are added to every alternative.
func runTags(user string, missing []sut.Capability) string {
	var excl []string
	for _, c := range missing {
		excl = append(excl, "~@"+string(c))
	}
	if len(excl) == 0 {
		return user
	}
	ex := strings.Join(excl, " && ")
	if strings.TrimSpace(user) == "" {
		return ex
	}
	alts := strings.Split(user, ",")
	for i, a := range alts {
		alts[i] = strings.TrimSpace(a) + " && " + ex
	}
	return strings.Join(alts, ",")
}

// rerunCommands returns the commands that run exactly one scenario again: as a go
// test subtest and with the renewkit binary, against the same target and image.
func rerunCommands(targetArg, image, name, id string) string {
	goTest := "go test ./steps -run " + shellQuote("TestConformance/^"+regexp.QuoteMeta(subtestName(name))+"$")
	conform := "renewkit conform --tags @" + id + " --name " + shellQuote("^"+regexp.QuoteMeta(name)+"$")
	if targetArg != "" {
		goTest += " -target " + shellQuote(targetArg)
		conform += " --target " + shellQuote(targetArg)
	}
	if image != "" {
		goTest += " -image " + shellQuote(image)
		conform += " --image " + shellQuote(image)
	}
	return goTest + "\n" + conform
}

// subtestName is the name go test gives a subtest: spaces become underscores and
// unprintable runes are escaped (testing's rewrite).
func subtestName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
