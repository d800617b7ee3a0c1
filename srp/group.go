package srp

import (
	"errors"
	"fmt"
	"math/big"
	"sync"

	"filippo.io/bigmod"
)

// Group is one of the fixed SRP groups of RFC 5054 appendix A: a safe prime N and a
// generator g. Groups are immutable and safe for concurrent use; get them from the
// named constructors (Group2048 and so on) or GroupByBits.
type Group struct {
	name string
	bits int
	n    *big.Int
	g    *big.Int
	mod  *bigmod.Modulus
	gNat *bigmod.Nat

	// fixed is the constant-time fixed-base table for powers of g, built on first use:
	// building it costs a few dozen modexps, which a process that only checks
	// vectors for another group should not pay.
	fixedOnce sync.Once
	fixed     *fixedBase
}

var groups = func() []*Group {
	gs := make([]*Group, len(groupParams))
	for i, p := range groupParams {
		n, ok := new(big.Int).SetString(p.n, 16)
		if !ok || n.BitLen() != p.bits {
			panic(fmt.Sprintf("srp: bad built-in group %d", p.bits))
		}
		mod, err := bigmod.NewModulus(n.Bytes())
		if err != nil {
			panic(err)
		}
		g := big.NewInt(p.g)
		gNat, err := bigmod.NewNat().SetBytes(g.Bytes(), mod)
		if err != nil {
			panic(err)
		}
		gs[i] = &Group{name: fmt.Sprintf("rfc5054-%d", p.bits), bits: p.bits, n: n, g: g, mod: mod, gNat: gNat}
	}
	return gs
}()

func groupOf(bits int) *Group {
	g, err := GroupByBits(bits)
	if err != nil {
		panic(err)
	}
	return g
}

// Group1024 returns the 1024-bit group of RFC 5054 (g = 2). It is too small for new
// deployments and is here for the published test vectors.
func Group1024() *Group { return groupOf(1024) }

// Group1536 returns the 1536-bit group of RFC 5054 (g = 2).
func Group1536() *Group { return groupOf(1536) }

// Group2048 returns the 2048-bit group of RFC 5054 (g = 2), the default of SPEC.md.
func Group2048() *Group { return groupOf(2048) }

// Group3072 returns the 3072-bit group of RFC 5054 (g = 5).
func Group3072() *Group { return groupOf(3072) }

// Group4096 returns the 4096-bit group of RFC 5054 (g = 5).
func Group4096() *Group { return groupOf(4096) }

// Group6144 returns the 6144-bit group of RFC 5054 (g = 5).
func Group6144() *Group { return groupOf(6144) }

// Group8192 returns the 8192-bit group of RFC 5054 (g = 19).
func Group8192() *Group { return groupOf(8192) }

// ErrUnknownGroup is returned by GroupByBits and GroupByName for a size RFC 5054 does not define.
var ErrUnknownGroup = errors.New("srp: unknown group")

// GroupByBits returns the RFC 5054 group whose prime has the given bit length.
func GroupByBits(bits int) (*Group, error) {
	for _, g := range groups {
		if g.bits == bits {
			return g, nil
		}
	}
	return nil, fmt.Errorf("%w: %d bits (want one of 1024, 1536, 2048, 3072, 4096, 6144, 8192)", ErrUnknownGroup, bits)
}

// GroupByName returns the group named as Name reports it ("rfc5054-2048"), or by its
// bit length alone ("2048").
func GroupByName(name string) (*Group, error) {
	for _, g := range groups {
		if g.name == name || fmt.Sprint(g.bits) == name {
			return g, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, name)
}

// GroupByPrime returns the built-in group with this N and g, as a client does when a
// server sends its parameters on the wire.
func GroupByPrime(n, g *big.Int) (*Group, error) {
	for _, gr := range groups {
		if gr.n.Cmp(n) == 0 && gr.g.Cmp(g) == 0 {
			return gr, nil
		}
	}
	return nil, fmt.Errorf("%w: N of %d bits with g = %v is not an RFC 5054 group", ErrUnknownGroup, n.BitLen(), g)
}

// Name returns the group's name, "rfc5054-" followed by its size in bits.
func (g *Group) Name() string { return g.name }

// Bits returns the bit length of N.
func (g *Group) Bits() int { return g.bits }

// Size returns len(N) in bytes: the width of PAD.
func (g *Group) Size() int { return (g.bits + 7) / 8 }

// N returns a copy of the prime.
func (g *Group) N() *big.Int { return new(big.Int).Set(g.n) }

// G returns a copy of the generator.
func (g *Group) G() *big.Int { return new(big.Int).Set(g.g) }

// pad returns x left-padded with zeros to len(N). x must be at most len(N) bytes once
// its leading zeros are dropped.
func (g *Group) pad(x []byte) []byte {
	size := g.Size()
	x = trimZeros(x)
	if len(x) > size {
		panic("srp: value wider than N")
	}
	out := make([]byte, size)
	copy(out[size-len(x):], x)
	return out
}

// nat returns x as a number mod N. It fails for x >= N. Leading zero bytes are
// dropped first; that is variable-time in their count, so callers pass secret values
// at their fixed width (hash size or len(N)), never trimmed by data.
func (g *Group) nat(x []byte) (*bigmod.Nat, error) {
	if len(x) > g.Size() {
		x = trimZeros(x)
	}
	return bigmod.NewNat().SetBytes(x, g.mod)
}

// exp returns base^e mod N in time that depends only on len(e) and the group.
func (g *Group) exp(base *bigmod.Nat, e []byte) *bigmod.Nat {
	return bigmod.NewNat().Exp(base, e, g.mod)
}

// expG returns g^e mod N in constant time, through the fixed-base table when e is short
// enough (every ephemeral and every x is) and through a plain modexp otherwise.
func (g *Group) expG(e []byte) *bigmod.Nat {
	g.fixedOnce.Do(func() { g.fixed = newFixedBase(g.gNat, g.mod, fixedBaseMaxBytes, fixedBaseWindow) })
	if g.fixed.serves(len(e)) {
		return g.fixed.exp(e, g.mod)
	}
	return g.exp(g.gNat, e)
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
