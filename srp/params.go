package srp

import (
	"crypto"
	_ "crypto/sha1" // registers SHA-1 for the published RFC 5054 and srptools vectors
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"fmt"
	"strings"

	"filippo.io/bigmod"
)

// Profile names how the proofs M1 and M2 (and the session key K) are formed. Both
// profiles share k, x, v, A, B, u and S; they differ only in what goes into the proofs.
type Profile string

const (
	// ProfileRFC5054Padded is SPEC.md's default, the proofs of Bouncy Castle's SRP6Util:
	// M1 = H(PAD(A) | PAD(B) | PAD(S)), M2 = H(PAD(A) | PAD(M1) | PAD(S)), K = H(PAD(S)).
	ProfileRFC5054Padded Profile = "rfc5054-padded"
	// ProfileRFC2945 is the proof of RFC 2945 as srptools computes it: K = H(S),
	// M1 = H(H(N) xor H(g) | H(I) | s | A | B | K), M2 = H(A | M1 | K), every number
	// and hash inside the proofs in its minimal big-endian encoding.
	ProfileRFC2945 Profile = "rfc2945"
)

// DefaultProfile is the profile a server uses unless configured otherwise.
const DefaultProfile = ProfileRFC5054Padded

// DefaultHash is the hash of SPEC.md: SHA-256.
const DefaultHash = crypto.SHA256

// EphemeralBytes is the size of the secret exponents a and b: 256 random bits, the
// minimum SPEC.md section 6 allows, which already gives a 128-bit work factor.
const EphemeralBytes = 32

// ErrUnknownProfile is returned by ParseProfile and NewParams for a profile not defined here.
var ErrUnknownProfile = errors.New("srp: unknown profile")

// ErrUnknownHash is returned by ParseHash and NewParams for a hash SRP here does not use.
var ErrUnknownHash = errors.New("srp: unknown hash")

// ParseProfile returns the profile with this name.
func ParseProfile(s string) (Profile, error) {
	switch p := Profile(s); p {
	case ProfileRFC5054Padded, ProfileRFC2945:
		return p, nil
	}
	return "", fmt.Errorf("%w: %q (want %q or %q)", ErrUnknownProfile, s, ProfileRFC5054Padded, ProfileRFC2945)
}

var hashNames = []struct {
	h    crypto.Hash
	name string
}{
	{crypto.SHA1, "SHA-1"},
	{crypto.SHA256, "SHA-256"},
	{crypto.SHA384, "SHA-384"},
	{crypto.SHA512, "SHA-512"},
}

// ParseHash returns the hash named by s: "SHA-256" as the wire writes it, or any
// case and dash variant of it ("sha256", "SHA256").
func ParseHash(s string) (crypto.Hash, error) {
	norm := strings.ReplaceAll(strings.ToUpper(s), "-", "")
	for _, h := range hashNames {
		if strings.ReplaceAll(h.name, "-", "") == norm {
			return h.h, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownHash, s)
}

// HashName returns the wire name of h ("SHA-256"), or "" for a hash not used here.
func HashName(h crypto.Hash) string {
	for _, n := range hashNames {
		if n.h == h {
			return n.name
		}
	}
	return ""
}

// Params is one complete, immutable SRP parameter set: group, hash and profile, with k
// computed once. Safe for concurrent use.
type Params struct {
	group   *Group
	hash    crypto.Hash
	profile Profile
	k       []byte
	kNat    *bigmod.Nat
}

// NewParams returns the parameter set for a group, hash and profile.
func NewParams(g *Group, h crypto.Hash, p Profile) (*Params, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil group", ErrUnknownGroup)
	}
	if HashName(h) == "" || !h.Available() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownHash, h)
	}
	if _, err := ParseProfile(string(p)); err != nil {
		return nil, err
	}
	params := &Params{group: g, hash: h, profile: p}
	params.k = params.h(g.n.Bytes(), g.pad(g.g.Bytes()))
	kNat, err := g.nat(params.k)
	if err != nil {
		return nil, fmt.Errorf("srp: k does not fit N: %w", err)
	}
	params.kNat = kNat
	return params, nil
}

// DefaultParams returns SPEC.md's default: the 2048-bit group, SHA-256, rfc5054-padded.
func DefaultParams() *Params {
	p, err := NewParams(Group2048(), DefaultHash, DefaultProfile)
	if err != nil {
		panic(err)
	}
	return p
}

// Group returns the parameter set's group.
func (p *Params) Group() *Group { return p.group }

// Hash returns the parameter set's hash.
func (p *Params) Hash() crypto.Hash { return p.hash }

// HashName returns the wire name of the parameter set's hash ("SHA-256").
func (p *Params) HashName() string { return HashName(p.hash) }

// Profile returns the parameter set's proof profile.
func (p *Params) Profile() Profile { return p.profile }

// String describes the set for logs and reports, e.g. "rfc5054-2048/SHA-256/rfc5054-padded".
func (p *Params) String() string {
	return p.group.name + "/" + p.HashName() + "/" + string(p.profile)
}

// Pad returns x as an unsigned big-endian number left-padded to len(N): SPEC.md's PAD.
// It panics if x is wider than N once leading zeros are dropped.
func (p *Params) Pad(x []byte) []byte { return p.group.pad(x) }

// h hashes the concatenation of parts.
func (p *Params) h(parts ...[]byte) []byte {
	d := p.hash.New()
	for _, b := range parts {
		d.Write(b)
	}
	return d.Sum(nil)
}
