package conform

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/version"
)

// The outcomes reportFixture makes of its plan.
const (
	outcomePass        = "pass"        // every scenario that can run passes
	outcomeFail        = "fail"        // MUST failures, SHOULD warnings, an expected failure, an invariant breach
	outcomeInterrupted = "interrupted" // cut short: some scenarios passed, some were cut short, the rest never ran
)

// fixtureScenario is one scenario of the fixture's plan.
type fixtureScenario struct {
	PlannedScenario
	// failWith is the problem the scenario fails with in outcomeFail ("" passes),
	// codeFail the problem of its error code (a SHOULD warning), breach an
	// invariant its exchanges break.
	failWith, codeFail, breach string
	// cutShort says how an interrupted run leaves it: "ran" (passed before the
	// signal), "cut" (failed with the context's error) or "" (never started).
	cutShort string
}

// fixturePlan is a selection of real checks over four features: outline rows
// with the same name, error-code sub-checks, scenarios a missing capability makes
// not applicable, and a check the expectations list.
func fixturePlan() []fixtureScenario {
	ps := func(id string, l steps.Level, feature, name string, code bool, missing ...sut.Capability) PlannedScenario {
		return PlannedScenario{ID: id, Level: l, Feature: feature, Name: name, namesCode: code, Missing: missing}
	}
	return []fixtureScenario{
		{PlannedScenario: ps("REG-001", steps.Must, "registration.feature", "registration by user id", false),
			failWith: "the answer is 500, want 200", cutShort: "ran"},
		{PlannedScenario: ps("REG-003", steps.Must, "registration.feature", "registration of a user who has a passcode is refused", true),
			cutShort: "ran"},
		{PlannedScenario: ps("REG-005", steps.Should, "registration.feature", "ids are 26-character IDs", false),
			failWith: `the user id "42" is not a 26-character ID`, cutShort: "cut"},
		{PlannedScenario: ps("RNW-001", steps.Must, "renewal.feature", "the guide's renewal flow", false),
			breach: "the answer carries the verifier the client sent", cutShort: "cut"},
		// Two rows of an outline whose name does not name its column.
		{PlannedScenario: ps("RNW-004", steps.Must, "renewal.feature", "a renewal with a wrong old passcode is refused", true),
			failWith: "the answer is 200, want 400 INVALID_PROOF"},
		{PlannedScenario: ps("RNW-004", steps.Must, "renewal.feature", "a renewal with a wrong old passcode is refused", true),
			codeFail: "the answer is 400 INVALID_REQUEST, want 400 INVALID_PROOF"},
		{PlannedScenario: ps("PRF-006", steps.Must, "proofs.feature", "an m1 with an extra leading 0x00 is accepted in the authentication flow", false)},
		{PlannedScenario: ps("PRF-006", steps.Must, "proofs.feature", "an m1 with an extra leading 0x00 is accepted in the renewal flow", false),
			failWith: "the answer is 400 INVALID_PROOF, want 200"},
		{PlannedScenario: ps("PRF-003", steps.Should, "proofs.feature", "senders pad n and serverPublicKey", false)},
		{PlannedScenario: ps("PRF-010", steps.May, "proofs.feature", "the proofs of the authentication flow follow the rfc2945 profile", true, sut.RFC2945)},
		{PlannedScenario: ps("SES-004", steps.Must, "sessions.feature", "an expired session is not found", true),
			failWith: "the answer is 200, want 404 SESSION_NOT_FOUND"},
		{PlannedScenario: ps("ADM-001", steps.May, "admin.feature", "create a user", false, sut.Admin)},
	}
}

// fixtureExpect lists SES-004 as a known failure.
var fixtureExpect = Expectations{"SES-004": "our sessions live 5 minutes (JIRA-123)"}

// fixtureVersion and fixtureStart make the reports of the fixture the same from
// build to build and day to day.
var (
	fixtureVersion = version.Info{Module: "v0.9.0", Revision: "0123456789abcdef0123456789abcdef01234567", Spec: "2026-12-02", Go: "go1.26.8"}
	fixtureStart   = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
)

// reportFixture makes the Summary of one outcome of fixturePlan through summarize,
// as Run does, with a fixed version, start time and command line.
func reportFixture(tb testing.TB, outcome string) *Summary {
	tb.Helper()
	tgt := &sut.Target{Name: "fixture server", BaseURL: "http://127.0.0.1:8080", Tenant: "acme", Store: "default",
		Capabilities: []sut.Capability{sut.Lockout, sut.HostPaths, sut.Ops}}
	o := Options{Target: tgt, Rerun: "http://127.0.0.1:8080",
		Command: []string{"bin/renewkit", "conform", "--target", "http://127.0.0.1:8080", "--tags", "@must or @should", "--expect", "known failures.txt"}}
	plan := &Plan{}
	results := map[string]steps.Outcome{}
	for i, fs := range fixturePlan() {
		p := fs.PlannedScenario
		p.pickleID = fmt.Sprintf("pickle-%d", i)
		plan.Scenarios = append(plan.Scenarios, p)
		if len(p.Missing) > 0 {
			continue
		}
		rec := steps.Outcome{ID: p.ID, Level: p.Level, Name: p.Name, Feature: p.Feature, Status: steps.StatusPassed,
			Duration: time.Duration(40+7*i) * time.Millisecond, Exchanges: 3}
		if p.namesCode {
			rec.Code = &steps.CodeOutcome{Passed: true}
		}
		switch outcome {
		case outcomeFail:
			if fs.failWith != "" {
				rec.Status, rec.Step, rec.Problem = steps.StatusFailed, "the answer is ...", fs.failWith
				rec.Message = fixtureEvidence(p, fs.failWith)
				if p.namesCode {
					rec.Code = nil // it failed before its code was checked
				}
			}
			if fs.codeFail != "" {
				rec.Code = &steps.CodeOutcome{Step: "the answer is 400 INVALID_PROOF", Problem: fs.codeFail, Message: fixtureEvidence(p, fs.codeFail)}
			}
			if fs.breach != "" {
				rec.Breaches = []steps.Breach{{ID: "INV-005", Step: "the client completes the renewal",
					Problem: fs.breach, Message: fixtureEvidence(p, fs.breach)}}
			}
		case outcomeInterrupted:
			switch fs.cutShort {
			case "":
				continue
			case "cut":
				rec.Status, rec.Step, rec.Problem = steps.StatusFailed, "the client starts the renewal", "context canceled"
				rec.Message, rec.Code = "context canceled", nil
			}
		}
		results[p.pickleID] = rec
	}
	outcomeOf := func(id string) (steps.Outcome, bool) {
		o, ok := results[id]
		return o, ok
	}
	sum := summarize(o, plan, nil, outcomeOf, fixtureExpect, fixtureStart, 2345*time.Millisecond, outcome == outcomeInterrupted)
	sum.Version = fixtureVersion
	return sum
}

// fixtureEvidence is failure text shaped like Run's: the check, the spec, an
// exchange with a long unbroken base64 value and a long hex one, and the rerun
// commands.
func fixtureEvidence(p PlannedScenario, problem string) string {
	b64 := strings.Repeat("q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k", 14)
	hex := strings.Repeat("0123456789abcdef", 24)
	return fmt.Sprintf(`%s (%s, SPEC §6)
  step:      the answer is 400 INVALID_PROOF
  problem:   %s
  spec:      "MUST NOT return M2 (or anything derived from S) unless M1 is correct: 400 INVALID_PROOF"
  exchange:  POST http://127.0.0.1:8080/api/identity-store/tenants/acme/stores/default/passcodes/renewals/sessions/01JDQ4 -> 200 in 5.6ms
             > Authorization: Bearer [REDACTED]
             > {"srpVerificationData":{"a":"[REDACTED]","m1":"[REDACTED]"}}
             < Content-Type: application/json
             < {"algorithmInfo":{"parameters":{"hashAlgorithm":"SHA-256","m2":"%s"},"type":"SRP"},"salt":"%s"}
  diagnosis: the server computes M2 = H(A | M1 | K) (RFC 2945) instead of the SPEC's
  rerun:     %s`, p.ID, strings.ToUpper(string(p.Level)), problem, b64, hex,
		rerunCommands("http://127.0.0.1:8080", "", p.Name, p.ID))
}
