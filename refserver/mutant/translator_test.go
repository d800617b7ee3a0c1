package mutant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"math/big"
	"net/http"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// srpFaults are the ways a variant computes SRP wrongly (SPEC.md section 6). The zero
// value computes it right.
type srpFaults struct {
	// kUnpaddedG: k = H(N | g) with g as one byte instead of PAD(g).
	kUnpaddedG bool
	// uUnpadded: u = H(A | B) over the minimal encodings instead of PAD(A), PAD(B).
	uUnpadded bool
	// noPublicCheck: A is never refused; the server reduces it mod N and carries on.
	noPublicCheck bool
	// m2UnpaddedM1: M2 = H(PAD(A) | M1 | PAD(S)) instead of PAD(M1).
	m2UnpaddedM1 bool
	// fixedB: b is derived from the user id, so every session of a credential has
	// the same B.
	fixedB bool
	// leakM2: the answer to a wrong M1 is 400 INVALID_PROOF carrying the M2 of S.
	leakM2 bool
	// anyProof: every M1 is accepted.
	anyProof bool
}

// changesB reports whether the variant's B differs from the real server's.
func (f srpFaults) changesB() bool { return f.kUnpaddedG || f.fixedB }

// maths is a variant's SRP, over math/big: plain (not constant-time) arithmetic is
// fine in a test double.
type maths struct {
	f    srpFaults
	p    *srp.Params
	n, g *big.Int
	size int
}

func newMaths(p *srp.Params, f srpFaults) *maths {
	return &maths{f: f, p: p, n: p.Group().N(), g: p.Group().G(), size: p.Group().Size()}
}

// hash is the target's H (SHA-256: the in-process variants run the default profile).
func (m *maths) hash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// pad is SPEC.md's PAD: x big-endian, left-padded to len(N).
func (m *maths) pad(x *big.Int) []byte { return x.FillBytes(make([]byte, m.size)) }

func (m *maths) k() *big.Int {
	g := m.pad(m.g)
	if m.f.kUnpaddedG {
		g = m.g.Bytes()
	}
	return new(big.Int).SetBytes(m.hash(m.n.Bytes(), g))
}

// secret is the b the variant uses for a session.
func (m *maths) secret(sess store.Session) *big.Int {
	if m.f.fixedB {
		return new(big.Int).SetBytes(m.hash([]byte("renewkit mutant fixed b:"), []byte(sess.Tenant), []byte(sess.UserID)))
	}
	return new(big.Int).SetBytes(sess.ServerSecret)
}

// publicB is the variant's B = k*v + g^b mod N.
func (m *maths) publicB(v, b *big.Int) *big.Int {
	B := new(big.Int).Mul(m.k(), v)
	B.Add(B, new(big.Int).Exp(m.g, b, m.n))
	return B.Mod(B, m.n)
}

func (m *maths) u(A, B *big.Int) *big.Int {
	if m.f.uUnpadded {
		return new(big.Int).SetBytes(m.hash(A.Bytes(), B.Bytes()))
	}
	return new(big.Int).SetBytes(m.hash(m.pad(A), m.pad(B)))
}

// decision is how the variant answers one completion.
type decision struct {
	// refusePublic: the variant refuses A, as the real server does.
	refusePublic bool
	// accept: M1 is right under the variant's maths.
	accept bool
	// m2 is the variant's M2 for the client's M1.
	m2 []byte
}

// decide verifies A and M1 under the variant's maths with the verifier v, secret b
// and public B of the session.
func (m *maths) decide(A, m1 []byte, v, b, B *big.Int) decision {
	if !m.f.noPublicCheck && m.p.CheckPublic(A) != nil {
		return decision{refusePublic: true}
	}
	a := new(big.Int).Mod(new(big.Int).SetBytes(A), m.n)
	S := new(big.Int).Exp(v, m.u(a, B), m.n)
	S.Mul(S, a).Mod(S, m.n).Exp(S, b, m.n)
	want := m.hash(m.pad(a), m.pad(B), m.pad(S))
	d := decision{accept: m.f.anyProof || subtle.ConstantTimeCompare(want, m1) == 1}
	m1Enc := m.pad(new(big.Int).SetBytes(m1))
	if m.f.m2UnpaddedM1 {
		m1Enc = m1
	}
	d.m2 = m.hash(m.pad(a), m1Enc, m.pad(S))
	return d
}

// sameAsReal reports whether the variant's maths equals the real server's for this
// A and B, so that the client's own proof decides the same way on both.
func (m *maths) sameAsReal(A []byte, B *big.Int) bool {
	if m.f.changesB() || m.f.anyProof || m.p.CheckPublic(A) != nil {
		return false
	}
	if !m.f.uUnpadded {
		return true
	}
	a := new(big.Int).SetBytes(A)
	return m.u(a, B).Cmp(new(big.Int).SetBytes(m.p.U(m.pad(a), m.pad(B)))) == 0
}

// translator makes next compute SRP as f says. At a start it shows the variant's B;
// at a completion it decides under the variant's maths, then hands the real server
// a completion that the real maths decides the same way (its own proof for a valid
// A when the variant accepts, a proof of zeros when it refuses) and shows the
// variant's M2 in the answer. The real server does everything else.
func translator(e *env, f srpFaults, next http.Handler) http.Handler {
	m := newMaths(e.params, f)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		switch {
		case !ok || rt.flow == api.FlowRegistration:
			next.ServeHTTP(w, r)
		case rt.kind == routeStart:
			m.start(e, w, r, rt, next)
		default:
			m.complete(e, w, r, rt, next)
		}
	})
}

// start shows the variant's B in a start answer.
func (m *maths) start(e *env, w http.ResponseWriter, r *http.Request, rt route, next http.Handler) {
	if !m.f.changesB() {
		next.ServeHTTP(w, r)
		return
	}
	rec := serve(next, r)
	body := rec.Body.Bytes()
	var sr api.StartResponse
	if rec.Code == http.StatusOK && json.Unmarshal(body, &sr) == nil {
		rt.session = sr.SessionID
		if sess, cred, ok := e.lookup(r.Context(), rt); ok {
			B := m.publicB(new(big.Int).SetBytes(cred.Verifier), m.secret(sess))
			body, _ = replaceString(body, "serverPublicKey", srp.EncodeInt(m.pad(B)))
		}
	}
	replay(w, rec, rec.Code, body)
}

// complete decides a completion under the variant's maths.
func (m *maths) complete(e *env, w http.ResponseWriter, r *http.Request, rt route, next http.Handler) {
	body, ok, err := readBody(r)
	if err != nil || !ok {
		next.ServeHTTP(w, r)
		return
	}
	req, ok := canonicalCompletion(body)
	if !ok || req.SRPVerificationData == nil {
		next.ServeHTTP(w, r)
		return
	}
	vd := req.SRPVerificationData
	A, errA := srp.DecodeInt(vd.A)
	m1, errM1 := srp.DecodeProof(vd.M1, m.p.Hash().Size())
	sess, cred, found := e.lookup(r.Context(), rt)
	if errA != nil || errM1 != nil || !found {
		// Shape, encodings, unknown or stale sessions: the real server's answer is
		// the variant's.
		next.ServeHTTP(w, r)
		return
	}
	v := new(big.Int).SetBytes(cred.Verifier)
	b := m.secret(sess)
	B := new(big.Int).SetBytes(sess.ServerPublic)
	if m.f.changesB() {
		B = m.publicB(v, b)
	}
	d := m.decide(A, m1, v, b, B)
	same := m.sameAsReal(A, B)
	switch {
	case d.refusePublic:
		// The real server refuses the same A.
	case d.accept && !same:
		// The real server gets a correct proof of its own, for the client's A or,
		// when only the variant would take that A, for A = 2.
		realA := A
		if m.p.CheckPublic(A) != nil {
			realA = []byte{2}
			vd.A = srp.EncodeInt(m.p.Pad(realA))
		}
		realA = m.p.Pad(realA)
		u := m.p.U(realA, sess.ServerPublic)
		S := m.p.ServerS(realA, cred.Verifier, u, sess.ServerSecret)
		vd.M1 = srp.EncodeInt(m.p.M1([]byte(sess.Identity), sess.Salt, realA, sess.ServerPublic, S))
	case !d.accept && !same:
		// A proof of zeros, which no real M1 equals, for an A the real server takes.
		if m.p.CheckPublic(A) != nil {
			vd.A = srp.EncodeInt(m.p.Pad([]byte{2}))
		}
		vd.M1 = srp.EncodeInt(make([]byte, m.p.Hash().Size()))
	}
	if !same && !d.refusePublic {
		if body, err = json.Marshal(req); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		setBody(r, body)
	}
	rec := serve(next, r)
	out := rec.Body.Bytes()
	switch {
	case rec.Code == http.StatusOK && d.accept:
		out, _ = replaceString(out, "m2", srp.EncodeInt(d.m2))
	case m.f.leakM2 && rec.Code == http.StatusBadRequest && errorCode(out) == api.CodeInvalidProof:
		info, _ := json.Marshal(api.AlgorithmInfo{Type: api.AlgorithmSRP,
			Parameters: api.SRPParameters{HashAlgorithm: m.p.HashName(), M2: srp.EncodeInt(d.m2)}})
		if bytes.HasPrefix(out, []byte("{")) {
			out = append(append(append([]byte(`{"algorithmInfo":`), info...), ','), out[1:]...)
		}
	}
	replay(w, rec, rec.Code, out)
}

// lookup reads the session a route names and its user's credential, without taking
// the session. ok is false unless the session is unexpired, belongs to the route's
// flow, tenant and store, and the credential is the one it started on: every other
// case is the real server's to answer.
func (e *env) lookup(ctx context.Context, rt route) (sess store.Session, cred store.Credential, ok bool) {
	sess, err := e.peekSession(ctx, rt.session)
	if err == nil {
		err = e.srv.Store().View(ctx, func(tx store.Tx) error {
			cred, err = tx.Credential(ctx, sess.Tenant, sess.Store, sess.UserID)
			return err
		})
	}
	return sess, cred, err == nil && sess.Flow == store.Flow(rt.flow) && sess.Tenant == rt.tenant &&
		sess.Store == rt.store && cred.Identity == sess.Identity && cred.Version == sess.CredentialVersion
}
