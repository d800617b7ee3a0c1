package srp

import "errors"

var (
	// ErrInvalidPublicValue means a public value (A from a client, B from a server)
	// failed the range checks of SPEC.md section 6, or made u = 0.
	ErrInvalidPublicValue = errors.New("srp: invalid public value")
	// ErrInvalidVerifier means a verifier is not in the range 1 < v < N - 1.
	ErrInvalidVerifier = errors.New("srp: invalid verifier")
	// ErrInvalidProof means M1 (at the server) or M2 (at the client) did not match.
	ErrInvalidProof = errors.New("srp: invalid proof")
	// ErrUsed means a Server or Client was asked for a second proof: each session
	// verifies at most once, so a wrong guess cannot be retried on the same b.
	ErrUsed = errors.New("srp: session already used")
	// ErrEncoding means a wire value could not be decoded.
	ErrEncoding = errors.New("srp: invalid encoding")
)
