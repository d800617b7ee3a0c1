package conform

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seedb14f67b8/renewkit/invariant"
	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/version"
)

// ScenarioResult is the outcome of one scenario (one row of an outline) as the
// reports carry it. For an error-code sub-check, Problem and Evidence are the code's.
type ScenarioResult struct {
	ID      string      `json:"id"`
	Level   steps.Level `json:"level"`
	Name    string      `json:"name"`
	Feature string      `json:"feature"`
	Status  string      `json:"status"`
	// Reason says why the scenario is not applicable.
	Reason string `json:"reason,omitempty"`
	// Step is the step that failed, Problem what was wrong.
	Step    string `json:"step,omitempty"`
	Problem string `json:"problem,omitempty"`
	// Evidence is the full failure text: check, spec, request and response
	// (redacted), diagnosis and rerun commands.
	Evidence string `json:"evidence,omitempty"`
	// Diagnosis names the interop variant a server's proofs match.
	Diagnosis  string  `json:"diagnosis,omitempty"`
	Rerun      string  `json:"rerun,omitempty"`
	DurationMS float64 `json:"durationMs"`

	// row is the scenario's place in the run's plan, from 1 (0: unknown), which
	// tells apart the results of outline rows that share a name.
	row int
}

// CheckResult is the outcome of one check id over all its scenarios: failed if any
// failed, else passed if any passed, else not applicable.
type CheckResult struct {
	steps.Check
	Status string `json:"status"`
	// Expected is set when the expectations list the check; ExpectReason is why.
	Expected     bool             `json:"expected,omitempty"`
	ExpectReason string           `json:"expectReason,omitempty"`
	Scenarios    []ScenarioResult `json:"scenarios"`
}

// LevelCounts counts the checks of one level by outcome.
type LevelCounts struct {
	Checks           int `json:"checks"`
	Passed           int `json:"passed"`
	Failed           int `json:"failed"`
	NotApplicable    int `json:"notApplicable"`
	ExpectedFailures int `json:"expectedFailures"`
}

// Summary is the outcome of a run.
type Summary struct {
	// Version is the renewkit build and the SPEC.md revision its checks follow;
	// Command the command line of the run.
	Version      version.Info                `json:"version"`
	Command      []string                    `json:"command"`
	Target       string                      `json:"target"`
	Capabilities []string                    `json:"capabilities"`
	Started      time.Time                   `json:"started"`
	DurationMS   float64                     `json:"durationMs"`
	Counts       map[steps.Level]LevelCounts `json:"counts"`
	Checks       []CheckResult               `json:"checks"`
	// Failures are the failed MUST (and declared MAY) checks not in the
	// expectations: any one fails the run. Warnings are failed SHOULD checks.
	// ExpectedFailures failed as the expectations said; Fixed are listed there but
	// passed.
	Failures         []string `json:"failures"`
	Warnings         []string `json:"warnings"`
	ExpectedFailures []string `json:"expectedFailures"`
	Fixed            []string `json:"fixed"`
	Scenarios        int      `json:"scenarios"`
	// Verdict is PASS, FAIL, INCOMPLETE or INTERRUPTED (verdict.go).
	Verdict string `json:"verdict"`
	// Incomplete are the selected MUST checks that did not run (wholly or in
	// some scenarios) and that the expectations do not accept.
	Incomplete []Unrun `json:"incomplete"`
	// Interrupted is set when the run was cut short (SIGINT, SIGTERM).
	Interrupted bool `json:"interrupted"`
	// Attachments are the files that go with the reports (Options.Attachments).
	Attachments []Attachment `json:"attachments,omitempty"`

	// planned is the run's selection, which the JUnit report follows.
	planned []plannedCase
}

// plannedCase is a scenario of the run's selection; HasCode says its steps name an
// error code, so it has an error-code sub-check.
type plannedCase struct {
	ID, Name, Feature string
	Level             steps.Level
	HasCode           bool
}

// Check returns the result of one check id, if it is in the run.
func (s *Summary) Check(id string) (CheckResult, bool) {
	i := slices.IndexFunc(s.Checks, func(c CheckResult) bool { return c.ID == id })
	if i < 0 {
		return CheckResult{}, false
	}
	return s.Checks[i], true
}

// summarize turns the records of a run into its Summary.
func summarize(o Options, plan *Plan, nameRe *regexp.Regexp, outcome func(string) (steps.Outcome, bool), expect Expectations, started time.Time, elapsed time.Duration, interrupted bool) *Summary {
	unrun := map[string]*Unrun{}
	sum := &Summary{
		Interrupted: interrupted,
		Incomplete:  []Unrun{},
		Target:      o.Target.Label(),
		Started:     started.UTC(),
		Counts:      map[steps.Level]LevelCounts{},
		Attachments: o.Attachments,
		Version:     version.Get(),
		Command:     o.Command,
	}
	if sum.Command == nil {
		sum.Command = os.Args
	}
	for _, c := range o.Target.Offered() {
		sum.Capabilities = append(sum.Capabilities, string(c))
	}
	sum.DurationMS = float64(elapsed.Microseconds()) / 1000
	byID := map[string]*CheckResult{}
	var order []string
	add := func(id string, sr ScenarioResult) {
		cr, ok := byID[id]
		if !ok {
			c, found := steps.LookupCheck(id)
			if !found {
				// A check outside SPEC.md (features/process.feature): its scenario
				// names it.
				c = steps.Check{ID: id, Level: sr.Level, Section: "outside SPEC.md", Title: sr.Name, Spec: "see " + sr.Feature}
			}
			cr = &CheckResult{Check: c}
			byID[id] = cr
			order = append(order, id)
		}
		cr.Scenarios = append(cr.Scenarios, sr)
	}
	for _, p := range plan.Scenarios {
		if nameRe != nil && !nameRe.MatchString(p.Name) {
			continue
		}
		sum.planned = append(sum.planned, plannedCase{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature, HasCode: p.namesCode})
		sr := ScenarioResult{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature,
			Rerun: rerunCommands(o.Rerun, o.RerunImage, p.Name, p.ID), row: len(sum.planned)}
		if len(p.Missing) > 0 {
			sr.Status, sr.Reason = steps.StatusNotApplicable, p.reason()
			noteUnrun(unrun, p, "")
			add(p.ID, sr)
			sum.Scenarios++
			continue
		}
		out, ok := outcome(p.pickleID)
		if !ok {
			continue // not run (go test -run), or it did not finish
		}
		sr.Status, sr.Reason, sr.Step, sr.Problem, sr.Evidence, sr.Diagnosis = out.Status, out.Reason, out.Step, out.Problem, out.Message, out.Diag
		sr.DurationMS = float64(out.Duration.Microseconds()) / 1000
		code := out.Code
		if sr.Status != steps.StatusFailed {
			sr.Step, sr.Problem, sr.Evidence = "", "", ""
		}
		if sr.Status == steps.StatusNotApplicable && !out.Optional {
			noteUnrun(unrun, p, sr.Reason)
		}
		add(p.ID, sr)
		sum.Scenarios++
		if code != nil {
			cs := ScenarioResult{ID: p.ID + steps.CodeSuffix, Level: steps.Should, Name: p.Name, Feature: p.Feature,
				Status: steps.StatusPassed, Rerun: sr.Rerun, DurationMS: sr.DurationMS, row: sr.row}
			if !code.Passed {
				cs.Status, cs.Step, cs.Problem, cs.Evidence = steps.StatusFailed, code.Step, code.Problem, code.Message
			}
			add(p.ID+steps.CodeSuffix, cs)
		}
	}
	invariantResults(o, plan, outcome, add)
	// Catalogue order, with the code sub-check after its check.
	rank := map[string]int{}
	for i, c := range steps.Catalogue() {
		rank[c.ID] = 2 * i
		rank[c.ID+steps.CodeSuffix] = 2*i + 1
	}
	slices.SortStableFunc(order, func(a, b string) int { return rank[a] - rank[b] })
	for _, id := range order {
		cr := byID[id]
		cr.Status = steps.StatusNotApplicable
		for _, sr := range cr.Scenarios {
			switch {
			case sr.Status == steps.StatusFailed:
				cr.Status = steps.StatusFailed
			case sr.Status == steps.StatusPassed && cr.Status != steps.StatusFailed:
				cr.Status = steps.StatusPassed
			}
		}
		if reason, ok := expect[id]; ok {
			cr.Expected, cr.ExpectReason = true, reason
		}
		lc := sum.Counts[cr.Level]
		lc.Checks++
		switch {
		case cr.Status == steps.StatusFailed && cr.Expected:
			lc.ExpectedFailures++
			sum.ExpectedFailures = append(sum.ExpectedFailures, id)
		case cr.Status == steps.StatusFailed && cr.Level.Gates():
			lc.Failed++
			sum.Failures = append(sum.Failures, id)
		case cr.Status == steps.StatusFailed:
			lc.Failed++
			sum.Warnings = append(sum.Warnings, id)
		case cr.Status == steps.StatusPassed:
			lc.Passed++
			if cr.Expected {
				sum.Fixed = append(sum.Fixed, id)
			}
		default:
			lc.NotApplicable++
		}
		sum.Counts[cr.Level] = lc
		sum.Checks = append(sum.Checks, *cr)
	}
	sum.Incomplete = incompleteChecks(byID, order, unrun, expect)
	sum.setVerdict()
	return sum
}

// invariantResults adds the invariants' check results: per invariant, a failed
// scenario result for each scenario that broke it, else one passed result that says
// how many exchanges were checked.
func invariantResults(o Options, plan *Plan, outcome func(string) (steps.Outcome, bool), add func(string, ScenarioResult)) {
	scenarios, exchanges := 0, 0
	failed := map[string][]ScenarioResult{}
	for _, p := range plan.Scenarios {
		out, ok := outcome(p.pickleID)
		if !ok || len(p.Missing) > 0 {
			continue
		}
		n := out.Exchanges
		if n == 0 {
			continue
		}
		scenarios++
		exchanges += n
		for _, b := range out.Breaches {
			failed[b.ID] = append(failed[b.ID], ScenarioResult{
				ID: b.ID, Level: steps.Must, Name: p.Name, Feature: p.Feature, Status: steps.StatusFailed,
				Step: b.Step, Problem: b.Problem, Evidence: b.Message,
				Rerun: rerunCommands(o.Rerun, o.RerunImage, p.Name, p.ID),
			})
		}
	}
	for _, id := range invariant.IDs() {
		if rs := failed[id]; len(rs) > 0 {
			for _, r := range rs {
				add(id, r)
			}
			continue
		}
		if exchanges == 0 {
			continue // no scenario sent a request: the check did not run
		}
		add(id, ScenarioResult{ID: id, Level: steps.Must, Status: steps.StatusPassed, Feature: "every feature",
			Name: fmt.Sprintf("every exchange of the run (%d exchanges in %d scenarios)", exchanges, scenarios)})
	}
}

// indent prefixes every line but the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// Print writes the summary by level, then each failed, warned and fixed check with
// the evidence of its first failing scenario.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "renewkit conform: %s: %d scenarios in %.1fs\n", s.Target, s.Scenarios, s.DurationMS/1000)
	fmt.Fprintf(w, "  %s\n", s.Version)
	fmt.Fprintf(w, "  capabilities: %s\n", strings.Join(s.Capabilities, ", "))
	for _, a := range s.Attachments {
		fmt.Fprintf(w, "  attachment: %s (%s)\n", a.Name, a.Path)
	}
	fmt.Fprintf(w, "  %-7s %7s %7s %7s %7s %9s\n", "level", "checks", "passed", "failed", "n/a", "expected")
	for _, l := range []steps.Level{steps.Must, steps.Should, steps.May} {
		c := s.Counts[l]
		fmt.Fprintf(w, "  %-7s %7d %7d %7d %7d %9d\n", strings.ToUpper(string(l)), c.Checks, c.Passed, c.Failed, c.NotApplicable, c.ExpectedFailures)
	}
	show := func(label string, ids []string) {
		for _, id := range ids {
			cr, _ := s.Check(id)
			fmt.Fprintf(w, "\n%s %s [%s] %s (SPEC %s)\n", label, id, cr.Level, cr.Title, cr.Section)
			n := 0
			for _, sr := range cr.Scenarios {
				if sr.Status != steps.StatusFailed {
					continue
				}
				if n == 0 {
					fmt.Fprintf(w, "  scenario: %s\n  %s\n", sr.Name, indent(sr.Evidence, "  "))
				}
				n++
			}
			if n > 1 {
				fmt.Fprintf(w, "  (and %d more failing scenarios of %s; see the reports)\n", n-1, id)
			}
		}
	}
	if s.Interrupted {
		// Scenarios cut short fail with the context's error: listing them would
		// read as a verdict on the server.
		fmt.Fprintf(w, "\n%s\n", s.VerdictLine())
		return
	}
	show("FAIL", s.Failures)
	show("WARN", s.Warnings)
	show("EXPECTED", s.ExpectedFailures)
	for _, id := range s.Fixed {
		fmt.Fprintf(w, "\nFIXED %s: listed as a known failure but passes; remove it from the expectations\n", id)
	}
	for _, u := range s.Incomplete {
		fmt.Fprintf(w, "\nNOT RUN %s: %d of %d scenarios: %s\n  to run it: %s, or accept it in the expectations file (%s n/a <reason>)\n",
			u.ID, u.Scenarios, u.Of, u.Reason, u.Fix, u.ID)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, s.VerdictLine())
}

// WriteReports writes junit.xml, report.json and report.html into dir (cucumber.json
// is written by the run itself).
func (s *Summary) WriteReports(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("conform: report dir: %w", err)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("conform: report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("conform: report: %w", err)
	}
	for name, write := range map[string]func(io.Writer) error{"junit.xml": s.WriteJUnit, "report.html": s.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("conform: report: %w", err)
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("conform: report %s: %w", name, err)
		}
	}
	return nil
}

// JUnit XML types: one testsuite per feature, one testcase per scenario and per
// error-code sub-check, in the shape of the JUnit schema CI reporters read (Ant's,
// as Jenkins, GitLab and GitHub's reporters take it): errors and skipped counted
// per suite, times as decimals of seconds. A failed MUST (or declared MAY) check is
// a failure; a failed SHOULD check passes with the warning in system-out and a
// property; expected failures and not-applicable scenarios are skipped, with the
// reason.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     junitSeconds `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       junitSeconds    `xml:"time,attr"`
	// Timestamp is when the run started, in the schema's form: UTC, no zone.
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname  string          `xml:"classname,attr"`
	Name       string          `xml:"name,attr"`
	Time       junitSeconds    `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitFailure   `xml:"failure,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	// SystemOut carries a SHOULD warning: CI test reporters turn any <failure>
	// red, while a SHOULD failure does not fail the run.
	SystemOut string `xml:"system-out,omitempty"`
}

// junitSeconds is a duration in seconds, written to the millisecond as the
// schema's xs:decimal wants it: encoding/xml would write a float64 of a few
// microseconds as 5e-06, which a schema-checking reader refuses.
type junitSeconds float64

// MarshalXMLAttr writes the seconds with three decimals.
func (s junitSeconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(float64(s), 'f', 3, 64)}, nil
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the JUnit XML report. Its testcases are the same in every run
// of one selection, whatever the outcome (CI systems compare runs by testcase):
// a testcase per planned scenario, one per error-code sub-check the scenario's
// steps name (skipped when the scenario ended before reaching it), and one per
// invariant for the whole run. Names are unique within a suite. A failed SHOULD
// check is a passing testcase with the warning in system-out and a property;
// scenarios cut short by an interruption, or never reached, are skipped.
func (s *Summary) WriteJUnit(w io.Writer) error {
	root := junitSuites{Name: "renewkit conformance: " + s.Target, Time: junitSeconds(s.DurationMS / 1000)}
	suites := map[string]*junitSuite{}
	var order []string
	names := map[string]map[string]bool{}
	suite := func(feature string) *junitSuite {
		js, ok := suites[feature]
		if !ok {
			js = &junitSuite{Name: feature, Properties: s.junitProperties(), Timestamp: s.junitTimestamp()}
			suites[feature] = js
			order = append(order, feature)
			names[feature] = map[string]bool{}
		}
		return js
	}
	addCase := func(feature string, jc junitCase) {
		js := suite(feature)
		// The second row of an outline with the same name is "(#2)", and so on, in
		// plan order, so a row keeps its name from run to run.
		name := jc.Name
		for n := 2; names[feature][name]; n++ {
			name = fmt.Sprintf("%s (#%d)", jc.Name, n)
		}
		names[feature][name] = true
		jc.Name = name
		jc.SystemOut = xmlText(jc.SystemOut)
		if jc.Failure != nil {
			jc.Failure.Text = xmlText(jc.Failure.Text)
		}
		js.Tests++
		js.Time += jc.Time
		if jc.Failure != nil {
			js.Failures++
		}
		if jc.Skipped != nil {
			js.Skipped++
		}
		js.Cases = append(js.Cases, jc)
	}

	// The results of each scenario by check id and row of the plan; those that
	// do not know their row by check id, feature and name, in run order.
	type rowKey struct {
		id  string
		row int
	}
	type key struct{ id, feature, name string }
	byRow := map[rowKey]ScenarioResult{}
	byKey := map[key][]ScenarioResult{}
	checkOf := map[string]CheckResult{}
	hasCode := map[string]bool{}
	for _, cr := range s.Checks {
		checkOf[cr.ID] = cr
		if id, ok := strings.CutSuffix(cr.ID, steps.CodeSuffix); ok {
			hasCode[id] = true
		}
		for _, sr := range cr.Scenarios {
			if sr.row > 0 && s.planned != nil {
				byRow[rowKey{sr.ID, sr.row}] = sr
				continue
			}
			k := key{sr.ID, sr.Feature, sr.Name}
			byKey[k] = append(byKey[k], sr)
		}
	}
	// take is the result of check id in the plan's row (from 1) of scenario p. By
	// name alone, the sub-check result of a second outline row would go to the
	// first when the first ended before its code was checked.
	take := func(id string, row int, p plannedCase) (ScenarioResult, bool) {
		if sr, ok := byRow[rowKey{id, row}]; ok {
			return sr, true
		}
		k := key{id, p.Feature, p.Name}
		rs := byKey[k]
		if len(rs) == 0 {
			return ScenarioResult{}, false
		}
		byKey[k] = rs[1:]
		return rs[0], true
	}
	planned := s.planned
	if planned == nil {
		// A summary without its plan (one read back from report.json): its results.
		for _, cr := range s.Checks {
			if strings.HasPrefix(cr.ID, "INV-") || strings.HasSuffix(cr.ID, steps.CodeSuffix) {
				continue
			}
			for _, sr := range cr.Scenarios {
				planned = append(planned, plannedCase{ID: sr.ID, Level: sr.Level, Name: sr.Name, Feature: sr.Feature})
			}
		}
	}
	for i, p := range planned {
		sr, ok := take(p.ID, i+1, p)
		if !ok {
			sr = ScenarioResult{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature}
		}
		addCase(p.Feature, s.junitCase(checkOf[p.ID], sr, ok))
		cid := p.ID + steps.CodeSuffix
		csr, cok := take(cid, i+1, p)
		if !cok && !p.HasCode && !(s.Interrupted && hasCode[p.ID]) {
			// An interrupted run keeps the sub-checks of the scenarios it did
			// not reach where other scenarios of the check had one.
			continue
		}
		switch {
		case !cok && ok && sr.Status == steps.StatusNotApplicable:
			// Not applicable, not "not reached": the scenario did not run.
			csr, cok = ScenarioResult{ID: cid, Level: steps.Should, Name: p.Name, Feature: p.Feature, Status: steps.StatusNotApplicable, Reason: sr.Reason}, true
		case !cok:
			csr = ScenarioResult{ID: cid, Level: steps.Should, Name: p.Name, Feature: p.Feature}
		}
		addCase(p.Feature, s.junitCase(checkOf[cid], csr, cok))
	}
	// One testcase per invariant, over every exchange of the run.
	for _, id := range invariant.IDs() {
		cr := checkOf[id]
		jc := junitCase{Classname: "invariants", Name: fmt.Sprintf("[%s] [%s] every exchange of the run", id, steps.Must)}
		var failing []string
		var evidence strings.Builder
		ran := false
		for _, sr := range cr.Scenarios {
			if sr.Feature != "every feature" {
				if sr.Status != steps.StatusFailed {
					continue // the invariant's own scenario, reported with the plan
				}
				failing = append(failing, sr.Name)
				fmt.Fprintf(&evidence, "scenario: %s (%s)\n%s\n\n", sr.Name, sr.Feature, sr.Evidence)
			}
			ran = true
			if sr.Feature == "every feature" {
				jc.SystemOut = sr.Name
			}
		}
		switch {
		case s.Interrupted:
			jc.Skipped = &junitSkipped{Message: interruptedMessage}
		case len(failing) > 0:
			jc.Failure = &junitFailure{Message: fmt.Sprintf("%d scenarios broke %s: %s", len(failing), id, strings.Join(failing, "; ")),
				Type: string(steps.Must), Text: evidence.String()}
		case !ran:
			jc.Skipped = &junitSkipped{Message: "no scenario sent a request"}
		}
		addCase("every feature", jc)
	}
	for _, name := range order {
		js := suites[name]
		root.Tests += js.Tests
		root.Failures += js.Failures
		root.Skipped += js.Skipped
		root.Suites = append(root.Suites, *js)
	}
	if len(root.Suites) == 0 {
		// A run with no scenario (cut short before the first) still says its
		// verdict where a CI system reads properties.
		root.Suites = []junitSuite{{Name: "renewkit", Properties: s.junitProperties(), Timestamp: s.junitTimestamp()}}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitProperties are the properties of every suite: the verdict and what gave it.
func (s *Summary) junitProperties() []junitProperty {
	return []junitProperty{
		{"renewkit.verdict", s.Verdict}, {"renewkit.target", s.Target},
		{"renewkit.version", s.Version.String()}, {"renewkit.spec", s.Version.Spec},
		{"renewkit.command", shellJoin(s.Command)},
	}
}

// xmlText makes evidence fit in XML text: a response body can hold bytes XML
// does not allow (control characters, invalid UTF-8), which encoding/xml writes
// as they are inside CDATA, so that no reader could parse the file. A control
// character becomes \xHH, anything else XML lacks U+FFFD.
func xmlText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !isXMLChar(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // an invalid byte comes as utf8.RuneError, U+FFFD
		switch {
		case isXMLChar(r):
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(utf8.RuneError)
		}
	}
	return b.String()
}

// isXMLChar says whether XML 1.0 allows r in a document (its Char production).
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || 0x20 <= r && r <= 0xD7FF || 0xE000 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0x10FFFF
}

// junitTimestamp is the start of the run as the schema's timestamp attribute has
// it (no zone; the time is UTC), empty when unknown.
func (s *Summary) junitTimestamp() string {
	if s.Started.IsZero() {
		return ""
	}
	return s.Started.UTC().Format("2006-01-02T15:04:05")
}

// junitCase is the testcase of one scenario result of check cr; ran is false for
// a planned scenario (or sub-check) with no result.
func (s *Summary) junitCase(cr CheckResult, sr ScenarioResult, ran bool) junitCase {
	jc := junitCase{Classname: strings.TrimSuffix(sr.Feature, ".feature"),
		Name: fmt.Sprintf("[%s] [%s] %s", sr.ID, sr.Level, sr.Name), Time: junitSeconds(sr.DurationMS / 1000)}
	switch {
	case !ran && s.Interrupted:
		jc.Skipped = &junitSkipped{Message: interruptedMessage}
	case !ran && strings.HasSuffix(sr.ID, steps.CodeSuffix):
		jc.Skipped = &junitSkipped{Message: "not reached: the scenario ended before its error code was checked"}
	case !ran:
		jc.Skipped = &junitSkipped{Message: "not run"}
	case sr.Status == steps.StatusNotApplicable:
		jc.Skipped = &junitSkipped{Message: sr.Reason}
	case sr.Status == steps.StatusFailed && cr.Expected:
		jc.Skipped = &junitSkipped{Message: "expected failure: " + cr.ExpectReason}
	case sr.Status == steps.StatusFailed && s.Interrupted:
		jc.Skipped = &junitSkipped{Message: interruptedMessage}
	case sr.Status == steps.StatusFailed && !sr.Level.Gates():
		jc.Properties = []junitProperty{{"renewkit.warning", sr.Problem}}
		jc.SystemOut = "WARNING (SHOULD, does not fail the run): " + sr.Problem + "\n\n" + sr.Evidence
	case sr.Status == steps.StatusFailed:
		jc.Failure = &junitFailure{Message: sr.Problem, Type: string(sr.Level), Text: sr.Evidence}
	}
	return jc
}

// shellJoin is a command line as a shell would take it back: a word of plain
// characters as it is, any other word (and a first word with "=", which a shell
// takes for an assignment) in single quotes.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if !shellPlain(a) || (i == 0 && strings.Contains(a, "=")) {
			q[i] = shellQuote(a)
		}
	}
	return strings.Join(q, " ")
}

// shellPlain says whether a POSIX shell takes the word unquoted as itself.
func shellPlain(word string) bool {
	return word != "" && strings.IndexFunc(word, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_@%+=:,./-", r))
	}) < 0
}

// WriteHTML writes report.html: one self-contained page (no external assets, and
// a Content-Security-Policy that lets it fetch nothing) with the failed checks
// first, then the warnings, then the rest in catalogue order. A small inline
// script filters the rows by level, status, feature and text; without JavaScript
// (or under a CI server's policy that blocks inline scripts) the filters stay
// hidden and every row is shown.
func (s *Summary) WriteHTML(w io.Writer) error {
	return reportTemplate().Execute(w, s.htmlView())
}

// The statuses report.html gives a check or a scenario, and filters on.
const (
	htmlFailed      = "failed" // a MUST or declared MAY failure: it fails the run
	htmlWarning     = "warning"
	htmlPassed      = "passed"
	htmlNA          = "n/a"
	htmlExpected    = "expected"
	htmlInterrupted = "interrupted"
)

// htmlView is what report.html shows.
type htmlView struct {
	*Summary
	// Command is the command line, shell-quoted.
	Command string
	Counts  []htmlCount
	Rows    []htmlRow
	// Levels, Statuses and Features are the filters' choices.
	Levels, Statuses []htmlChoice
	Features         []string
}

// htmlCount is a row of the counts table.
type htmlCount struct {
	Level steps.Level
	LevelCounts
}

// htmlChoice is a checkbox of a filter: its value, label and how many rows have it.
type htmlChoice struct {
	Value, Label string
	N            int
}

// htmlRow is a check as report.html shows it.
type htmlRow struct {
	CheckResult
	Status    string
	Features  []string
	Scenarios []htmlScenario
	// Open shows the scenarios and their evidence without a click.
	Open bool
}

// htmlScenario is a scenario of a check, with the status report.html gives it.
type htmlScenario struct {
	ScenarioResult
	Status string
}

// htmlStatus is the status report.html gives an outcome (a check's or a
// scenario's) of the given level: a failure is a warning at the SHOULD level,
// expected when the expectations list the check, and no failure at all in an
// interrupted run, where it is most likely the interruption's.
func (s *Summary) htmlStatus(status string, l steps.Level, expected bool) string {
	switch {
	case status == steps.StatusPassed:
		return htmlPassed
	case status != steps.StatusFailed:
		return htmlNA
	case s.Interrupted:
		return htmlInterrupted
	case expected:
		return htmlExpected
	case !l.Gates():
		return htmlWarning
	}
	return htmlFailed
}

// htmlView orders the checks for reading, failures first, and counts the filters'
// choices.
func (s *Summary) htmlView() htmlView {
	v := htmlView{Summary: s, Command: shellJoin(s.Command)}
	levels := []steps.Level{steps.Must, steps.Should, steps.May}
	for _, l := range levels {
		v.Counts = append(v.Counts, htmlCount{l, s.Counts[l]})
	}
	byStatus, byLevel := map[string]int{}, map[steps.Level]int{}
	features := map[string]bool{}
	for _, cr := range s.Checks {
		r := htmlRow{CheckResult: cr, Status: s.htmlStatus(cr.Status, cr.Level, cr.Expected)}
		r.Open = r.Status == htmlFailed || r.Status == htmlWarning
		for _, sr := range cr.Scenarios {
			r.Scenarios = append(r.Scenarios, htmlScenario{sr, s.htmlStatus(sr.Status, sr.Level, cr.Expected)})
			if !slices.Contains(r.Features, sr.Feature) {
				r.Features = append(r.Features, sr.Feature)
			}
			features[sr.Feature] = true
		}
		byStatus[r.Status]++
		byLevel[cr.Level]++
		v.Rows = append(v.Rows, r)
	}
	rank := func(r htmlRow) int {
		switch r.Status {
		case htmlFailed:
			return 0
		case htmlWarning:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(v.Rows, func(a, b htmlRow) int { return rank(a) - rank(b) })
	for _, l := range levels {
		v.Levels = append(v.Levels, htmlChoice{string(l), strings.ToUpper(string(l)), byLevel[l]})
	}
	statuses := []string{htmlFailed, htmlWarning, htmlPassed, htmlNA, htmlExpected}
	if s.Interrupted {
		statuses = append(statuses, htmlInterrupted)
	}
	for _, st := range statuses {
		v.Statuses = append(v.Statuses, htmlChoice{st, st, byStatus[st]})
	}
	for f := range features {
		v.Features = append(v.Features, f)
	}
	slices.Sort(v.Features)
	return v
}

// reportTemplate parses report.html's template. Its inline style and script are
// allowed by their hashes in the page's Content-Security-Policy, which lets the
// page load nothing else: they must hold no comments, which html/template drops
// from what it writes (TestReportHTMLSelfContained checks the hashes).
func reportTemplate() *template.Template {
	csp := fmt.Sprintf(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '%s'; script-src '%s'">`,
		cspHash(reportCSS), cspHash(reportScript))
	page := strings.NewReplacer("{{/*csp*/}}", csp, "{{/*css*/}}", reportCSS, "{{/*script*/}}", reportScript).Replace(reportHTML)
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper": func(l steps.Level) string { return strings.ToUpper(string(l)) },
		"secs":  func(ms float64) string { return fmt.Sprintf("%.1fs", ms/1000) },
		// cls is a status as a class name ("n/a" is "na").
		"cls":   func(status string) string { return strings.ReplaceAll(status, "/", "") },
		"lines": func(xs []string) string { return strings.Join(xs, "\n") },
	}).Parse(page))
}

// cspHash is the Content-Security-Policy source that allows an inline element
// whose text is text.
func cspHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// reportCSS is report.html's style: a table of checks that becomes stacked rows
// below 720 px, and evidence that wraps anywhere (long base64 and hex included)
// instead of widening its column.
const reportCSS = `
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1em 1.5em 3em;max-width:110em;color:#1f2328;background:#fff}
h1{font-size:1.45em;margin:.2em 0 .4em;overflow-wrap:anywhere}
h1 .target{font-weight:normal;color:#57606a}
h2{font-size:1.15em;margin:1.4em 0 .5em}
code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.verdict{font-size:1.1em;font-weight:600;margin:.4em 0 .8em;padding:.5em .8em;border-left:6px solid #57606a;background:#f6f8fa;overflow-wrap:anywhere}
.v-PASS{border-color:#1a7f37;color:#1a7f37;background:#eef9f0}
.v-FAIL{border-color:#cf222e;color:#a40e26;background:#fff0f0}
.v-INCOMPLETE,.v-INTERRUPTED{border-color:#bf8700;color:#7d4e00;background:#fff8e5}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2em 1em;margin:0 0 1em}
dl.meta dt{color:#57606a}
dl.meta dd{margin:0;overflow-wrap:anywhere}
.note{background:#fff8e5;border-left:4px solid #bf8700;padding:.4em .7em;margin:.4em 0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #d8dee4;vertical-align:top}
th{font-weight:600;color:#57606a;font-size:.9em}
table.counts{width:auto;min-width:0}
table.counts td,table.counts th{text-align:right;padding:.25em .7em}
table.counts td:first-child,table.counts th:first-child{text-align:left}
#checks{table-layout:fixed}
#checks th.st{width:7.5em}#checks th.id{width:12em}#checks th.lv{width:6.5em}#checks th.sec{width:7.5em}
#checks td{overflow-wrap:anywhere}
#checks td.id{font-weight:600;white-space:nowrap}
#checks td.lv{white-space:nowrap}
#checks tr.r-failed td.st{box-shadow:inset 4px 0 #cf222e}
#checks tr.r-warning td.st{box-shadow:inset 4px 0 #bf8700}
summary{cursor:pointer}
.spec{color:#57606a;font-style:italic;margin:.4em 0}
ul.sc{list-style:none;padding:0;margin:.3em 0}
ul.sc li{padding:.2em 0;border-top:1px dotted #d8dee4}
.feat,.count{color:#57606a;font-size:.9em}
.count{white-space:nowrap}
.reason{color:#57606a}
pre{background:#f6f8fa;border:1px solid #d8dee4;border-radius:4px;padding:.6em;margin:.4em 0;max-width:100%;white-space:pre-wrap;overflow-wrap:anywhere}
.badge{display:inline-block;min-width:5.5em;text-align:center;padding:0 .5em;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap;background:#eaeef2;color:#57606a}
ul.sc .badge{min-width:0}
.b-failed{background:#ffebe9;color:#a40e26}
.b-warning,.b-interrupted{background:#fff8c5;color:#7d4e00}
.b-passed{background:#dafbe1;color:#116329}
.b-expected{background:#eaeef2;color:#57606a;font-style:italic}
#filters{display:flex;flex-wrap:wrap;gap:.5em 1.2em;align-items:center;margin:0 0 .8em;padding:.6em .8em;background:#f6f8fa;border:1px solid #d8dee4;border-radius:6px}
#filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2em .8em;align-items:center}
#filters legend{float:left;margin-right:.4em;color:#57606a;font-weight:600}
#filters label{white-space:nowrap}
#filters input[type=search]{font:inherit;padding:.25em .5em;width:18em;max-width:100%}
#filters select{font:inherit;max-width:100%}
#filters label.search{display:flex;gap:.4em;align-items:center;flex:1 1 18em;min-width:0}
#filters label.search input{flex:1 1 auto;min-width:0}
#shown{color:#57606a}
@media (max-width:720px){
body{padding:.6em .7em 2em}
h1{font-size:1.25em}
dl.meta{grid-template-columns:minmax(0,1fr)}
dl.meta dt{margin-top:.3em}
#checks thead{display:none}
#checks,#checks tbody{display:block}
#checks tr{display:flex;flex-wrap:wrap;align-items:baseline;gap:.1em .6em;padding:.55em 0;border-bottom:1px solid #d8dee4}
#checks td{display:block;border:0;padding:0;min-width:0}
#checks td.sec{color:#57606a}
#checks td.what{flex:1 1 100%;margin-top:.15em}
#checks tr.r-failed td.st,#checks tr.r-warning td.st{box-shadow:none}
#checks tr.r-failed{box-shadow:inset 4px 0 #cf222e;padding-left:.6em}
#checks tr.r-warning{box-shadow:inset 4px 0 #bf8700;padding-left:.6em}
table.counts td,table.counts th{padding:.2em .45em}
}
`

// reportScript is report.html's filter: it shows the filters (hidden for a page
// without JavaScript, where they would do nothing) and hides the rows that do not
// match every one of them.
const reportScript = `
(() => {
  const filters = document.getElementById("filters");
  const rows = [...document.querySelectorAll("#checks tbody tr")];
  const q = document.getElementById("q");
  const feature = document.getElementById("feature");
  const shown = document.getElementById("shown");
  const checked = name => new Set([...filters.querySelectorAll("input[name=" + name + "]:checked")].map(i => i.value));
  const apply = () => {
    const levels = checked("level"), statuses = checked("status"), feat = feature.value;
    const words = q.value.toLowerCase().split(/\s+/).filter(w => w);
    let n = 0;
    for (const r of rows) {
      const text = r.textContent.toLowerCase();
      const ok = levels.has(r.dataset.level) && statuses.has(r.dataset.status) &&
        (!feat || r.dataset.features.split("\n").includes(feat)) && words.every(w => text.includes(w));
      r.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + " of " + rows.length + " checks shown";
  };
  filters.addEventListener("input", apply);
  filters.addEventListener("change", apply);
  filters.hidden = false;
  apply();
})();
`

// reportHTML is report.html's template; reportTemplate puts the policy, the
// style and the script in place of their markers.
const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{/*csp*/}}
<title>renewkit conformance: {{.Target}}: {{.Verdict}}</title>
<style>{{/*css*/}}</style></head><body>
<header>
<h1>renewkit conformance <span class="target">{{.Target}}</span></h1>
<p class="verdict v-{{.Verdict}}">{{.VerdictLine}}</p>
<dl class="meta">
<dt>started</dt><dd>{{.Started.Format "2006-01-02 15:04:05 UTC"}}, {{.Scenarios}} scenarios in {{secs .DurationMS}}</dd>
<dt>renewkit</dt><dd><code>{{.Version.String}}</code></dd>
<dt>SPEC revision</dt><dd>{{.Version.Spec}}</dd>
<dt>command</dt><dd><code>{{.Command}}</code></dd>
<dt>capabilities</dt><dd>{{range $i, $c := .Capabilities}}{{if $i}}, {{end}}{{$c}}{{else}}none{{end}}</dd>
{{if .Attachments}}<dt>attachments</dt><dd>{{range $i, $a := .Attachments}}{{if $i}}, {{end}}<a href="{{$a.Path}}">{{$a.Name}}</a>{{end}}</dd>
{{end}}</dl>
</header>
{{range .Incomplete}}<p class="note">not run: <b>{{.ID}}</b> ({{.Scenarios}} of {{.Of}} scenarios): {{.Reason}}; to run it: {{.Fix}}</p>
{{end}}{{if .Fixed}}<p class="note">listed as known failures but passing (remove them from the expectations): {{range $i, $f := .Fixed}}{{if $i}}, {{end}}{{$f}}{{end}}</p>
{{end}}<table class="counts"><thead><tr><th>level</th><th>checks</th><th>passed</th><th>failed</th><th>n/a</th><th>expected</th></tr></thead><tbody>
{{range .Counts}}<tr><td>{{upper .Level}}</td><td>{{.Checks}}</td><td>{{.Passed}}</td><td>{{.Failed}}</td><td>{{.NotApplicable}}</td><td>{{.ExpectedFailures}}</td></tr>
{{end}}</tbody></table>
<h2>Checks</h2>
<div id="filters" hidden>
<label class="search">search <input type="search" id="q" placeholder="id, title, scenario, evidence" autocomplete="off"></label>
<fieldset><legend>level</legend>{{range .Levels}}<label><input type="checkbox" name="level" value="{{.Value}}" checked> {{.Label}} <span class="count">{{.N}}</span></label>{{end}}</fieldset>
<fieldset><legend>status</legend>{{range .Statuses}}<label><input type="checkbox" name="status" value="{{.Value}}" checked> {{.Label}} <span class="count">{{.N}}</span></label>{{end}}</fieldset>
<label>feature <select id="feature"><option value="">all</option>{{range .Features}}<option>{{.}}</option>{{end}}</select></label>
<output id="shown"></output>
</div>
<table id="checks"><thead><tr><th class="st">status</th><th class="id">check</th><th class="lv">level</th><th class="sec">SPEC</th><th>what, and each scenario</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="r-{{cls .Status}}" data-level="{{.Level}}" data-status="{{.Status}}" data-features="{{lines .Features}}">
<td class="st"><span class="badge b-{{cls .Status}}">{{.Status}}</span></td><td class="id">{{.ID}}</td><td class="lv">{{upper .Level}}</td><td class="sec">{{.Section}}</td>
<td class="what"><details{{if .Open}} open{{end}}><summary>{{.Title}} <span class="count">({{len .Scenarios}} {{if eq (len .Scenarios) 1}}scenario{{else}}scenarios{{end}})</span></summary>
<p class="spec">{{.Spec}}</p>
{{if .Expected}}<p class="note">listed in the expectations{{if .ExpectReason}}: {{.ExpectReason}}{{end}}{{if eq .Status "passed"}}; it passes, so remove it from there{{end}}</p>
{{end}}<ul class="sc">
{{range .Scenarios}}<li><span class="badge b-{{cls .Status}}">{{.Status}}</span> {{.Name}} <span class="feat">{{.Feature}}</span>
{{if .Reason}}<div class="reason">{{.Reason}}</div>{{end}}{{if .Evidence}}<pre>{{.Evidence}}</pre>{{end}}</li>
{{end}}</ul></details></td></tr>
{{end}}</tbody></table>
<script>{{/*script*/}}</script>
</body></html>
`
