// Package load is renewkit's load generator: it tells an operator how many passcode
// renewals per second a deployment of the SPEC.md API sustains, at what latency,
// and whether the run met the thresholds that gate a release. It is the only
// package that uses vegeta (github.com/tsenart/vegeta/v12).
//
// # The pipeline
//
// A renewal is two dependent requests: the start answers B and a session, and the
// completion carries the client's proof M1, A and the new passcode's verifier. The
// second cannot be sent before the first is answered, so they are split:
//
//   - Setup (unmeasured) creates the run's users through the admin API and registers
//     a first passcode for each through the registration flow. The registration
//     start tells the SRP parameters and the policy's requirements.
//   - Precomputation (unmeasured, before each attack phase) fills a pool of client
//     ephemerals (a and A = g^a) and extends every user's chain of next passcodes
//     with their secrets (x and v = g^x): random passcodes the policy accepts, none
//     repeating one of the last passcodeHistory, so the history check never fires
//     on the generator's account.
//   - Producers (measured as the "start" series) take an idle user, send its
//     renewal start, prove the current passcode with the cached x and a pooled
//     ephemeral (one modular exponentiation), and queue the ready completion. A
//     user is owned by exactly one stage at a time, so each has at most one renewal
//     in flight.
//   - vegeta's Attacker fires the queued completions (the "complete" series) at the
//     profile's rate through a Targeter that never waits on the network: it pops a
//     ready completion, or spends the pacer's tick on a marker target that the
//     attacker's transport fails at once. Those starved ticks are counted.
//   - The collector checks every answer: a 200 must carry an m2 that verifies
//     (srp.Client.VerifyServer), else it counts as an error (M2_NOT_VERIFIED). The
//     user moves to the new passcode on a 200, stays on a well-formed error (which
//     changes nothing, SPEC.md section 2), and on no answer at all is resolved
//     off the measured path with an authentication by the new passcode.
//
// # Coordinated omission
//
// vegeta v12.13.0 stamps Result.Timestamp when a worker takes a pacer tick: the
// actual send time. The intended time of the hit ranked Seq is the Schedule's
// Intended(Seq) after the attack's start, which Pacer records at its first Pace
// call. Every completion is recorded with Timestamp = intended send time and
// Latency = end of response - intended send time, so queueing inside the generator
// (a late send) shows up as latency instead of vanishing; the uncorrected service
// time is kept beside it (SeriesSummary.Service) and the delay itself is in the
// results file's Renewkit-Send-Lag header. Sends more than LateAfter behind are
// counted as late; planned sends still unsent when the schedule ends are dropped.
// Latency distributions are HDR histograms (hdrhistogram-go, 3 significant
// digits).
//
// # Outputs
//
// results.bin (completions) and start.bin (starts) are vegeta's gob encoding of
// lib.Result, so `vegeta report results.bin` and `vegeta plot results.bin start.bin`
// read them; bodies of successful responses are dropped, error bodies kept.
// summary.json is Summary; report.html is self-contained (inline SVG, no scripts).
// Merge combines the outputs of several shards (Shard) into one report.
package load
