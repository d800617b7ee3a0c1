package srpclient

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

// Interop diagnosis: when a server's proofs do not match SPEC.md section 6, the
// suite recomputes what the common SRP-6a implementations compute instead and names
// the variant the server's values match. The harness can do this because it is the
// client: it knows a, x, A, B and the M1 it sent.

// m1Form is how an implementation forms the client proof M1.
type m1Form int

const (
	m1Spec     m1Form = iota // H(PAD(A) | PAD(B) | PAD(S)), the SPEC's rfc5054-padded
	m1RFC2945                // H(H(N) xor H(g) | H(I) | s | A | B | K), srptools
	m1Unpadded               // H(A | B | S) with minimal encodings
	m1Key                    // H(PAD(A) | PAD(B) | K) with K = H(PAD(S))
	m1FormCount
)

func (f m1Form) String() string {
	return [...]string{
		"M1 = H(PAD(A) | PAD(B) | PAD(S))",
		"M1 of RFC 2945 (H(H(N) xor H(g) | H(I) | s | A | B | K), as srptools)",
		"M1 = H(A | B | S) over unpadded A, B and S",
		"M1 = H(PAD(A) | PAD(B) | K) over the session key K = H(PAD(S))",
	}[f]
}

// m2Form is how an implementation forms the server proof M2.
type m2Form int

const (
	m2Spec     m2Form = iota // H(PAD(A) | PAD(M1) | PAD(S)), Bouncy Castle's SRP6Util
	m2M1Raw                  // H(PAD(A) | M1 | PAD(S)): M1 not padded to len(N)
	m2M1Java                 // H(PAD(A) | M1 as BigInteger.toByteArray | PAD(S)): Java's sign byte
	m2Unpadded               // H(A | M1 | S) minimal
	m2RFC2945                // H(A | M1 | K) minimal, K = H(S)
	m2Key                    // H(PAD(A) | M1 | K) with K = H(PAD(S))
	m2FormCount
)

func (f m2Form) String() string {
	return [...]string{
		"M2 = H(PAD(A) | PAD(M1) | PAD(S))",
		"M2 = H(PAD(A) | M1 | PAD(S)) with M1 unpadded",
		"M2 = H(PAD(A) | M1 | PAD(S)) with M1 as Java's BigInteger.toByteArray writes it (sign byte)",
		"M2 = H(A | M1 | S) over unpadded values",
		"M2 of RFC 2945 (H(A | M1 | K), as srptools)",
		"M2 = H(PAD(A) | M1 | K) over the session key K = H(PAD(S))",
	}[f]
}

// variant is one combination of choices an implementation can make.
type variant struct {
	kUnpaddedG bool // k = H(N | g) instead of H(N | PAD(g))
	uUnpadded  bool // u = H(A | B) instead of H(PAD(A) | PAD(B))
	m1         m1Form
	m2         m2Form
}

// deviations counts how far v is from the SPEC.
func (v variant) deviations() int {
	n := 0
	for _, d := range []bool{v.kUnpaddedG, v.uUnpadded, v.m1 != m1Spec, v.m2 != m2Spec} {
		if d {
			n++
		}
	}
	return n
}

// describe names what v does differently from the SPEC (only the M1 part when
// m2 is irrelevant).
func (v variant) describe(withM2 bool) string {
	var parts []string
	if v.kUnpaddedG {
		parts = append(parts, "k = H(N | g) with g unpadded (SPEC: H(N | PAD(g)))")
	}
	if v.uUnpadded {
		parts = append(parts, "u = H(A | B) over unpadded A and B (SPEC: H(PAD(A) | PAD(B)))")
	}
	if v.m1 != m1Spec {
		parts = append(parts, v.m1.String())
	}
	if withM2 && v.m2 != m2Spec {
		parts = append(parts, v.m2.String())
	}
	if len(parts) == 0 {
		return "the SPEC's own formulas"
	}
	return strings.Join(parts, "; ")
}

// knowledge is what the client knows about one session.
type knowledge struct {
	p              *srp.Params
	identity, salt []byte
	a, x           []byte
	A, B           []byte
	sentM1         []byte
}

func knowledgeOf(pr *Proof) knowledge {
	return knowledge{p: pr.p, identity: pr.identity, salt: pr.salt, a: pr.a, x: pr.x, A: pr.A, B: pr.B, sentM1: pr.M1}
}

func (kn knowledge) h(parts ...[]byte) []byte {
	h := kn.p.Hash().New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// premaster returns S (PAD'ed) as a server using v's k and u would compute it.
func (kn knowledge) premaster(v variant) []byte {
	g := kn.p.Group()
	n, gen := g.N(), g.G()
	var k []byte
	if v.kUnpaddedG {
		k = kn.h(n.Bytes(), gen.Bytes())
	} else {
		k = kn.h(n.Bytes(), kn.p.Pad(gen.Bytes()))
	}
	var u []byte
	if v.uUnpadded {
		u = kn.h(StripZeros(kn.A), StripZeros(kn.B))
	} else {
		u = kn.h(kn.p.Pad(kn.A), kn.p.Pad(kn.B))
	}
	x := new(big.Int).SetBytes(kn.x)
	gx := new(big.Int).Exp(gen, x, n)
	base := new(big.Int).Mul(new(big.Int).SetBytes(k), gx)
	base.Sub(new(big.Int).SetBytes(kn.B), base)
	base.Mod(base, n)
	e := new(big.Int).Mul(new(big.Int).SetBytes(u), x)
	e.Add(e, new(big.Int).SetBytes(kn.a))
	return kn.p.Pad(new(big.Int).Exp(base, e, n).Bytes())
}

// m1 returns M1 in form f for premaster S.
func (kn knowledge) m1(f m1Form, S []byte) []byte {
	pad := kn.p.Pad
	switch f {
	case m1RFC2945:
		p2945, err := srp.NewParams(kn.p.Group(), kn.p.Hash(), srp.ProfileRFC2945)
		if err != nil {
			return nil
		}
		return p2945.M1(kn.identity, kn.salt, kn.A, kn.B, S)
	case m1Unpadded:
		return kn.h(StripZeros(kn.A), StripZeros(kn.B), StripZeros(S))
	case m1Key:
		return kn.h(pad(kn.A), pad(kn.B), kn.h(pad(S)))
	}
	return kn.h(pad(kn.A), pad(kn.B), pad(S))
}

// m2 returns M2 in form f for M1 and premaster S.
func (kn knowledge) m2(f m2Form, m1, S []byte) []byte {
	pad := kn.p.Pad
	switch f {
	case m2M1Raw:
		return kn.h(pad(kn.A), m1, pad(S))
	case m2M1Java:
		return kn.h(pad(kn.A), javaBytes(m1), pad(S))
	case m2Unpadded:
		return kn.h(StripZeros(kn.A), StripZeros(m1), StripZeros(S))
	case m2RFC2945:
		return kn.h(StripZeros(kn.A), StripZeros(m1), kn.h(StripZeros(S)))
	case m2Key:
		return kn.h(pad(kn.A), m1, kn.h(pad(S)))
	}
	return kn.h(pad(kn.A), pad(m1), pad(S))
}

// javaBytes is BigInteger.toByteArray of the unsigned number b: minimal, with a
// leading 0x00 when the top bit is set.
func javaBytes(b []byte) []byte {
	b = StripZeros(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// variants returns every combination, the SPEC's first and then by how far each is
// from it, so that the simplest explanation is named first.
func variants() []variant {
	var out []variant
	for d := 0; d <= 4; d++ {
		for _, k := range []bool{false, true} {
			for _, u := range []bool{false, true} {
				for m1 := range m1FormCount {
					for m2 := range m2FormCount {
						v := variant{kUnpaddedG: k, uUnpadded: u, m1: m1, m2: m2}
						if v.deviations() == d {
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

// DiagnoseM2 explains a server's m2 that did not verify against pr's session: it
// names the variant whose M2 equals it, or says that none does. wire is the m2 as
// sent.
func DiagnoseM2(pr *Proof, wire string) string { return diagnoseM2(knowledgeOf(pr), wire) }

// diagnoseM2 explains a server's m2 that did not verify: it names the variant
// whose M2 equals it, or says that none does. wire is the m2 as sent.
func diagnoseM2(kn knowledge, wire string) string {
	size := kn.p.Hash().Size()
	got, err := srp.DecodeProof(wire, size)
	if err != nil {
		raw, rerr := srp.DecodeInt(wire)
		if rerr != nil {
			return fmt.Sprintf("m2 is not base64 (%v)", err)
		}
		return fmt.Sprintf("m2 decodes to %d bytes, not a %d-byte hash in any integer encoding SPEC section 6 allows", len(raw), size)
	}
	premasters := map[[2]bool][]byte{}
	var tried int
	var matches []variant
	for _, v := range variants() {
		if len(matches) > 0 && v.deviations() > matches[0].deviations() {
			break // only the simplest explanations
		}
		key := [2]bool{v.kUnpaddedG, v.uUnpadded}
		S, ok := premasters[key]
		if !ok {
			S = kn.premaster(v)
			premasters[key] = S
		}
		// The server may form M2 over the M1 the client sent (having accepted it)
		// or over its own M1; try both.
		for _, m1 := range [][]byte{kn.sentM1, kn.m1(v.m1, S)} {
			tried++
			if m1 != nil && subtle.ConstantTimeCompare(kn.m2(v.m2, m1, S), got) == 1 {
				matches = append(matches, v)
				break
			}
		}
	}
	if len(matches) > 0 {
		if matches[0].deviations() == 0 {
			return "m2 matches the SPEC's formula once decoded leniently; check its encoding"
		}
		msg := "the server's m2 matches " + matches[0].describe(true)
		if len(matches) > 1 {
			var others []string
			for _, v := range matches[1:] {
				others = append(others, v.describe(true))
			}
			msg += " (for this session's values it equally matches: " + strings.Join(others, " | ") + ")"
		}
		return msg
	}
	return fmt.Sprintf("the server's m2 matches none of the %d known variants (k over PAD(g) or g; u over padded or unpadded A and B; M1 and M2 of the SPEC, RFC 2945, unpadded, with Java's sign byte, over K)", tried)
}

// m1Candidates are the M1 variants an online diagnosis tries, most common first.
func m1Candidates() []variant {
	return []variant{
		{m1: m1RFC2945},
		{kUnpaddedG: true},
		{uUnpadded: true},
		{m1: m1Unpadded},
		{kUnpaddedG: true, uUnpadded: true},
		{m1: m1Key},
	}
}

// variantM1 returns the M1 a server of variant v accepts for this session.
func variantM1(kn knowledge, v variant) []byte {
	return kn.m1(v.m1, kn.premaster(v))
}

// DiagnoseRejected explains why a server refused the SPEC's M1: it tries the M1 of
// the common variants, most common first, each in a new authentication session of
// user (with c, the policy and pass), at most tries of them, and names the one the
// server accepts. A caller under a lockout keeps tries below the attempts left (a
// successful authentication resets the count). "" when it could try none.
func DiagnoseRejected(ctx context.Context, c *api.Client, profile srp.Profile, store string, user api.UserRef, policy, pass string, tries int) string {
	cands := m1Candidates()
	cands = cands[:min(len(cands), max(tries, 0))]
	var tried []string
	for _, v := range cands {
		sr, _, err := c.Start(ctx, api.FlowAuthentication, store, user, policy)
		if err != nil {
			break
		}
		sp, err := api.ParseStart(sr, profile, true)
		if err != nil {
			break
		}
		pr, err := NewProof(sp.Params, sp, pass, nil, 0)
		if err != nil {
			break
		}
		kn := knowledgeOf(pr)
		m1 := variantM1(kn, v)
		kn.sentM1 = m1
		cr, _, err := c.Complete(ctx, api.FlowAuthentication, store, sr.SessionID,
			api.CompleteRequest{SRPVerificationData: &api.SRPVerificationData{A: srp.EncodeInt(pr.A), M1: srp.EncodeInt(m1)}})
		tried = append(tried, v.describe(false))
		if err != nil {
			continue
		}
		msg := "the server accepts M1 computed with " + v.describe(false) + " instead of the SPEC's"
		if cr.AlgorithmInfo != nil {
			msg += "; its m2: " + diagnoseM2(kn, cr.AlgorithmInfo.Parameters.M2)
		}
		return msg
	}
	if len(tried) == 0 {
		return ""
	}
	return fmt.Sprintf("the server refused the SPEC's M1 and the M1 of %d other variants: %s", len(tried), strings.Join(tried, " | "))
}
