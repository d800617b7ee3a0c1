package conform

import (
	"bytes"
	"encoding/xml"
	"slices"
	"testing"

	"github.com/seedb14f67b8/renewkit/steps"
)

// junitDoc is the part of junit.xml a CI system compares between runs.
type junitDoc struct {
	Suites []struct {
		Name       string          `xml:"name,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []struct {
			Name      string        `xml:"name,attr"`
			Failure   *junitFailure `xml:"failure"`
			Skipped   *junitSkipped `xml:"skipped"`
			SystemOut string        `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func junitOf(t *testing.T, s *Summary) junitDoc {
	t.Helper()
	var b bytes.Buffer
	if err := s.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b.String())
	}
	return d
}

// TestJUnitTestcasesDoNotDependOnTheOutcome: the same selection gives the same
// testcase names whether everything passed, checks failed before reaching their
// error code, SHOULD checks warned, an invariant broke, or the run was cut short;
// names are unique; a SHOULD warning is no <failure>.
func TestJUnitTestcasesDoNotDependOnTheOutcome(t *testing.T) {
	planned := []plannedCase{
		{ID: "RNW-004", Level: steps.Must, Name: "a wrong proof", Feature: "renewal.feature", HasCode: true},
		{ID: "RNW-004", Level: steps.Must, Name: "a wrong proof", Feature: "renewal.feature", HasCode: true}, // an outline's repeated row
		{ID: "RNW-001", Level: steps.Must, Name: "the guide's flow", Feature: "renewal.feature"},
		{ID: "REG-005", Level: steps.Should, Name: "ids", Feature: "registration.feature"},
	}
	passed := func(id string, lvl steps.Level, name, feat string) ScenarioResult {
		return ScenarioResult{ID: id, Level: lvl, Name: name, Feature: feat, Status: steps.StatusPassed}
	}
	failed := func(sr ScenarioResult) ScenarioResult {
		sr.Status, sr.Problem, sr.Evidence = steps.StatusFailed, "wrong", "evidence"
		return sr
	}
	inv := CheckResult{Check: steps.Check{ID: "INV-001", Level: steps.Must}, Scenarios: []ScenarioResult{
		{ID: "INV-001", Level: steps.Must, Status: steps.StatusPassed, Feature: "every feature", Name: "every exchange of the run (10 exchanges in 4 scenarios)"}}}

	good := &Summary{Verdict: VerdictPass, planned: planned, Checks: []CheckResult{
		{Check: steps.Check{ID: "REG-005", Level: steps.Should}, Scenarios: []ScenarioResult{passed("REG-005", steps.Should, "ids", "registration.feature")}},
		{Check: steps.Check{ID: "RNW-001", Level: steps.Must}, Scenarios: []ScenarioResult{passed("RNW-001", steps.Must, "the guide's flow", "renewal.feature")}},
		{Check: steps.Check{ID: "RNW-004", Level: steps.Must}, Scenarios: []ScenarioResult{passed("RNW-004", steps.Must, "a wrong proof", "renewal.feature"), passed("RNW-004", steps.Must, "a wrong proof", "renewal.feature")}},
		{Check: steps.Check{ID: "RNW-004.code", Level: steps.Should}, Scenarios: []ScenarioResult{passed("RNW-004.code", steps.Should, "a wrong proof", "renewal.feature"), passed("RNW-004.code", steps.Should, "a wrong proof", "renewal.feature")}},
		inv,
	}}
	badInv := inv
	badInv.Scenarios = append([]ScenarioResult{failed(ScenarioResult{ID: "INV-001", Level: steps.Must, Name: "the guide's flow", Feature: "renewal.feature"})}, inv.Scenarios[1:]...)
	bad := &Summary{Verdict: VerdictFail, planned: planned, Checks: []CheckResult{
		{Check: steps.Check{ID: "REG-005", Level: steps.Should}, Scenarios: []ScenarioResult{failed(passed("REG-005", steps.Should, "ids", "registration.feature"))}},
		{Check: steps.Check{ID: "RNW-001", Level: steps.Must}, Scenarios: []ScenarioResult{failed(passed("RNW-001", steps.Must, "the guide's flow", "renewal.feature"))}},
		// The first row failed before its code was checked; the second row's code was wrong.
		{Check: steps.Check{ID: "RNW-004", Level: steps.Must}, Scenarios: []ScenarioResult{failed(passed("RNW-004", steps.Must, "a wrong proof", "renewal.feature")), passed("RNW-004", steps.Must, "a wrong proof", "renewal.feature")}},
		{Check: steps.Check{ID: "RNW-004.code", Level: steps.Should}, Scenarios: []ScenarioResult{failed(passed("RNW-004.code", steps.Should, "a wrong proof", "renewal.feature"))}},
		badInv,
	}}
	cut := &Summary{Verdict: VerdictInterrupted, Interrupted: true, planned: planned, Checks: []CheckResult{
		{Check: steps.Check{ID: "RNW-001", Level: steps.Must}, Scenarios: []ScenarioResult{failed(passed("RNW-001", steps.Must, "the guide's flow", "renewal.feature"))}},
	}}

	names := func(d junitDoc) []string {
		var out []string
		for _, su := range d.Suites {
			for _, c := range su.Cases {
				out = append(out, su.Name+" / "+c.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	g, b, c := junitOf(t, good), junitOf(t, bad), junitOf(t, cut)
	want := names(g)
	if len(want) != 11 {
		t.Fatalf("passing run: %d testcases, want 11 (2+2 RNW-004, RNW-001, REG-005, INV-001..005): %q", len(want), want)
	}
	if got := names(b); !slices.Equal(got, want) {
		t.Errorf("failing run's testcases differ:\n got %q\nwant %q", got, want)
	}
	if got := names(c); !slices.Equal(got, want) {
		t.Errorf("interrupted run's testcases differ:\n got %q\nwant %q", got, want)
	}
	if len(slices.Compact(slices.Clone(want))) != len(want) {
		t.Errorf("testcase names are not unique: %q", want)
	}
	failures := map[string]bool{}
	for _, su := range b.Suites {
		for _, cs := range su.Cases {
			if cs.Failure != nil {
				failures[cs.Name] = true
			}
			if cs.Name == "[REG-005] [should] ids" && (cs.Failure != nil || cs.SystemOut == "") {
				t.Errorf("a SHOULD warning: failure %v, system-out %q; want no failure and the warning in system-out", cs.Failure, cs.SystemOut)
			}
		}
	}
	for _, n := range []string{"[RNW-001] [must] the guide's flow", "[RNW-004] [must] a wrong proof", "[INV-001] [must] every exchange of the run"} {
		if !failures[n] {
			t.Errorf("failing run: %q is not a failure (failures: %v)", n, failures)
		}
	}
	if len(failures) != 3 {
		t.Errorf("failing run: failures %v, want exactly the three MUST ones", failures)
	}
	for _, su := range c.Suites {
		for _, cs := range su.Cases {
			if cs.Failure != nil || cs.Skipped == nil {
				t.Errorf("interrupted run: %q is not skipped", cs.Name)
			}
		}
		if !slices.Contains(su.Properties, junitProperty{"renewkit.verdict", VerdictInterrupted}) {
			t.Errorf("interrupted run: suite %s properties %v lack the verdict", su.Name, su.Properties)
		}
	}
}
