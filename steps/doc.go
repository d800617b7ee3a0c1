// Package steps runs renewkit's conformance suite: the Gherkin features of package
// features against a server under test (package sut), with godog.
//
// Run is the runner that `renewkit conform` and `go test ./steps` call: it plans
// which scenarios apply to the target (a scenario tagged with a capability the
// target does not offer is reported as not applicable, never as passed), runs the
// rest concurrently, and reports each check by its id and level: a summary by
// level, JUnit XML, cucumber JSON, a JSON report and a self-contained HTML report.
// A failed MUST (or declared MAY) check fails the run; a failed SHOULD is a warning;
// an expectations file lists known failures so that CI gates on regressions only.
//
// # Scenario state
//
// Each scenario gets its own state in its context.Context (never a global): the
// users it made for itself (through the admin API, or taken from the target's
// pre-provisioned users), the sessions it started and the last exchange. Steps are
// anchored regular expressions; the suite runs Strict, so an undefined step fails.
//
// # Evidence
//
// A failed step says which check failed, at which level, what SPEC.md wants
// (Catalogue), the request and the response with tokens and SRP values redacted
// (api.Exchange.String), and a one-line command that reruns exactly that scenario.
// When a server's proofs do not verify, the suite recomputes the known interop
// variants (k over an unpadded g, u over unpadded A and B, the rfc2945 proofs,
// Java's sign byte, M2 over an unpadded M1, ...) and names the one that matches.
package steps
