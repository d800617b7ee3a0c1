package srp

import (
	"crypto/rand"
	"fmt"
	"io"
	"sync/atomic"

	"filippo.io/bigmod"
)

// Secret is what a client derives from one user's identity, passcode and salt: x and
// the verifier v = g^x. Deriving it costs a modexp, so a client that authenticates the
// same user many times (a load generator) derives it once. It holds secrets: never log it.
type Secret struct {
	params   *Params
	identity []byte
	salt     []byte
	x        []byte
	v        *bigmod.Nat
}

// NewSecret derives x and v for a user. The passcode must already be NFC-normalized
// UTF-8 (passcode.Normalize).
func (p *Params) NewSecret(identity, passcode, salt []byte) *Secret {
	x := p.X(identity, passcode, salt)
	return &Secret{params: p, identity: clone(identity), salt: clone(salt), x: x, v: p.group.expG(x)}
}

// Verifier returns v, PAD'ed to len(N): what a registration or renewal sends.
func (s *Secret) Verifier() []byte { return s.v.Bytes(s.params.group.mod) }

// Params returns the parameter set the secret was derived under.
func (s *Secret) Params() *Params { return s.params }

// Ephemeral is a client's one-time key pair: a secret a and A = g^a. It may be made
// ahead of time (a load generator keeps a pool of them) but must be used for one
// session only; NewClientWith enforces that.
type Ephemeral struct {
	params *Params
	a      []byte
	pub    []byte
	used   atomic.Bool
}

// NewEphemeral makes a fresh a of EphemeralBytes random bytes from crypto/rand, and A.
func (p *Params) NewEphemeral() (*Ephemeral, error) { return p.newEphemeral(rand.Reader) }

func (p *Params) newEphemeral(r io.Reader) (*Ephemeral, error) {
	a := make([]byte, EphemeralBytes)
	if _, err := io.ReadFull(r, a); err != nil {
		return nil, fmt.Errorf("srp: reading randomness: %w", err)
	}
	// A = g^a can't be 0 mod N (g generates a subgroup of the units), so A needs no
	// check here; the server checks it anyway.
	return &Ephemeral{params: p, a: a, pub: p.ComputeA(a)}, nil
}

// A returns the public value A, PAD'ed to len(N).
func (e *Ephemeral) A() []byte { return clone(e.pub) }

// Client is one client-side SRP session, used in protocol order: A (sent with the
// proof), Proof(B), then VerifyServer(M2). It is not safe for concurrent use.
type Client struct {
	secret *Secret
	eph    *Ephemeral
	m2     []byte // the M2 the server must send, known once Proof has run
	key    []byte
	proved bool
}

// NewClient starts a session for one user with a fresh ephemeral key.
func NewClient(p *Params, identity, passcode, salt []byte) (*Client, error) {
	e, err := p.NewEphemeral()
	if err != nil {
		return nil, err
	}
	return NewClientWith(p.NewSecret(identity, passcode, salt), e)
}

// NewClientWith starts a session from a precomputed secret and ephemeral. An ephemeral
// serves one session: reusing it is an error, since two proofs over the same a would
// give a server two equations in one secret.
func NewClientWith(s *Secret, e *Ephemeral) (*Client, error) {
	if s.params != e.params {
		return nil, fmt.Errorf("srp: secret and ephemeral have different parameters")
	}
	if !e.used.CompareAndSwap(false, true) {
		return nil, ErrUsed
	}
	return &Client{secret: s, eph: e}, nil
}

// A returns the client's public value, PAD'ed to len(N).
func (c *Client) A() []byte { return c.eph.A() }

// Proof takes the server's B and returns M1. It rejects B mod N = 0, B >= N and u = 0
// (SPEC.md section 6) with ErrInvalidPublicValue.
func (c *Client) Proof(B []byte) ([]byte, error) {
	m1, _, err := c.proof(B)
	return m1, err
}

// proof is Proof that also returns S, for this package's tests, which check that
// values with leading zero bytes occur and are handled.
func (c *Client) proof(B []byte) (m1, S []byte, err error) {
	if c.proved {
		return nil, nil, ErrUsed
	}
	c.proved = true
	p := c.secret.params
	g := p.group
	if err := p.CheckPublicB(B); err != nil {
		return nil, nil, err
	}
	bn, err := g.nat(B)
	if err != nil {
		return nil, nil, ErrInvalidPublicValue
	}
	u := p.U(c.eph.pub, B)
	if isZero(u) {
		return nil, nil, ErrInvalidPublicValue
	}
	S = p.clientS(bn, c.secret.v, c.secret.x, c.eph.a, u).Bytes(g.mod)
	m1 = p.M1(c.secret.identity, c.secret.salt, c.eph.pub, B, S)
	c.m2 = p.M2(c.eph.pub, m1, S)
	c.key = p.SessionKey(S)
	return m1, S, nil
}

// VerifyServer checks the server's M2 in constant time. A client must call it, and get
// nil, before it trusts anything the server said.
func (c *Client) VerifyServer(m2 []byte) error {
	if c.m2 == nil {
		return fmt.Errorf("srp: VerifyServer before Proof")
	}
	if !equal(m2, c.m2) {
		return ErrInvalidProof
	}
	return nil
}

// SessionKey returns K once Proof has run. Trust it only after VerifyServer.
func (c *Client) SessionKey() []byte { return clone(c.key) }

// CheckPublicB reports whether B is acceptable from a server: 0 < B mod N and B < N.
func (p *Params) CheckPublicB(B []byte) error {
	if isZero(B) || len(trimZeros(B)) > p.group.Size() {
		return ErrInvalidPublicValue
	}
	if _, err := p.group.nat(B); err != nil {
		return ErrInvalidPublicValue
	}
	return nil
}

func isZero(b []byte) bool {
	var acc byte
	for _, x := range b {
		acc |= x
	}
	return acc == 0
}
