// Package steps is the step library of renewkit's conformance suite: the godog
// steps of the Gherkin features of package features, the check catalogue, and the
// outcome of each scenario. Package conform runs it (Suite.InitScenario is its
// scenario initializer) and reports the outcomes.
//
// # Layout
//
// The steps of features/<feature>.feature are in <feature>.go: its registration
// function (<feature>Steps) lists each step's anchored pattern and the named
// function that runs it, followed by those functions and the state type the
// feature keeps between steps, if any. The steps many features share are in
// setup.go (Given), flow.go (When) and answer.go (Then); a step a few features
// use lives with the feature it is about (history.go's renewals back to an old
// passcode). scenario.go, flows.go and world.go hold what every step uses: the
// scenario, its users and sessions, and a completion of a session changed by
// completeOptions (proving, toPasscode, withVerifier, steering, ...).
//
// # Scenario state
//
// Each scenario gets its own state in its context.Context (never a global): the
// users it made for itself (through the admin API, or taken from the target's
// pre-provisioned users), the sessions it started and the last exchange. What one
// feature's checks keep between steps is that feature's own small type, put into
// the context by its Before hook (newState) and read with state[T](ctx). Steps are
// anchored regular expressions; the suite runs Strict, so an undefined step fails.
//
// # Evidence
//
// A failed step says which check failed, at which level, what SPEC.md wants
// (Catalogue), the request and the response with tokens and SRP values redacted
// (api.Exchange.String), and a one-line command that reruns exactly that scenario.
// When a server's proofs do not verify, the suite's SRP client (package
// srpclient) recomputes the known interop variants (k over an unpadded g, u over unpadded A and B, the rfc2945 proofs,
// Java's sign byte, M2 over an unpadded M1, ...) and names the one that matches.
package steps
