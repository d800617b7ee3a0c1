// Package conform runs renewkit's conformance suite: the Gherkin features of package
// features, with the steps of package steps, against a target (package target), and
// reports the outcome.
//
// Run is the runner that `renewkit conform` and `go test ./steps` call: it plans
// which scenarios apply to the target (a scenario tagged with a capability the
// target does not offer is reported as not applicable, never as passed), checks
// that the target can be used at all (preflight), runs the rest concurrently with
// godog, and reports each check by its id and level: a summary by level, JUnit XML,
// cucumber JSON, a JSON report and a self-contained HTML report. A failed MUST (or
// declared MAY) check fails the run; a failed SHOULD is a warning; an expectations
// file lists known failures so that CI gates on regressions only. The verdict and
// its exit status are in verdict.go.
//
// What a scenario does, and what its failure says, is package steps' part: conform
// reads each scenario's steps.Outcome once it has ended.
package conform
