package conform

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/version"
)

// The verdicts of a run, in the order they win: an interrupted run is no verdict on
// the server at all, a failed MUST check outweighs checks that did not run, and a
// run passes only when every MUST check it selected ran (SPEC.md section 3: "A MUST
// check that cannot run makes the verdict INCOMPLETE, never PASS").
const (
	VerdictInterrupted = "INTERRUPTED"
	VerdictFail        = "FAIL"
	VerdictIncomplete  = "INCOMPLETE"
	VerdictPass        = "PASS"
)

// The exit statuses of `renewkit conform`, one per verdict and one for each way a
// run can fail to start. docs/conformance.md and README.md carry the same table.
const (
	ExitPass        = 0   // every selected MUST (and declared MAY) check ran and passed
	ExitFail        = 1   // a MUST or declared MAY check failed
	ExitUsage       = 2   // bad flags, an empty selection, an unreadable target or expectations file
	ExitPreflight   = 3   // the target cannot be used: nothing listens, no token, not the API
	ExitIncomplete  = 4   // no check failed, but a selected MUST check did not run
	ExitInterrupted = 130 // SIGINT (128+2); SIGTERM exits 143 (128+15)
)

// Unrun is a MUST check that did not run, wholly or in some of its scenarios.
type Unrun struct {
	ID string `json:"id"`
	// Scenarios is how many of its scenarios did not run, of Of.
	Scenarios int `json:"scenarios"`
	Of        int `json:"of"`
	// Reason is why, and Fix what makes it run.
	Reason string `json:"reason"`
	Fix    string `json:"fix"`
}

// optionalCapabilities are the capabilities SPEC.md makes optional for a deployment
// (a MAY or a SHOULD of its own, or outside SPEC.md): a MUST check that needs one
// the target lacks is about a part of the API the target need not have, and is not
// applicable. Every other capability is something SPEC.md asks a deployment to
// offer for black-box checking (section 3: the expired and unknown-tenant roles, a
// short session lifetime) or that its MUSTs need (a second store and tenant, the
// restricted tokens, the lock): without it the MUST check cannot run.
//
// A store with a short lock (lock-expiry) is optional too: SPEC.md section 3 does
// not ask a deployment for one, and a lock of minutes cannot be waited out in a run.
var optionalCapabilities = []sut.Capability{sut.Admin, sut.HostPaths, sut.RFC2945, sut.OAuth, sut.Ops, sut.Process, sut.LockExpiry}

// capabilityFix says how a target file offers a capability.
func capabilityFix(c sut.Capability) string {
	switch c {
	case sut.ExpiredToken:
		return "name a client whose tokens expire within 10 s as tokens.expired in the target file"
	case sut.UnknownTenant:
		return "name a tenant the server does not have (unknownTenant) and a client for it (tokens.unknown-tenant)"
	case sut.SessionExpiry:
		return "name a store whose session lifetime is at most 30 s (sessionExpiry) in the target file"
	case sut.SecondStore:
		return "name another store of the tenant (secondStore) in the target file"
	case sut.OtherTenant:
		return "name another tenant (otherTenant, otherTenantStore) and its client (tokens.other-tenant)"
	case sut.RenewalToken:
		return "name a client with only the three renewal permissions as tokens.renewal"
	case sut.NoPermissionToken:
		return "name a client with no permissions as tokens.none"
	case sut.Lockout:
		return "declare the lockout capability and the store's lock configuration"
	case sut.LockExpiry:
		return "name another store whose lock lasts at most 30 s (shortLockStore, shortLock) in the target file"
	}
	return "declare the " + string(c) + " capability"
}

// unrunScenario says whether a MUST scenario that did not run leaves its check
// incomplete, and why.
func unrunScenario(p PlannedScenario, runtimeReason string) (reason, fix string, incomplete bool) {
	if runtimeReason != "" {
		return runtimeReason, "give the target what the scenario needs (see the reason), or accept the check in the expectations file", true
	}
	var required []string
	var fixes []string
	for _, c := range p.Missing {
		if !slices.Contains(optionalCapabilities, c) {
			required = append(required, "@"+string(c))
			fixes = append(fixes, capabilityFix(c))
		}
	}
	if len(required) == 0 {
		return "", "", false
	}
	return "the target does not offer " + strings.Join(required, ", "), strings.Join(fixes, "; "), true
}

// incompleteChecks returns the selected MUST checks with scenarios that did not run
// and that the expectations do not accept, in catalogue order.
func incompleteChecks(byID map[string]*CheckResult, order []string, unrun map[string]*Unrun, expect Expectations) []Unrun {
	var out []Unrun
	for _, id := range order {
		u, ok := unrun[id]
		if !ok {
			continue
		}
		if _, accepted := expect[id]; accepted {
			continue
		}
		u.Of = len(byID[id].Scenarios)
		out = append(out, *u)
	}
	return out
}

// noteUnrun records one scenario of a MUST check that did not run.
func noteUnrun(unrun map[string]*Unrun, p PlannedScenario, runtimeReason string) {
	if p.Level != steps.Must {
		return
	}
	reason, fix, incomplete := unrunScenario(p, runtimeReason)
	if !incomplete {
		return
	}
	u, ok := unrun[p.ID]
	if !ok {
		u = &Unrun{ID: p.ID, Reason: reason, Fix: fix}
		unrun[p.ID] = u
	}
	u.Scenarios++
}

// setVerdict fills Verdict from the outcome.
func (s *Summary) setVerdict() {
	switch {
	case s.Interrupted:
		s.Verdict = VerdictInterrupted
	case len(s.Failures) > 0:
		s.Verdict = VerdictFail
	case len(s.Incomplete) > 0:
		s.Verdict = VerdictIncomplete
	default:
		s.Verdict = VerdictPass
	}
}

// ExitCode is the process status `renewkit conform` exits with for the verdict (an
// interrupted run: ExitInterrupted; the command makes it 143 for SIGTERM).
func (s *Summary) ExitCode() int {
	switch s.Verdict {
	case VerdictInterrupted:
		return ExitInterrupted
	case VerdictFail:
		return ExitFail
	case VerdictIncomplete:
		return ExitIncomplete
	}
	return ExitPass
}

// VerdictLine is the one line that ends the printed summary and heads the HTML.
func (s *Summary) VerdictLine() string {
	switch s.Verdict {
	case VerdictInterrupted:
		return "INTERRUPTED: the run was cut short; its counts are no verdict on the server"
	case VerdictFail:
		return fmt.Sprintf("FAIL: %d MUST/MAY checks failed: %s", len(s.Failures), strings.Join(s.Failures, ", "))
	case VerdictIncomplete:
		ids := make([]string, len(s.Incomplete))
		for i, u := range s.Incomplete {
			ids[i] = u.ID
		}
		return fmt.Sprintf("INCOMPLETE: no check failed, but %d MUST checks did not run: %s", len(ids), strings.Join(ids, ", "))
	}
	if len(s.Warnings) > 0 {
		return fmt.Sprintf("PASS with %d SHOULD warnings: %s", len(s.Warnings), strings.Join(s.Warnings, ", "))
	}
	return "PASS: every selected check ran and passed"
}

// InterruptedBeforeRun is the summary of a run cut short before its first scenario
// (while its target was starting): no check ran and there is no verdict. Its
// reports replace any earlier run's, so that none of them reads as this run's.
func InterruptedBeforeRun(targetLabel string, command []string) *Summary {
	if command == nil {
		command = os.Args
	}
	s := &Summary{
		Version: version.Get(), Command: command, Target: targetLabel, Started: time.Now().UTC(),
		Counts: map[steps.Level]LevelCounts{}, Incomplete: []Unrun{}, Interrupted: true,
	}
	s.setVerdict()
	return s
}
