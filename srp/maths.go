package srp

import (
	"crypto/subtle"
	"math/big"

	"filippo.io/bigmod"
)

// The formulas of SPEC.md section 6, as byte-slice functions. Client and Server use
// them internally; they are exported for `renewkit srp check` and for the conformance
// suite's interop diagnosis, which must recompute every intermediate value from given
// inputs. Numbers are unsigned big-endian; outputs that live mod N are PAD'ed to len(N),
// hash outputs are hash-sized.

// K returns k = H(N | PAD(g)).
func (p *Params) K() []byte { return clone(p.k) }

// X returns x = H(s | H(I | ":" | P)). The passcode must already be NFC-normalized.
func (p *Params) X(identity, passcode, salt []byte) []byte {
	inner := p.h(identity, []byte(":"), passcode)
	return p.h(salt, inner)
}

// Verifier returns v = g^x mod N, PAD'ed, for the identity, passcode and salt.
func (p *Params) Verifier(identity, passcode, salt []byte) []byte {
	return p.group.expG(p.X(identity, passcode, salt)).Bytes(p.group.mod)
}

// ComputeA returns A = g^a mod N.
func (p *Params) ComputeA(a []byte) []byte {
	return p.group.expG(a).Bytes(p.group.mod)
}

// ComputeB returns B = (k*v + g^b) mod N. It panics if v >= N.
func (p *Params) ComputeB(v, b []byte) []byte {
	vn := mustNat(p.group, v)
	return p.computeB(vn, b).Bytes(p.group.mod)
}

func (p *Params) computeB(v *bigmod.Nat, b []byte) *bigmod.Nat {
	m := p.group.mod
	kv := bigmod.NewNat().ExpandFor(m)
	copy(kv.Bits(), p.kNat.Bits())
	kv.Mul(v, m)
	return p.group.expG(b).Add(kv, m)
}

// U returns u = H(PAD(A) | PAD(B)).
func (p *Params) U(A, B []byte) []byte {
	return p.h(p.group.pad(A), p.group.pad(B))
}

// ClientS returns the client's premaster secret S = (B - k*g^x)^(a + u*x) mod N.
// It panics if B >= N.
func (p *Params) ClientS(B, x, a, u []byte) []byte {
	return p.clientS(mustNat(p.group, B), p.group.expG(x), x, a, u).Bytes(p.group.mod)
}

// clientS takes v = g^x precomputed (the client caches it per user).
func (p *Params) clientS(B, v *bigmod.Nat, x, a, u []byte) *bigmod.Nat {
	m := p.group.mod
	kv := bigmod.NewNat().ExpandFor(m)
	copy(kv.Bits(), p.kNat.Bits())
	kv.Mul(v, m)
	base := bigmod.NewNat().ExpandFor(m)
	copy(base.Bits(), B.Bits())
	base.Sub(kv, m)
	return p.group.exp(base, exponentSum(a, u, x))
}

// exponentSum returns a + u*x as a fixed-width big-endian number, computed in constant
// time: math/big would leak the operands' sizes, and these operands are secrets. The
// arithmetic runs modulo M = 2^(8w) + 1 with w wide enough that the sum never wraps,
// which bigmod (constant-time for odd moduli) can do.
func exponentSum(a, u, x []byte) []byte {
	w := len(u) + len(x) + 1
	if len(a) >= w {
		w = len(a) + 1
	}
	mBytes := make([]byte, w+1)
	mBytes[0], mBytes[w] = 1, 1
	m, err := bigmod.NewModulus(mBytes)
	if err != nil {
		panic(err)
	}
	un := mustSet(u, m)
	xn := mustSet(x, m)
	an := mustSet(a, m)
	return un.Mul(xn, m).Add(an, m).Bytes(m)
}

// ServerS returns the server's premaster secret S = (A * v^u)^b mod N. It panics if
// A or v >= N.
func (p *Params) ServerS(A, v, u, b []byte) []byte {
	return p.serverS(mustNat(p.group, A), mustNat(p.group, v), u, b).Bytes(p.group.mod)
}

func (p *Params) serverS(A, v *bigmod.Nat, u, b []byte) *bigmod.Nat {
	base := p.group.exp(v, u)
	base.Mul(A, p.group.mod)
	return p.group.exp(base, b)
}

// M1 returns the client's proof for the profile. A, B and S are numbers; identity and
// salt are the raw `i` and salt bytes.
func (p *Params) M1(identity, salt, A, B, S []byte) []byte {
	g := p.group
	if p.profile == ProfileRFC2945 {
		hn := new(big.Int).SetBytes(p.h(g.n.Bytes()))
		hg := new(big.Int).SetBytes(p.h(g.g.Bytes()))
		hx := hn.Xor(hn, hg).Bytes()
		return p.h(hx, trimZeros(p.h(identity)), salt, trimZeros(A), trimZeros(B), trimZeros(p.SessionKey(S)))
	}
	return p.h(g.pad(A), g.pad(B), g.pad(S))
}

// M2 returns the server's proof for the profile.
func (p *Params) M2(A, m1, S []byte) []byte {
	g := p.group
	if p.profile == ProfileRFC2945 {
		return p.h(trimZeros(A), trimZeros(m1), trimZeros(p.SessionKey(S)))
	}
	return p.h(g.pad(A), g.pad(m1), g.pad(S))
}

// SessionKey returns K: H(PAD(S)) in the padded profile, H(S) in rfc2945.
func (p *Params) SessionKey(S []byte) []byte {
	if p.profile == ProfileRFC2945 {
		return p.h(trimZeros(S))
	}
	return p.h(p.group.pad(S))
}

// CheckPublic reports whether A is acceptable from a client: SPEC.md section 6 rejects
// A mod N = 0 (which forces S = 0), A >= N (a non-canonical encoding of a value the
// server would otherwise reduce), and A = 1 or A = N - 1, whose powers take only the
// values 1 and N - 1 whatever the server's secret. Public values, so big.Int is fine.
func (p *Params) CheckPublic(A []byte) error {
	a := new(big.Int).SetBytes(A)
	n := p.group.n
	switch {
	case a.Sign() == 0, a.Cmp(n) >= 0, a.Cmp(big.NewInt(1)) == 0, a.Cmp(new(big.Int).Sub(n, big.NewInt(1))) == 0:
		return ErrInvalidPublicValue
	}
	return nil
}

// CheckVerifier reports whether v is a possible verifier: 1 < v < N - 1. A verifier of
// 0, 1 or N - 1 (or one >= N) would let anyone who knows it pass without the passcode.
// The verifier is secret, so the comparison runs in constant time with bigmod.
func (p *Params) CheckVerifier(v []byte) error {
	m := p.group.mod
	if len(trimZerosCT(v, p.group.Size())) > p.group.Size() {
		return ErrInvalidVerifier
	}
	vn, err := bigmod.NewNat().SetBytes(fit(v, p.group.Size()), m)
	if err != nil {
		return ErrInvalidVerifier
	}
	bad := vn.IsZero() | vn.IsOne() | vn.IsMinusOne(m)
	if bad == 1 {
		return ErrInvalidVerifier
	}
	return nil
}

// trimZerosCT is trimZeros for a value that should be at most size bytes: it only ever
// drops leading zero bytes beyond size, so a value of the right width is untouched
// (and its own leading zeros, which are secret-dependent, are never inspected).
func trimZerosCT(b []byte, size int) []byte {
	for len(b) > size && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// fit returns b at exactly size bytes when b's extra leading bytes are zero.
func fit(b []byte, size int) []byte {
	b = trimZerosCT(b, size)
	if len(b) == size {
		return b
	}
	if len(b) > size {
		return b // SetBytes rejects it
	}
	out := make([]byte, size)
	copy(out[size-len(b):], b)
	return out
}

func mustNat(g *Group, x []byte) *bigmod.Nat {
	n, err := bigmod.NewNat().SetBytes(fit(x, g.Size()), g.mod)
	if err != nil {
		panic("srp: value out of range for N")
	}
	return n
}

func mustSet(x []byte, m *bigmod.Modulus) *bigmod.Nat {
	n, err := bigmod.NewNat().SetBytes(fit(x, m.Size()), m)
	if err != nil {
		panic(err)
	}
	return n
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// equal compares two secrets (proofs) in constant time.
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
