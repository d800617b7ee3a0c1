// Package srp implements SRP-6a exactly as SPEC.md section 6 profiles it: the groups of
// RFC 5054 appendix A, SHA-1/256/384/512, and two proof profiles, rfc5054-padded (the
// default; Bouncy Castle's SRP6Util) and rfc2945 (srptools).
//
// The package is maths only: no HTTP, JSON or storage. Protocol order is carried by the
// types. A Client makes A, then Proof(B) gives M1, then VerifyServer(M2) must succeed
// before the client trusts the server. A Server makes b and B from a verifier and
// verifies one (A, M1), answering M2 only for a correct proof.
//
// # Security
//
// Every exponentiation with a secret exponent (a, b, x, and a + u*x) and every product
// with the verifier runs in constant time with filippo.io/bigmod; powers of g use a
// constant-time fixed-base table, so A, B and v cost well under one modexp. Proofs are
// compared with crypto/subtle. Public values are range-checked where they enter: A by
// CheckPublic (rejecting A mod N = 0, A >= N, A = 1, A = N - 1, and u = 0), B by
// CheckPublicB, verifiers by CheckVerifier (1 < v < N - 1). Ephemeral secrets are
// EphemeralBytes (256 bits) from crypto/rand; a Server and an Ephemeral each serve one
// proof. Deterministic ephemerals exist only in this package's tests.
//
// The byte-slice functions (K, X, ComputeA, ComputeB, U, ClientS, ServerS, M1, M2,
// SessionKey) recompute each formula from given inputs, for checking test vectors and
// for diagnosing another implementation's values; they are not a way to run a session.
package srp
