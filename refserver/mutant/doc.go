// Package mutant is the mutation check of the conformance suite: deliberately broken
// variants of the reference server, each wrong in exactly one way that matters, and
// tests that run the suite (package conform) against every one of them and assert that
// the run fails, and by which check ids. docs/mutation.md lists every variant with
// the checks that catch it; the tests fail when that table and the results disagree.
//
// Everything but this comment lives in _test.go files, so no variant can ever be
// compiled into a binary: `go build` never sees them, and TestNotShipped checks that
// the renewkit command does not depend on this package at all.
//
// # How a variant is built
//
// Each variant is the real reference server (refserver, memory store, reference
// fixtures) with one change made from the outside, in the least intrusive of three
// places, so that refserver itself carries no mutation code:
//
//   - an HTTP middleware around refserver.Handler, where the fault is visible at the
//     wire (a 500 for bad base64, a permission check left out, a field of the
//     requirements changed);
//   - a wrapper of the store.Store that refserver.Config.Store accepts, where the
//     fault is in what the server remembers (sessions that are not consumed or never
//     expire, the history rule not applied at completion, lockout off, a stale
//     session checked against the verifier it started on);
//   - an SRP translator, a middleware that makes the server compute SRP the wrong
//     way. It knows each session's secret b and the user's verifier (both in the
//     store), so it can decide a completion under the variant's maths (k over an
//     unpadded g, u over unpadded A and B, no range check of A, M2 over an unpadded
//     M1, ...) and then hand the real server a completion that the real maths
//     decides the same way. The real server still does everything else (sessions,
//     lockout, history, commit), so the variant differs in its maths alone.
//
// A control variant runs all three layers with no fault, and the suite must pass
// against it: what the mutation check catches is the fault, not the machinery.
//
// # Running it
//
//	go test ./refserver/mutant                       # every variant, its own checks
//	RENEWKIT_MUTANTS=all go test ./refserver/mutant  # every variant, the whole suite
//	RENEWKIT_MUTANTS=all go test ./refserver/mutant -run TestMutationTable -update
//
// The last command rewrites the table in docs/mutation.md from a full run.
package mutant
