package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/target"
)

// variantServer is the server side of one SRP session computed the way variant v
// computes it: B with v's k, S with v's u. It is test code standing in for another
// implementation.
type variantServer struct {
	p       *srp.Params
	v       variant
	b, ver  *big.Int
	B       []byte
	id, slt []byte
}

func newVariantServer(tb testing.TB, p *srp.Params, v variant, identity, salt []byte, pass string) *variantServer {
	tb.Helper()
	grp := p.Group()
	n, g := grp.N(), grp.G()
	ver := new(big.Int).SetBytes(p.Verifier(identity, []byte(pass), salt))
	bb := make([]byte, 32)
	if _, err := rand.Read(bb); err != nil {
		tb.Fatal(err)
	}
	b := new(big.Int).SetBytes(bb)
	kn := knowledge{p: p}
	k := kn.h(n.Bytes(), p.Pad(g.Bytes()))
	if v.kUnpaddedG {
		k = kn.h(n.Bytes(), g.Bytes())
	}
	B := new(big.Int).Mul(new(big.Int).SetBytes(k), ver)
	B.Add(B, new(big.Int).Exp(g, b, n)).Mod(B, n)
	return &variantServer{p: p, v: v, b: b, ver: ver, B: p.Pad(B.Bytes()), id: identity, slt: salt}
}

// premaster is the server's S = (A * v^u)^b with v's u.
func (vs *variantServer) premaster(A []byte) []byte {
	kn := knowledge{p: vs.p, A: A, B: vs.B}
	u := kn.h(vs.p.Pad(A), vs.B)
	if vs.v.uUnpadded {
		u = kn.h(stripZeros(A), stripZeros(vs.B))
	}
	n := vs.p.Group().N()
	base := new(big.Int).Exp(vs.ver, new(big.Int).SetBytes(u), n)
	base.Mul(base, new(big.Int).SetBytes(A)).Mod(base, n)
	return vs.p.Pad(new(big.Int).Exp(base, vs.b, n).Bytes())
}

// m2 is the server's M2 over the M1 it received.
func (vs *variantServer) m2(A, m1 []byte) []byte {
	S := vs.premaster(A)
	kn := knowledge{p: vs.p, identity: vs.id, salt: vs.slt, A: A, B: vs.B}
	return kn.m2(vs.v.m2, m1, S)
}

// TestDiagnoseM2 checks that the offline diagnosis names the variant whose M2 a
// server sent, for each variant a server is known to use.
func TestDiagnoseM2(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	id, salt, pass := []byte("DIAGIDENTITY"), bytes.Repeat([]byte{9}, 16), "Diag-pass-1"
	tests := []struct {
		name string
		v    variant
		keep func(*proof) bool // steers M1 so that the variant shows
		want string
	}{
		{"M1 unpadded inside M2", variant{m2: m2M1Raw}, nil, "M2 = H(PAD(A) | M1 | PAD(S)) with M1 unpadded"},
		{"Java's sign byte", variant{m2: m2M1Java}, func(pr *proof) bool { return pr.M1[0]&0x80 != 0 }, "sign byte"},
		{"rfc2945 M2", variant{m2: m2RFC2945}, nil, "M2 of RFC 2945"},
		{"M2 over the session key", variant{m2: m2Key}, nil, "M2 = H(PAD(A) | M1 | K)"},
		{"k over an unpadded g", variant{kUnpaddedG: true}, nil, "k = H(N | g)"},
		{"u over unpadded A and B", variant{uUnpadded: true}, func(pr *proof) bool { return pr.A[0] == 0 }, "u = H(A | B)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs := newVariantServer(t, p, tc.v, id, salt, pass)
			sp := &api.StartParams{Params: p, Identity: id, Salt: salt, B: vs.B}
			pr, err := newProof(p, sp, pass, tc.keep, 4096)
			if err != nil {
				t.Fatal(err)
			}
			m2 := vs.m2(pr.A, pr.M1)
			if pr.checkM2(srp.EncodeInt(m2)) == nil {
				t.Fatal("the variant's m2 verifies under the SPEC's formulas; the case tests nothing")
			}
			got := diagnoseM2(knowledgeOf(pr), srp.EncodeInt(m2))
			if !strings.Contains(got, tc.want) {
				t.Errorf("diagnosis %q does not name %q", got, tc.want)
			}
		})
	}
	t.Run("no known variant", func(t *testing.T) {
		t.Parallel()
		vs := newVariantServer(t, p, variant{}, id, salt, pass)
		pr, err := newProof(p, &api.StartParams{Params: p, Identity: id, Salt: salt, B: vs.B}, pass, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := sha256.Sum256([]byte("junk"))
		if got := diagnoseM2(knowledgeOf(pr), srp.EncodeInt(junk[:])); !strings.Contains(got, "matches none") {
			t.Errorf("diagnosis of junk: %q", got)
		}
	})
}

// fakeKServer is an authentication endpoint of a server whose k is H(N | g): it
// refuses the SPEC's M1, which the online diagnosis must explain.
func fakeKServer(tb testing.TB, p *srp.Params, userID string, identity, salt []byte, pass string) *httptest.Server {
	tb.Helper()
	var mu sync.Mutex
	sessions := map[string]*variantServer{}
	n := 0
	h := http.NewServeMux()
	h.HandleFunc("POST /api/identity-store/tenants/acme/stores/default/users/{user}/passcodes/authentications/{policy}", func(w http.ResponseWriter, r *http.Request) {
		vs := newVariantServer(tb, p, variant{kUnpaddedG: true}, identity, salt, pass)
		mu.Lock()
		n++
		sid := strings.Repeat("S", 25) + string(rune('A'+n%26))
		sessions[sid] = vs
		mu.Unlock()
		writeJSON(w, 200, api.StartResponse{SessionID: sid, AlgorithmInfo: api.AlgorithmInfo{Type: api.AlgorithmSRP,
			Parameters: api.SRPParameters{I: string(identity), N: srp.EncodeInt(p.Pad(p.Group().N().Bytes())), G: 2,
				HashAlgorithm: api.HashSHA256, Salt: srp.EncodeSalt(salt), ServerPublicKey: srp.EncodeInt(vs.B)}}})
	})
	h.HandleFunc("POST /api/identity-store/tenants/acme/stores/default/passcodes/authentications/sessions/{sid}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		vs := sessions[r.PathValue("sid")]
		delete(sessions, r.PathValue("sid"))
		mu.Unlock()
		var req api.CompleteRequest
		if vs == nil || json.NewDecoder(r.Body).Decode(&req) != nil || req.SRPVerificationData == nil {
			writeJSON(w, 404, api.NewError(api.CodeSessionNotFound, "no"))
			return
		}
		A, _ := srp.DecodeInt(req.SRPVerificationData.A)
		m1, _ := srp.DecodeProof(req.SRPVerificationData.M1, 32)
		S := vs.premaster(A)
		kn := knowledge{p: p, identity: identity, salt: salt, A: A, B: vs.B}
		if !bytes.Equal(m1, kn.m1(m1Spec, S)) {
			writeJSON(w, 400, api.NewError(api.CodeInvalidProof, "no"))
			return
		}
		writeJSON(w, 200, api.CompleteResponse{AlgorithmInfo: &api.AlgorithmInfo{Type: api.AlgorithmSRP,
			Parameters: api.SRPParameters{HashAlgorithm: api.HashSHA256, M2: srp.EncodeInt(kn.m2(m2Spec, m1, S))}},
			User: api.User{ID: userID, ExternalID: "fake", Status: api.StatusActive}})
	})
	hs := httptest.NewServer(h)
	tb.Cleanup(hs.Close)
	return hs
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TestDiagnoseRejected runs the online diagnosis against a server with k = H(N | g):
// the SPEC's M1 is refused, and the diagnosis finds the variant whose M1 passes.
func TestDiagnoseRejected(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	const userID, pass = "FAKEUSER2345FAKEUSER2345AB", "Fake-pass-1"
	identity, salt := []byte("FAKEIDENTITY"), bytes.Repeat([]byte{3}, 16)
	hs := fakeKServer(t, p, userID, identity, salt, pass)
	tg, err := target.Parse([]byte("baseURL: " + hs.URL + "\ntenant: acme\nstore: default\ncapabilities: [admin]\ntokens:\n  full: {clientId: x, clientSecret: y}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg.Tokens[target.RoleFull] = target.Credentials{Token: "fake-token"}
	w, err := newWorld(tg, newCollector(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{w: w, rec: &record{ID: "AUTH-001"}, role: target.RoleFull, tenant: "acme", store: "default", named: map[string]*session{}}
	u := &user{id: userID, ext: "fake", tenant: "acme", store: "default", pass: pass}

	// The SPEC's proof is refused ...
	res, err := s.tryAuth(context.Background(), u, pass)
	if err != nil || res.ok || res.status != 400 {
		t.Fatalf("the fake accepted the SPEC's proof: %+v, %v", res, err)
	}
	// ... and the diagnosis names k.
	got := s.diagnoseRejected(context.Background(), u)
	if !strings.Contains(got, "k = H(N | g)") || !strings.Contains(got, "accepts M1") {
		t.Errorf("diagnosis %q does not name k over an unpadded g", got)
	}
}
