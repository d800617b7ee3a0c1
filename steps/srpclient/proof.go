// Package srpclient is the conformance suite's own SRP client: proofs whose secrets
// it can steer (an A, M1 or M2 with a leading zero byte), the public values and
// verifiers a server must refuse, the wire encodings a receiver must accept, and
// the interop diagnosis that names what a server computes when its proofs do not
// match SPEC.md section 6. It is built from the formula functions of package srp,
// not srp.Client, because it needs what srp.Client keeps to itself; every secret it
// handles is a test value of the harness.
package srpclient

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

// Proof is the client side of one SRP proof, with what srp.Client keeps to itself:
// the secret a (to steer values with leading zero bytes and to recompute interop
// variants) and S. These are test values: the harness's own passcodes, made for
// this run.
type Proof struct {
	p        *srp.Params
	identity []byte
	salt     []byte
	pass     []byte // NFC-normalized
	x        []byte
	// B is the server's value as decoded from the wire.
	B []byte
	a []byte
	// A, u, S, M1 and M2 are as the spec computes them: A and S PAD'ed.
	A, u, S, M1, M2 []byte
}

// ErrBadB means the server's B is one a client must refuse (SPEC section 6).
var ErrBadB = errors.New("the server's public value B is out of range (B mod N = 0 or B >= N) or makes u = 0")

// NewProof computes a proof of pass for a start's parameters. When keep is not nil
// it walks through secrets a until keep accepts the values, at most tries times (it
// is how the suite makes A, M1 or M2 with a leading zero byte); see grinder.
func NewProof(p *srp.Params, sp *api.StartParams, pass string, keep func(*Proof) bool, tries int) (*Proof, error) {
	if sp == nil || sp.B == nil {
		return nil, errors.New("the start answer has no usable serverPublicKey")
	}
	if err := p.CheckPublicB(sp.B); err != nil {
		return nil, ErrBadB
	}
	pr := &Proof{p: p, identity: sp.Identity, salt: sp.Salt, pass: []byte(passcode.Normalize(pass)), B: sp.B}
	pr.x = p.X(pr.identity, pr.pass, pr.salt)
	if keep == nil {
		if err := pr.draw(); err != nil {
			return nil, err
		}
		return pr, nil
	}
	g, err := newGrinder(pr)
	if err != nil {
		return nil, err
	}
	for range tries {
		if err := g.next(pr); err != nil {
			return nil, err
		}
		if keep(pr) {
			return pr, nil
		}
	}
	return nil, fmt.Errorf("no secret a in %d tries gave the wanted values", tries)
}

// draw picks a fresh secret a and computes everything that follows from it with
// the srp package's own formula functions.
func (pr *Proof) draw() error {
	a := make([]byte, srp.EphemeralBytes)
	if _, err := rand.Read(a); err != nil {
		return err
	}
	p := pr.p
	pr.a = a
	pr.A = p.ComputeA(a)
	pr.u = p.U(pr.A, pr.B)
	if isZero(pr.u) {
		return ErrBadB
	}
	pr.S = p.ClientS(pr.B, pr.x, a, pr.u)
	pr.M1 = p.M1(pr.identity, pr.salt, pr.A, pr.B, pr.S)
	pr.M2 = p.M2(pr.A, pr.M1, pr.S)
	return nil
}

// grinder walks a = a0, a0 + 1, a0 + 2, ... for one session, at a small fraction
// of the cost of a fresh proof: with base = B - k*v and C = base^x fixed,
// A(a+1) = A(a) * g, base^(a+1) = base^a * base, and S = base^a * C^u, where C^u
// comes from a table of C's powers. A draw of draw() costs two full exponentiations
// (about 4.5 ms here); a grinder step costs about 70 multiplications. Steering one
// byte of M1 to zero takes 256 steps on average, so this is what keeps the
// scenarios that need it within a session's lifetime. The values are the
// harness's own test secrets, so math/big's variable time does not matter.
type grinder struct {
	p          *srp.Params
	n, g, base *big.Int
	a, A, bA   *big.Int // a, g^a and base^a
	table      [][]*big.Int
}

// windowBits is the width of the digits of u in the table of C's powers.
const windowBits = 4

func newGrinder(pr *Proof) (*grinder, error) {
	p := pr.p
	grp := p.Group()
	n, g := grp.N(), grp.G()
	x := new(big.Int).SetBytes(pr.x)
	v := new(big.Int).Exp(g, x, n)
	base := new(big.Int).Mul(new(big.Int).SetBytes(p.K()), v)
	base.Sub(new(big.Int).SetBytes(pr.B), base).Mod(base, n)
	ab := make([]byte, srp.EphemeralBytes)
	if _, err := rand.Read(ab); err != nil {
		return nil, err
	}
	gr := &grinder{p: p, n: n, g: g, base: base, a: new(big.Int).SetBytes(ab)}
	gr.a.Sub(gr.a, big.NewInt(1)) // next() adds it back
	gr.A = new(big.Int).Exp(g, gr.a, n)
	gr.bA = new(big.Int).Exp(base, gr.a, n)
	// table[i][d] = C^(d * 16^i) for every digit position of a hash-sized u.
	C := new(big.Int).Exp(base, x, n)
	digits := p.Hash().Size() * 8 / windowBits
	gr.table = make([][]*big.Int, digits)
	pow := C
	for i := range digits {
		row := make([]*big.Int, 1<<windowBits)
		row[0] = big.NewInt(1)
		for d := 1; d < len(row); d++ {
			row[d] = new(big.Int).Mul(row[d-1], pow)
			row[d].Mod(row[d], n)
		}
		gr.table[i] = row
		pow = new(big.Int).Mul(row[len(row)-1], pow)
		pow.Mod(pow, n)
	}
	return gr, nil
}

// next moves to the next a and fills pr with its values.
func (gr *grinder) next(pr *Proof) error {
	p, n := gr.p, gr.n
	gr.a.Add(gr.a, big.NewInt(1))
	gr.A.Mul(gr.A, gr.g).Mod(gr.A, n)
	gr.bA.Mul(gr.bA, gr.base).Mod(gr.bA, n)
	pr.a = gr.a.Bytes()
	pr.A = p.Pad(gr.A.Bytes())
	pr.u = p.U(pr.A, pr.B)
	if isZero(pr.u) {
		return ErrBadB
	}
	S := new(big.Int).Set(gr.bA)
	u := pr.u
	for i := range gr.table {
		// Digit i of u, least significant first.
		byt := u[len(u)-1-i*windowBits/8]
		d := (byt >> ((i * windowBits) % 8)) & (1<<windowBits - 1)
		if d != 0 {
			S.Mul(S, gr.table[i][d]).Mod(S, n)
		}
	}
	pr.S = p.Pad(S.Bytes())
	pr.M1 = p.M1(pr.identity, pr.salt, pr.A, pr.B, pr.S)
	pr.M2 = p.M2(pr.A, pr.M1, pr.S)
	return nil
}

// Data returns the verification data with the standard encodings.
func (pr *Proof) Data() *api.SRPVerificationData {
	return &api.SRPVerificationData{A: srp.EncodeInt(pr.A), M1: srp.EncodeInt(pr.M1)}
}

// CheckM2 reports whether the server's m2 is the one this proof expects, compared
// in constant time after the lenient decoding receivers MUST apply.
func (pr *Proof) CheckM2(m2 string) error {
	got, err := srp.DecodeProof(m2, pr.p.Hash().Size())
	if err != nil {
		return fmt.Errorf("m2 %q does not decode as a %d-byte proof: %v", m2, pr.p.Hash().Size(), err)
	}
	if subtle.ConstantTimeCompare(got, pr.M2) != 1 {
		return errors.New("m2 is not the M2 of this session (SPEC section 6 formula for the target's profile)")
	}
	return nil
}

// Forged returns a and m1 for a public value the server must refuse, with the proof
// a careless server would accept: for A mod N = 0 the premaster secret is 0; for
// A = 1 (a = 0) it is (B - k*v)^(u*x), which the client can compute because it
// knows x; for A = N - 1 it is that or its negation, and the proof takes the first.
// For A+N and A+2N (aboveN) it is an ordinary A whose proof is right once A is
// reduced mod N. which is one of 0, N, 2N, 1, N-1, A+N and A+2N.
func Forged(p *srp.Params, sp *api.StartParams, pass, which string) (*api.SRPVerificationData, error) {
	if sp == nil || sp.B == nil {
		return nil, errors.New("the start answer has no usable serverPublicKey")
	}
	if err := p.CheckPublicB(sp.B); err != nil {
		return nil, ErrBadB
	}
	n := p.Group().N()
	var A *big.Int
	switch which {
	case "A+N":
		return aboveN(sp, pass, 1)
	case "A+2N":
		return aboveN(sp, pass, 2)
	case "0":
		A = big.NewInt(0)
	case "N":
		A = new(big.Int).Set(n)
	case "2N":
		A = new(big.Int).Lsh(n, 1)
	case "1":
		A = big.NewInt(1)
	case "N-1":
		A = new(big.Int).Sub(n, big.NewInt(1))
	default:
		return nil, fmt.Errorf("unknown public value %q", which)
	}
	wire := A.Bytes()
	if len(wire) < p.Group().Size() {
		wire = p.Pad(wire)
	}
	reduced := p.Pad(new(big.Int).Mod(A, n).Bytes())
	u := p.U(reduced, sp.B)
	S := p.Pad(nil)
	if !isZero(reduced) {
		x := p.X(sp.Identity, []byte(passcode.Normalize(pass)), sp.Salt)
		S = p.ClientS(sp.B, x, []byte{0}, u)
	}
	m1 := p.M1(sp.Identity, sp.Salt, reduced, sp.B, S)
	return &api.SRPVerificationData{A: srp.EncodeInt(wire), M1: srp.EncodeInt(m1)}, nil
}

// aboveN returns a and m1 for A + k*N, where A = g^a mod N is an ordinary public
// value and m1 its correct proof. For k = 1, a is drawn so that A + N still fits in
// len(N) bytes: a server that bounds only the byte length lets that through.
func aboveN(sp *api.StartParams, pass string, k int64) (*api.SRPVerificationData, error) {
	p := sp.Params
	keep := func(pr *Proof) bool { return k != 1 || FitsPlusN(p, pr.A) }
	// About half of all A qualify: 64 tries fail with probability 2^-60.
	pr, err := NewProof(p, sp, pass, keep, 64)
	if err != nil {
		return nil, err
	}
	return &api.SRPVerificationData{A: srp.EncodeInt(PlusN(p, pr.A, k)), M1: srp.EncodeInt(pr.M1)}, nil
}

// PlusN returns x + k*N, the same value mod N as x: what a server that reduces
// without checking the range accepts as x.
func PlusN(p *srp.Params, x []byte, k int64) []byte {
	y := new(big.Int).Mul(p.Group().N(), big.NewInt(k))
	return y.Add(y, new(big.Int).SetBytes(x)).Bytes()
}

// FitsPlusN reports whether x + N is below 2^(8 len(N)), so that it is sent in
// len(N) bytes like an ordinary value: a server that bounds only the byte length
// lets it through.
func FitsPlusN(p *srp.Params, x []byte) bool {
	limit := new(big.Int).Lsh(big.NewInt(1), uint(8*p.Group().Size()))
	return new(big.Int).Add(new(big.Int).SetBytes(x), p.Group().N()).Cmp(limit) < 0
}

// OutOfRange returns the wire bytes of a verifier or public value named in a
// feature: 0, 1, N-1, N, N+1 or 2N.
func OutOfRange(p *srp.Params, which string) ([]byte, error) {
	n := p.Group().N()
	var v *big.Int
	switch which {
	case "0":
		v = big.NewInt(0)
	case "1":
		v = big.NewInt(1)
	case "N-1":
		v = new(big.Int).Sub(n, big.NewInt(1))
	case "N":
		v = new(big.Int).Set(n)
	case "N+1":
		v = new(big.Int).Add(n, big.NewInt(1))
	case "2N":
		v = new(big.Int).Lsh(n, 1)
	default:
		return nil, fmt.Errorf("unknown value %q", which)
	}
	b := v.Bytes()
	if len(b) < p.Group().Size() {
		b = p.Pad(b)
	}
	return b, nil
}

// The wire encodings a receiver MUST accept besides the standard one (SPEC section
// 6), for the PRF checks.

// EncodeURL is base64url with padding.
func EncodeURL(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

// EncodeNoPad is base64 without padding.
func EncodeNoPad(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// EncodeURLNoPad is base64url without padding.
func EncodeURLNoPad(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// ExtraZero is b with one more leading zero byte.
func ExtraZero(b []byte) []byte { return append([]byte{0}, b...) }

// StripZeros drops leading zero bytes (the minimal integer encoding).
func StripZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
