package srp

import (
	"crypto/rand"
	"fmt"
	"io"
	"sync/atomic"

	"filippo.io/bigmod"
)

// Server is one server-side SRP session for one user: it makes b and B from the
// stored verifier, then verifies the client's (A, M1) exactly once, returning M2 only
// for a correct proof. Verify is safe to call concurrently; all calls but the first
// get ErrUsed.
type Server struct {
	params   *Params
	identity []byte
	salt     []byte
	v        *bigmod.Nat
	b        []byte
	pub      []byte
	used     atomic.Bool
}

// NewServer starts a session with a fresh secret b from crypto/rand. It returns
// ErrInvalidVerifier unless 1 < v < N - 1.
func (p *Params) NewServer(identity, salt, verifier []byte) (*Server, error) {
	return p.newServer(identity, salt, verifier, rand.Reader)
}

func (p *Params) newServer(identity, salt, verifier []byte, r io.Reader) (*Server, error) {
	if err := p.CheckVerifier(verifier); err != nil {
		return nil, err
	}
	for range 8 {
		b := make([]byte, EphemeralBytes)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("srp: reading randomness: %w", err)
		}
		s, err := p.ResumeServer(identity, salt, verifier, b)
		if err == nil {
			return s, nil
		}
		if err != ErrInvalidPublicValue {
			return nil, err
		}
		// B = 0 mod N has probability about 2^-2048; a client would reject it, so draw again.
	}
	return nil, fmt.Errorf("srp: could not draw a usable b")
}

// ResumeServer rebuilds a session from its persisted secret b (see Secret), for a
// server that keeps sessions in a database across restarts. Never call it twice for
// one session ID: each b must verify at most one proof.
func (p *Params) ResumeServer(identity, salt, verifier, b []byte) (*Server, error) {
	return p.resume(identity, salt, verifier, b, nil)
}

// ResumeServerWithB is ResumeServer for a server that persisted B beside b: it takes B
// as stored instead of recomputing it, which saves a fixed-base exponentiation and a
// multiplication per completion. B must be the value NewServer made for this b; a B
// that does not match only makes every proof fail. It still checks the verifier and
// that B is in range.
func (p *Params) ResumeServerWithB(identity, salt, verifier, b, B []byte) (*Server, error) {
	if B == nil {
		return nil, ErrInvalidPublicValue
	}
	return p.resume(identity, salt, verifier, b, B)
}

// resume checks the verifier and b and builds the session; B is computed from b when
// nil and range-checked when given.
func (p *Params) resume(identity, salt, verifier, b, B []byte) (*Server, error) {
	if err := p.CheckVerifier(verifier); err != nil {
		return nil, err
	}
	if len(b) < EphemeralBytes {
		return nil, fmt.Errorf("srp: secret b shorter than %d bytes", EphemeralBytes)
	}
	v := mustNat(p.group, verifier)
	if B == nil {
		computed := p.computeB(v, b)
		if computed.IsZero() == 1 {
			return nil, ErrInvalidPublicValue
		}
		B = computed.Bytes(p.group.mod)
	} else if err := p.CheckPublicB(B); err != nil {
		return nil, err
	}
	return &Server{
		params: p, identity: clone(identity), salt: clone(salt),
		v: v, b: clone(b), pub: p.group.pad(B),
	}, nil
}

// B returns the server's public value, PAD'ed to len(N).
func (s *Server) B() []byte { return clone(s.pub) }

// Secret returns b, for persisting the session. It is a secret: store it like one and
// never log it.
func (s *Server) Secret() []byte { return clone(s.b) }

// Verify checks the client's A and M1 (hash-sized; see DecodeProof) and returns M2.
// It returns ErrInvalidPublicValue for an A that SPEC.md section 6 rejects or that
// makes u = 0, ErrInvalidProof for a wrong M1 (compared in constant time, and no value
// derived from S is returned), and ErrUsed on every call after the first.
func (s *Server) Verify(A, m1 []byte) ([]byte, error) {
	if !s.used.CompareAndSwap(false, true) {
		return nil, ErrUsed
	}
	p := s.params
	if err := p.CheckPublic(A); err != nil {
		return nil, err
	}
	an, err := p.group.nat(A)
	if err != nil {
		return nil, ErrInvalidPublicValue
	}
	u := p.U(A, s.pub)
	if isZero(u) {
		return nil, ErrInvalidPublicValue
	}
	S := p.serverS(an, s.v, u, s.b).Bytes(p.group.mod)
	if !equal(m1, p.M1(s.identity, s.salt, A, s.pub, S)) {
		return nil, ErrInvalidProof
	}
	return p.M2(A, m1, S), nil
}
