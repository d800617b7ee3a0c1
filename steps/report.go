package steps

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/invariant"
	"github.com/seedb14f67b8/renewkit/version"
)

// ScenarioResult is the outcome of one scenario (one row of an outline) as the
// reports carry it. For an error-code sub-check, Problem and Evidence are the code's.
type ScenarioResult struct {
	ID      string `json:"id"`
	Level   Level  `json:"level"`
	Name    string `json:"name"`
	Feature string `json:"feature"`
	Status  string `json:"status"`
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
}

// CheckResult is the outcome of one check id over all its scenarios: failed if any
// failed, else passed if any passed, else not applicable.
type CheckResult struct {
	Check
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
	Version      version.Info          `json:"version"`
	Command      []string              `json:"command"`
	Target       string                `json:"target"`
	Capabilities []string              `json:"capabilities"`
	Started      time.Time             `json:"started"`
	DurationMS   float64               `json:"durationMs"`
	Counts       map[Level]LevelCounts `json:"counts"`
	Checks       []CheckResult         `json:"checks"`
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
	Level             Level
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
func summarize(o Options, plan *Plan, results *collector, expect Expectations, started time.Time, elapsed time.Duration, interrupted bool) *Summary {
	unrun := map[string]*Unrun{}
	sum := &Summary{
		Interrupted: interrupted,
		Incomplete:  []Unrun{},
		Target:      o.Target.Label(),
		Started:     started.UTC(),
		Counts:      map[Level]LevelCounts{},
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
			c, found := lookupCheck(id)
			if !found {
				// A check outside SPEC.md (features/process.feature): its scenario
				// names it.
				c = Check{ID: id, Level: sr.Level, Section: "outside SPEC.md", Title: sr.Name, Spec: "see " + sr.Feature}
			}
			cr = &CheckResult{Check: c}
			byID[id] = cr
			order = append(order, id)
		}
		cr.Scenarios = append(cr.Scenarios, sr)
	}
	for _, p := range plan.Scenarios {
		if results.name != nil && !results.name.MatchString(p.Name) {
			continue
		}
		sum.planned = append(sum.planned, plannedCase{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature, HasCode: p.namesCode})
		sr := ScenarioResult{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature,
			Rerun: rerunCommands(o.Rerun, o.RerunImage, p.Name, p.ID)}
		if len(p.Missing) > 0 {
			sr.Status, sr.Reason = StatusNotApplicable, p.reason()
			noteUnrun(unrun, p, "")
			add(p.ID, sr)
			sum.Scenarios++
			continue
		}
		rec := results.get(p.pickleID)
		if rec == nil || rec.Status == "" {
			continue // not run (go test -run), or it did not finish
		}
		rec.mu.Lock()
		sr.Status, sr.Reason, sr.Step, sr.Problem, sr.Evidence, sr.Diagnosis = rec.Status, rec.Reason, rec.Step, rec.Problem, rec.Message, rec.Diag
		sr.DurationMS = float64(rec.Duration.Microseconds()) / 1000
		code := rec.Code
		rec.mu.Unlock()
		if sr.Status != StatusFailed {
			sr.Step, sr.Problem, sr.Evidence = "", "", ""
		}
		if sr.Status == StatusNotApplicable {
			noteUnrun(unrun, p, sr.Reason)
		}
		add(p.ID, sr)
		sum.Scenarios++
		if code != nil {
			cs := ScenarioResult{ID: p.ID + CodeSuffix, Level: Should, Name: p.Name, Feature: p.Feature,
				Status: StatusPassed, Rerun: sr.Rerun, DurationMS: sr.DurationMS}
			if !code.Passed {
				cs.Status, cs.Step, cs.Problem, cs.Evidence = StatusFailed, code.Step, code.Problem, code.Message
			}
			add(p.ID+CodeSuffix, cs)
		}
	}
	invariantResults(o, plan, results, add)
	// Catalogue order, with the code sub-check after its check.
	rank := map[string]int{}
	for i, c := range Catalogue() {
		rank[c.ID] = 2 * i
		rank[c.ID+CodeSuffix] = 2*i + 1
	}
	slices.SortStableFunc(order, func(a, b string) int { return rank[a] - rank[b] })
	for _, id := range order {
		cr := byID[id]
		cr.Status = StatusNotApplicable
		for _, sr := range cr.Scenarios {
			switch {
			case sr.Status == StatusFailed:
				cr.Status = StatusFailed
			case sr.Status == StatusPassed && cr.Status != StatusFailed:
				cr.Status = StatusPassed
			}
		}
		if reason, ok := expect[id]; ok {
			cr.Expected, cr.ExpectReason = true, reason
		}
		lc := sum.Counts[cr.Level]
		lc.Checks++
		switch {
		case cr.Status == StatusFailed && cr.Expected:
			lc.ExpectedFailures++
			sum.ExpectedFailures = append(sum.ExpectedFailures, id)
		case cr.Status == StatusFailed && cr.Level.Gates():
			lc.Failed++
			sum.Failures = append(sum.Failures, id)
		case cr.Status == StatusFailed:
			lc.Failed++
			sum.Warnings = append(sum.Warnings, id)
		case cr.Status == StatusPassed:
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
	for _, l := range []Level{Must, Should, May} {
		c := s.Counts[l]
		fmt.Fprintf(w, "  %-7s %7d %7d %7d %7d %9d\n", strings.ToUpper(string(l)), c.Checks, c.Passed, c.Failed, c.NotApplicable, c.ExpectedFailures)
	}
	show := func(label string, ids []string) {
		for _, id := range ids {
			cr, _ := s.Check(id)
			fmt.Fprintf(w, "\n%s %s [%s] %s (SPEC %s)\n", label, id, cr.Level, cr.Title, cr.Section)
			n := 0
			for _, sr := range cr.Scenarios {
				if sr.Status != StatusFailed {
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
		return fmt.Errorf("steps: report dir: %w", err)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("steps: report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("steps: report: %w", err)
	}
	for name, write := range map[string]func(io.Writer) error{"junit.xml": s.WriteJUnit, "report.html": s.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("steps: report: %w", err)
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("steps: report %s: %w", name, err)
		}
	}
	return nil
}

// JUnit XML types: one testsuite per feature, one testcase per scenario and per
// error-code sub-check. Failed SHOULD checks are failures of type "warning";
// expected failures and not-applicable scenarios are skipped, with the reason.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       float64         `xml:"time,attr"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitCase struct {
	Classname  string          `xml:"classname,attr"`
	Name       string          `xml:"name,attr"`
	Time       float64         `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitFailure   `xml:"failure,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	// SystemOut carries a SHOULD warning: CI test reporters turn any <failure>
	// red, while a SHOULD failure does not fail the run.
	SystemOut string `xml:"system-out,omitempty"`
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
	root := junitSuites{Name: "renewkit conformance: " + s.Target, Time: s.DurationMS / 1000}
	suites := map[string]*junitSuite{}
	var order []string
	names := map[string]map[string]int{}
	suite := func(feature string) *junitSuite {
		js, ok := suites[feature]
		if !ok {
			js = &junitSuite{Name: feature, Properties: s.junitProperties()}
			suites[feature] = js
			order = append(order, feature)
			names[feature] = map[string]int{}
		}
		return js
	}
	addCase := func(feature string, jc junitCase) {
		js := suite(feature)
		if n := names[feature][jc.Name]; n > 0 {
			names[feature][jc.Name] = n + 1
			jc.Name = fmt.Sprintf("%s (#%d)", jc.Name, n+1)
		} else {
			names[feature][jc.Name] = 1
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

	// The results of each scenario, by check id, feature and name, in run order.
	type key struct{ id, feature, name string }
	byKey := map[key][]ScenarioResult{}
	checkOf := map[string]CheckResult{}
	hasCode := map[string]bool{}
	for _, cr := range s.Checks {
		checkOf[cr.ID] = cr
		if id, ok := strings.CutSuffix(cr.ID, CodeSuffix); ok {
			hasCode[id] = true
		}
		for _, sr := range cr.Scenarios {
			k := key{sr.ID, sr.Feature, sr.Name}
			byKey[k] = append(byKey[k], sr)
		}
	}
	take := func(k key) (ScenarioResult, bool) {
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
			if strings.HasPrefix(cr.ID, "INV-") || strings.HasSuffix(cr.ID, CodeSuffix) {
				continue
			}
			for _, sr := range cr.Scenarios {
				planned = append(planned, plannedCase{ID: sr.ID, Level: sr.Level, Name: sr.Name, Feature: sr.Feature})
			}
		}
	}
	for _, p := range planned {
		sr, ok := take(key{p.ID, p.Feature, p.Name})
		if !ok {
			sr = ScenarioResult{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature}
		}
		addCase(p.Feature, s.junitCase(checkOf[p.ID], sr, ok))
		cid := p.ID + CodeSuffix
		csr, cok := take(key{cid, p.Feature, p.Name})
		if !cok && !p.HasCode && !(s.Interrupted && hasCode[p.ID]) {
			// An interrupted run keeps the sub-checks of the scenarios it did
			// not reach where other scenarios of the check had one.
			continue
		}
		if !cok {
			csr = ScenarioResult{ID: cid, Level: Should, Name: p.Name, Feature: p.Feature}
		}
		addCase(p.Feature, s.junitCase(checkOf[cid], csr, cok))
	}
	// One testcase per invariant, over every exchange of the run.
	for _, id := range invariant.IDs() {
		cr := checkOf[id]
		jc := junitCase{Classname: "invariants", Name: fmt.Sprintf("[%s] [%s] every exchange of the run", id, Must)}
		var failing []string
		var evidence strings.Builder
		ran := false
		for _, sr := range cr.Scenarios {
			if sr.Feature != "every feature" {
				if sr.Status != StatusFailed {
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
				Type: string(Must), Text: evidence.String()}
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
		root.Suites = []junitSuite{{Name: "renewkit", Properties: s.junitProperties()}}
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

// junitCase is the testcase of one scenario result of check cr; ran is false for
// a planned scenario (or sub-check) with no result.
func (s *Summary) junitCase(cr CheckResult, sr ScenarioResult, ran bool) junitCase {
	jc := junitCase{Classname: strings.TrimSuffix(sr.Feature, ".feature"),
		Name: fmt.Sprintf("[%s] [%s] %s", sr.ID, sr.Level, sr.Name), Time: sr.DurationMS / 1000}
	switch {
	case !ran && s.Interrupted:
		jc.Skipped = &junitSkipped{Message: interruptedMessage}
	case !ran && strings.HasSuffix(sr.ID, CodeSuffix):
		jc.Skipped = &junitSkipped{Message: "not reached: the scenario ended before its error code was checked"}
	case !ran:
		jc.Skipped = &junitSkipped{Message: "not run"}
	case sr.Status == StatusNotApplicable:
		jc.Skipped = &junitSkipped{Message: sr.Reason}
	case sr.Status == StatusFailed && cr.Expected:
		jc.Skipped = &junitSkipped{Message: "expected failure: " + cr.ExpectReason}
	case sr.Status == StatusFailed && s.Interrupted:
		jc.Skipped = &junitSkipped{Message: interruptedMessage}
	case sr.Status == StatusFailed && !sr.Level.Gates():
		jc.Properties = []junitProperty{{"renewkit.warning", sr.Problem}}
		jc.SystemOut = "WARNING (SHOULD, does not fail the run): " + sr.Problem + "\n\n" + sr.Evidence
	case sr.Status == StatusFailed:
		jc.Failure = &junitFailure{Message: sr.Problem, Type: string(sr.Level), Text: sr.Evidence}
	}
	return jc
}

// shellJoin is a command line as a shell would take it back.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// WriteHTML writes a self-contained HTML report (no external assets).
func (s *Summary) WriteHTML(w io.Writer) error {
	return reportTemplate().Execute(w, s)
}

func reportTemplate() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper": func(l Level) string { return strings.ToUpper(string(l)) },
		"secs":  func(ms float64) string { return fmt.Sprintf("%.1fs", ms/1000) },
	}).Parse(reportHTML))
}

const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>renewkit conformance: {{.Target}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}
.passed{color:#176f2c}.failed{color:#b00020;font-weight:bold}.not-applicable{color:#777}
.warn{color:#a15c00;font-weight:bold}
.verdict-PASS{color:#176f2c;font-weight:bold}.verdict-FAIL{color:#b00020;font-weight:bold}
.verdict-INCOMPLETE,.verdict-INTERRUPTED{color:#a15c00;font-weight:bold}.expected{color:#555;font-style:italic}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
summary{cursor:pointer}
</style></head><body>
<h1>renewkit conformance</h1>
<p>Target <b>{{.Target}}</b> &mdash; {{.Scenarios}} scenarios in {{secs .DurationMS}}, started {{.Started.Format "2006-01-02 15:04:05 UTC"}}.<br>
Capabilities: {{range $i, $c := .Capabilities}}{{if $i}}, {{end}}{{$c}}{{end}}</p>
{{if .Attachments}}<p>Attachments: {{range $i, $a := .Attachments}}{{if $i}}, {{end}}<a href="{{$a.Path}}">{{$a.Name}}</a>{{end}}</p>{{end}}
<p class="verdict-{{.Verdict}}">{{.VerdictLine}}</p>
{{range .Incomplete}}<p class="warn">not run: {{.ID}} ({{.Scenarios}} of {{.Of}} scenarios): {{.Reason}}; to run it: {{.Fix}}</p>
{{end}}
{{if .Fixed}}<p>Listed as known failures but passing (remove them from the expectations): {{range $i, $f := .Fixed}}{{if $i}}, {{end}}{{$f}}{{end}}</p>{{end}}
<table><tr><th>level</th><th>checks</th><th>passed</th><th>failed</th><th>n/a</th><th>expected failures</th></tr>
{{range $l, $c := .Counts}}<tr><td>{{upper $l}}</td><td>{{$c.Checks}}</td><td>{{$c.Passed}}</td><td>{{$c.Failed}}</td><td>{{$c.NotApplicable}}</td><td>{{$c.ExpectedFailures}}</td></tr>
{{end}}</table>
<h2>Checks</h2>
<table><tr><th>id</th><th>level</th><th>SPEC</th><th>check</th><th>status</th></tr>
{{range .Checks}}<tr><td>{{.ID}}</td><td>{{upper .Level}}</td><td>{{.Section}}</td><td>
<details><summary>{{.Title}}</summary><p><i>{{.Spec}}</i></p>
{{range .Scenarios}}<div><span class="{{.Status}}">{{.Status}}</span> {{.Name}} <small>({{.Feature}})</small>
{{if .Reason}}<br><span class="not-applicable">{{.Reason}}</span>{{end}}
{{if .Evidence}}<pre>{{.Evidence}}</pre>{{end}}</div>
{{end}}</details></td>
<td>{{if and (eq .Status "failed") .Expected}}<span class="expected">expected failure</span>{{else if and (eq .Status "failed") (eq .Level "should")}}<span class="warn">warning</span>{{else}}<span class="{{.Status}}">{{.Status}}</span>{{end}}</td></tr>
{{end}}</table>
</body></html>
`
