package conform

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// junitOutcomes are the three runs of the fixture's plan the JUnit tests compare.
var junitOutcomes = []string{outcomePass, outcomeFail, outcomeInterrupted}

func junitBytes(tb testing.TB, s *Summary) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := s.WriteJUnit(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// junitCaseView is a testcase with the suite it is in, as a CI system sees it.
type junitCaseView struct {
	Suite string
	junitCase
}

// Key is what identifies the testcase between runs.
func (c junitCaseView) Key() string { return c.Suite + " / " + c.Classname + " / " + c.Name }

func (c junitCaseView) property(name string) (string, bool) {
	i := slices.IndexFunc(c.Properties, func(p junitProperty) bool { return p.Name == name })
	if i < 0 {
		return "", false
	}
	return c.Properties[i].Value, true
}

// junitCases decodes junit.xml into its testcases.
func junitCases(tb testing.TB, data []byte) ([]junitSuite, []junitCaseView) {
	tb.Helper()
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("junit.xml does not parse: %v\n%s", err, data)
	}
	var out []junitCaseView
	for _, su := range doc.Suites {
		for _, c := range su.Cases {
			out = append(out, junitCaseView{su.Name, c})
		}
	}
	return doc.Suites, out
}

// TestReportJUnitTestcasesAreThePlan: a passing run, a run with MUST failures,
// SHOULD warnings, an expected failure and an invariant breach, and an
// interrupted run of the same selection have the same testcases (a CI system
// compares runs by them), with names unique in their suite; only the MUST
// failures are <failure>s; the SHOULD warnings pass with the warning in a
// property and in system-out; n/a, expected, not-reached and cut-short outcomes
// are <skipped> with their reason; what passed before an interruption passes.
func TestReportJUnitTestcasesAreThePlan(t *testing.T) {
	t.Parallel()
	keys := map[string][]string{}
	cases := map[string]map[string]junitCaseView{}
	for _, outcome := range junitOutcomes {
		_, cs := junitCases(t, junitBytes(t, reportFixture(t, outcome)))
		cases[outcome] = map[string]junitCaseView{}
		for _, c := range cs {
			if _, dup := cases[outcome][c.Key()]; dup {
				t.Errorf("%s run: testcase %q twice in its suite", outcome, c.Key())
			}
			cases[outcome][c.Key()] = c
			keys[outcome] = append(keys[outcome], c.Key())
		}
		slices.Sort(keys[outcome])
	}
	// 12 scenarios, 5 error-code sub-checks (REG-003, RNW-004 twice, PRF-010,
	// SES-004), 5 invariants over the whole run.
	if n := len(keys[outcomePass]); n != 22 {
		t.Fatalf("passing run: %d testcases, want 22:\n%s", n, strings.Join(keys[outcomePass], "\n"))
	}
	for _, outcome := range junitOutcomes[1:] {
		if !slices.Equal(keys[outcome], keys[outcomePass]) {
			t.Errorf("%s run's testcases differ from the passing run's:\n got %q\nwant %q", outcome, keys[outcome], keys[outcomePass])
		}
	}

	const (
		reg  = "registration.feature / registration / "
		rnw  = "renewal.feature / renewal / "
		prf  = "proofs.feature / proofs / "
		ses  = "sessions.feature / sessions / "
		inv  = "every feature / invariants / "
		row1 = "[RNW-004] [must] a renewal with a wrong old passcode is refused"
	)
	fail := cases[outcomeFail]
	wantFailures := []string{
		reg + "[REG-001] [must] registration by user id",
		rnw + row1,
		prf + "[PRF-006] [must] an m1 with an extra leading 0x00 is accepted in the renewal flow",
		inv + "[INV-005] [must] every exchange of the run",
	}
	var failures []string
	for _, k := range keys[outcomeFail] {
		if c := fail[k]; c.Failure != nil {
			failures = append(failures, k)
			if strings.Contains(c.Name, "[should]") {
				t.Errorf("a SHOULD check is a <failure>: %s", k)
			}
		}
	}
	slices.Sort(wantFailures)
	if !slices.Equal(failures, wantFailures) {
		t.Errorf("failing run: failures\n %q\nwant\n %q", failures, wantFailures)
	}
	for _, k := range []string{reg + "[REG-005] [should] ids are 26-character IDs", rnw + "[RNW-004.code] [should] a renewal with a wrong old passcode is refused (#2)"} {
		c, ok := fail[k]
		if !ok {
			t.Errorf("failing run: no testcase %s", k)
			continue
		}
		warning, has := c.property("renewkit.warning")
		if c.Failure != nil || c.Skipped != nil || !has || warning == "" || !strings.HasPrefix(c.SystemOut, "WARNING (SHOULD") {
			t.Errorf("SHOULD warning %s: failure %v, skipped %v, property %q (%v), system-out %.60q; want a passing testcase with the warning in a property and system-out",
				k, c.Failure, c.Skipped, warning, has, c.SystemOut)
		}
	}
	for k, want := range map[string]string{
		ses + "[SES-004] [must] an expired session is not found":                                         "expected failure: our sessions live 5 minutes",
		prf + "[PRF-010] [may] the proofs of the authentication flow follow the rfc2945 profile":         "not applicable: the target does not offer @rfc2945",
		prf + "[PRF-010.code] [should] the proofs of the authentication flow follow the rfc2945 profile": "not applicable: the target does not offer @rfc2945",
		"admin.feature / admin / [ADM-001] [may] create a user":                                          "not applicable: the target does not offer @admin",
		rnw + "[RNW-004.code] [should] a renewal with a wrong old passcode is refused":                   "not reached",
	} {
		if c := fail[k]; c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, want) {
			t.Errorf("failing run: %s: skipped %+v, want skipped with %q", k, c.Skipped, want)
		}
	}
	// An interrupted run fails nothing: what passed before the signal passes
	// (it did check the server), what was cut short or never started is skipped
	// as interrupted, and the n/a scenarios keep their reason.
	cut := cases[outcomeInterrupted]
	passedBeforeSignal := []string{
		reg + "[REG-001] [must] registration by user id",
		reg + "[REG-003] [must] registration of a user who has a passcode is refused",
		reg + "[REG-003.code] [should] registration of a user who has a passcode is refused",
	}
	for _, k := range keys[outcomeInterrupted] {
		c := cut[k]
		switch {
		case c.Failure != nil:
			t.Errorf("interrupted run: %s is a <failure>", k)
		case slices.Contains(passedBeforeSignal, k):
			if c.Skipped != nil {
				t.Errorf("interrupted run: %s passed before the signal, but is skipped: %+v", k, c.Skipped)
			}
		case c.Skipped == nil:
			t.Errorf("interrupted run: %s neither ran nor is skipped", k)
		case strings.Contains(k, "[PRF-010") || strings.Contains(k, "[ADM-001]"):
			if !strings.HasPrefix(c.Skipped.Message, "not applicable: ") {
				t.Errorf("interrupted run: %s skipped with %q, want its n/a reason", k, c.Skipped.Message)
			}
		case c.Skipped.Message != interruptedMessage:
			t.Errorf("interrupted run: %s skipped with %q, want %q", k, c.Skipped.Message, interruptedMessage)
		}
	}
}

// TestReportJUnitSuiteProperties: every suite says the verdict, the target, the
// renewkit version, the SPEC revision and the command line, shell-quoted.
func TestReportJUnitSuiteProperties(t *testing.T) {
	t.Parallel()
	for outcome, verdict := range map[string]string{outcomePass: VerdictPass, outcomeFail: VerdictFail, outcomeInterrupted: VerdictInterrupted} {
		suites, _ := junitCases(t, junitBytes(t, reportFixture(t, outcome)))
		want := []junitProperty{
			{"renewkit.verdict", verdict}, {"renewkit.target", "fixture server"},
			{"renewkit.version", "renewkit v0.9.0 (0123456789ab) SPEC 2026-12-02 go1.26.8"}, {"renewkit.spec", "2026-12-02"},
			{"renewkit.command", `bin/renewkit conform --target http://127.0.0.1:8080 --tags '@must or @should' --expect 'known failures.txt'`},
		}
		if len(suites) != 6 {
			t.Errorf("%s run: %d suites, want 6 (5 features, every feature)", outcome, len(suites))
		}
		for _, su := range suites {
			if !slices.Equal(su.Properties, want) {
				t.Errorf("%s run: suite %s properties\n %q\nwant\n %q", outcome, su.Name, su.Properties, want)
			}
		}
	}
}

// TestReportJUnitSchema: junit.xml has the shape of the JUnit schema CI
// reporters read (checkJUnitSchema) for every outcome, a run cut short before its
// first scenario, and evidence with bytes XML does not allow in a document.
func TestReportJUnitSchema(t *testing.T) {
	t.Parallel()
	hostile := reportFixture(t, outcomeFail)
	for i := range hostile.Checks {
		for j := range hostile.Checks[i].Scenarios {
			sr := &hostile.Checks[i].Scenarios[j]
			if sr.Evidence != "" {
				sr.Evidence += "\n< {\"code\":\"\x00\x1b[31mINVALID\xff\xfe]]><x/>\"}"
			}
		}
	}
	for name, s := range map[string]*Summary{
		outcomePass: reportFixture(t, outcomePass), outcomeFail: reportFixture(t, outcomeFail),
		outcomeInterrupted:          reportFixture(t, outcomeInterrupted),
		"before the first scenario": InterruptedBeforeRun("fixture server", []string{"renewkit", "conform"}),
		"hostile evidence":          hostile,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := junitBytes(t, s)
			if err := checkJUnitSchema(data); err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
		})
	}
	_, cs := junitCases(t, junitBytes(t, hostile))
	i := slices.IndexFunc(cs, func(c junitCaseView) bool { return c.Failure != nil && strings.Contains(c.Failure.Text, "INVALID") })
	if i < 0 || !strings.Contains(cs[i].Failure.Text, `\x00\x1b[31mINVALID`) || !strings.Contains(cs[i].Failure.Text, "]]><x/>") {
		t.Errorf("hostile evidence: the control characters are not shown as \\xHH, or the text is lost")
	}
}

// junitElement is what the JUnit schema allows of one element: its attributes
// (name to kind, "!" in front when required) and its children, in order, each
// group at most once unless many.
type junitElement struct {
	attrs    map[string]string
	children []junitGroup
	text     bool
}

type junitGroup struct {
	names []string
	many  bool
}

// junitSchema is the JUnit XML shape of Ant's schema as Jenkins, GitLab and
// GitHub's test reporters read it, plus the testcase <properties> that Jenkins
// and GitHub's reporters read (GitLab ignores them).
var junitSchema = map[string]junitElement{
	"testsuites": {attrs: map[string]string{"name": "string", "tests": "!int", "failures": "!int", "errors": "int", "skipped": "int", "disabled": "int", "time": "decimal"},
		children: []junitGroup{{[]string{"testsuite"}, true}}},
	"testsuite": {attrs: map[string]string{"name": "!string", "tests": "!int", "failures": "!int", "errors": "!int", "skipped": "int", "disabled": "int",
		"time": "!decimal", "timestamp": "timestamp", "hostname": "string", "id": "string", "package": "string"},
		children: []junitGroup{{[]string{"properties"}, false}, {[]string{"testcase"}, true}, {[]string{"system-out"}, false}, {[]string{"system-err"}, false}}},
	"properties": {children: []junitGroup{{[]string{"property"}, true}}},
	"property":   {attrs: map[string]string{"name": "!string", "value": "!string"}},
	"testcase": {attrs: map[string]string{"name": "!string", "classname": "!string", "time": "!decimal", "assertions": "int", "status": "string"},
		children: []junitGroup{{[]string{"properties"}, false}, {[]string{"skipped", "failure", "error"}, false}, {[]string{"system-out"}, false}, {[]string{"system-err"}, false}}},
	"skipped":    {attrs: map[string]string{"message": "string"}, text: true},
	"failure":    {attrs: map[string]string{"message": "string", "type": "string"}, text: true},
	"error":      {attrs: map[string]string{"message": "string", "type": "string"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

var junitKinds = map[string]*regexp.Regexp{
	"string":    regexp.MustCompile(`(?s)^.*$`),
	"int":       regexp.MustCompile(`^(0|[1-9][0-9]*)$`),
	"decimal":   regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`),
	"timestamp": regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`),
}

// xmlNode is an element of a parsed document.
type xmlNode struct {
	name  string
	attrs map[string]string
	kids  []*xmlNode
	text  strings.Builder
}

// checkJUnitSchema parses data strictly (well-formed, UTF-8, one root, no
// namespaces, comments or directives) and checks it against junitSchema: known
// elements only, in the schema's order, known attributes of the right kind, the
// required ones present, and every count (tests, failures, errors, skipped) equal
// to the testcases it counts.
func checkJUnitSchema(data []byte) error {
	if !bytes.HasPrefix(data, []byte(xml.Header)) {
		return errors.New("no XML declaration")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *xmlNode
	var stack []*xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != "" {
				return fmt.Errorf("element %s in namespace %s", tok.Name.Local, tok.Name.Space)
			}
			n := &xmlNode{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				if _, dup := n.attrs[a.Name.Local]; dup || a.Name.Space != "" {
					return fmt.Errorf("<%s>: attribute %s twice or namespaced", n.name, a.Name.Local)
				}
				n.attrs[a.Name.Local] = a.Value
			}
			switch {
			case len(stack) > 0:
				stack[len(stack)-1].kids = append(stack[len(stack)-1].kids, n)
			case root != nil:
				return errors.New("two root elements")
			default:
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			} else if len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("text outside the root element")
			}
		case xml.ProcInst:
			if tok.Target != "xml" {
				return fmt.Errorf("processing instruction %s", tok.Target)
			}
		default:
			return fmt.Errorf("unexpected %T", tok)
		}
	}
	if root == nil || root.name != "testsuites" {
		return errors.New("the root is not <testsuites>")
	}
	if err := checkJUnitNode(root); err != nil {
		return err
	}
	return checkJUnitCounts(root)
}

func checkJUnitNode(n *xmlNode) error {
	el, ok := junitSchema[n.name]
	if !ok {
		return fmt.Errorf("unknown element <%s>", n.name)
	}
	for a, v := range n.attrs {
		kind, ok := el.attrs[a]
		if !ok {
			return fmt.Errorf("<%s>: unknown attribute %s", n.name, a)
		}
		if !junitKinds[strings.TrimPrefix(kind, "!")].MatchString(v) {
			return fmt.Errorf("<%s %s=%q>: not a %s", n.name, a, v, strings.TrimPrefix(kind, "!"))
		}
	}
	for a, kind := range el.attrs {
		if _, ok := n.attrs[a]; !ok && strings.HasPrefix(kind, "!") {
			return fmt.Errorf("<%s name=%q>: no %s attribute", n.name, n.attrs["name"], a)
		}
	}
	if !el.text && strings.TrimSpace(n.text.String()) != "" {
		return fmt.Errorf("<%s>: text where the schema has none: %.40q", n.name, n.text.String())
	}
	g, seen := 0, 0
	for _, k := range n.kids {
		for g < len(el.children) && !slices.Contains(el.children[g].names, k.name) {
			g, seen = g+1, 0
		}
		if g == len(el.children) {
			return fmt.Errorf("<%s name=%q>: <%s> is not allowed there (unknown, or out of order)", n.name, n.attrs["name"], k.name)
		}
		if seen++; seen > 1 && !el.children[g].many {
			return fmt.Errorf("<%s name=%q>: more than one of %v", n.name, n.attrs["name"], el.children[g].names)
		}
		if err := checkJUnitNode(k); err != nil {
			return err
		}
	}
	if n.name == "testsuites" && len(n.kids) == 0 {
		return errors.New("<testsuites> without a <testsuite>")
	}
	return nil
}

// checkJUnitCounts checks the counts of every suite, and of the root, against
// the testcases.
func checkJUnitCounts(root *xmlNode) error {
	total := map[string]int{}
	for _, su := range root.kids {
		got := map[string]int{}
		for _, tc := range su.kids {
			if tc.name != "testcase" {
				continue
			}
			got["tests"]++
			for _, r := range tc.kids {
				switch r.name {
				case "failure":
					got["failures"]++
				case "error":
					got["errors"]++
				case "skipped":
					got["skipped"]++
				}
			}
		}
		for _, a := range []string{"tests", "failures", "errors", "skipped"} {
			if v := su.attrs[a]; v != "" && v != fmt.Sprint(got[a]) {
				return fmt.Errorf("suite %q: %s=%s, but %d testcases say so", su.attrs["name"], a, v, got[a])
			}
			total[a] += got[a]
		}
	}
	for _, a := range []string{"tests", "failures", "errors", "skipped"} {
		if v := root.attrs[a]; v != "" && v != fmt.Sprint(total[a]) {
			return fmt.Errorf("<testsuites>: %s=%s, but the suites add up to %d", a, v, total[a])
		}
	}
	return nil
}

// junitparserScript reads junit.xml with junitparser (Debian's
// python3-junitparser) and prints what it understood.
const junitparserScript = `
import json, sys
from junitparser import JUnitXml
out = []
for suite in JUnitXml.fromfile(sys.argv[1]):
    cases = []
    for c in suite:
        res = c.result if isinstance(c.result, list) else ([c.result] if c.result else [])
        cases.append({"name": c.name, "classname": c.classname, "time": c.time,
                      "results": [type(r).__name__ for r in res], "systemOut": c.system_out or ""})
    out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                "skipped": suite.skipped, "errors": suite.errors,
                "properties": {p.name: p.value for p in suite.properties()}, "cases": cases})
json.dump(out, sys.stdout)
`

// junitparserPython finds a Python that has junitparser.
func junitparserPython() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(py); err == nil && exec.Command(p, "-c", "import junitparser").Run() == nil {
			return p
		}
	}
	return ""
}

// TestReportJUnitReadByJunitparser: a JUnit reader that CI tooling uses
// (junitparser) reads junit.xml as the suite means it: the same suites, counts,
// properties and testcases, failures only for the MUST failures, the SHOULD
// warnings in system-out.
func TestReportJUnitReadByJunitparser(t *testing.T) {
	t.Parallel()
	py := junitparserPython()
	if py == "" {
		t.Skip("junitparser test skipped: no python3 with junitparser (apt-get install -y python3-junitparser)")
	}
	for _, outcome := range junitOutcomes {
		t.Run(outcome, func(t *testing.T) {
			t.Parallel()
			data := junitBytes(t, reportFixture(t, outcome))
			path := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, "-c", junitparserScript, path).Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("junitparser: %v\n%s", err, ee.Stderr)
				}
				t.Fatal(err)
			}
			type jpCase struct {
				Name, Classname, SystemOut string
				Time                       float64
				Results                    []string
			}
			var read []struct {
				Name                             string
				Tests, Failures, Skipped, Errors int
				Properties                       map[string]string
				Cases                            []jpCase
			}
			if err := json.Unmarshal(out, &read); err != nil {
				t.Fatalf("junitparser's output: %v\n%s", err, out)
			}
			suites, _ := junitCases(t, data)
			if len(read) != len(suites) {
				t.Fatalf("junitparser read %d suites, want %d", len(read), len(suites))
			}
			for i, su := range suites {
				r := read[i]
				if r.Name != su.Name || r.Tests != su.Tests || r.Failures != su.Failures || r.Skipped != su.Skipped || r.Errors != 0 {
					t.Errorf("suite %d: junitparser read %s tests=%d failures=%d skipped=%d errors=%d, want %s %d %d %d 0",
						i, r.Name, r.Tests, r.Failures, r.Skipped, r.Errors, su.Name, su.Tests, su.Failures, su.Skipped)
				}
				for _, p := range su.Properties {
					if r.Properties[p.Name] != p.Value {
						t.Errorf("suite %s: junitparser read property %s = %q, want %q", su.Name, p.Name, r.Properties[p.Name], p.Value)
					}
				}
				if len(r.Cases) != len(su.Cases) {
					t.Fatalf("suite %s: junitparser read %d testcases, want %d", su.Name, len(r.Cases), len(su.Cases))
				}
				for j, c := range su.Cases {
					want := []string{}
					switch {
					case c.Failure != nil:
						want = []string{"Failure"}
					case c.Skipped != nil:
						want = []string{"Skipped"}
					}
					got := r.Cases[j]
					if got.Name != c.Name || got.Classname != c.Classname || !slices.Equal(got.Results, want) || got.SystemOut != c.SystemOut {
						t.Errorf("testcase %s: junitparser read %+v, want results %v and system-out %.40q", c.Name, got, want, c.SystemOut)
					}
				}
			}
		})
	}
}

// TestShellJoin: the command line in the reports is one a shell takes back as it
// was.
func TestShellJoin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plain words", []string{"bin/renewkit", "conform", "--report-dir", "reports/conform", "--concurrency=4"}, "bin/renewkit conform --report-dir reports/conform --concurrency=4"},
		{"spaces and parentheses", []string{"renewkit", "--tags", "(@RNW-004 or @RNW-006) and @must"}, "renewkit --tags '(@RNW-004 or @RNW-006) and @must'"},
		{"a quote", []string{"renewkit", "--name", "the guide's flow"}, `renewkit --name 'the guide'\''s flow'`},
		{"an empty word", []string{"renewkit", "--report-dir", ""}, "renewkit --report-dir ''"},
		{"shell characters", []string{"x", "$HOME", "a*b", "~", "a;b", "^x$"}, `x '$HOME' 'a*b' '~' 'a;b' '^x$'`},
		{"a first word with =", []string{"A=b", "c=d"}, "'A=b' c=d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := shellJoin(tc.args); got != tc.want {
				t.Errorf("shellJoin(%q) = %s, want %s", tc.args, got, tc.want)
			}
			sh, err := exec.LookPath("sh")
			if err != nil {
				return
			}
			// The line as a shell takes it back: each word in brackets.
			got, err := exec.Command(sh, "-c", `f() { for a in "$@"; do printf '[%s]' "$a"; done; }; f `+tc.want).Output()
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			for _, a := range tc.args {
				want += "[" + a + "]"
			}
			if string(got) != want {
				t.Errorf("sh takes %s back as %s, want %s", tc.want, got, want)
			}
		})
	}
}
