package srpclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

// variantServer is the server side of one SRP session computed the way variant v
// computes it: B with v's k, S with v's u, M2 in v's form. It is test code standing in
// for another implementation, so it is written out here with math/big and
// crypto/sha256 from RFC 5054 section 2.5-2.6 and the variants' descriptions, sharing
// nothing with the diagnosis it tests (knowledge.h, .premaster, .m2). p must use
// SHA-256. newVariantServer first checks that these plain formulas give the Bouncy
// Castle vector alice-password123 (srp/testdata/rfc5054-padded-sha256-2048.json), so
// the expected values rest on published ones.
type variantServer struct {
	p       *srp.Params
	v       variant
	b, ver  *big.Int
	B       []byte
	id, slt []byte
}

// sha is SHA-256 over the concatenation.
func sha(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// plainPad writes x big-endian in size bytes.
func plainPad(x *big.Int, size int) []byte { return x.FillBytes(make([]byte, size)) }

// minimal writes x with no leading zero bytes.
func minimal(b []byte) []byte { return new(big.Int).SetBytes(b).Bytes() }

func newVariantServer(tb testing.TB, p *srp.Params, v variant, identity, salt []byte, pass string) *variantServer {
	tb.Helper()
	bb := make([]byte, 32)
	if _, err := rand.Read(bb); err != nil {
		tb.Fatal(err)
	}
	return plainVariantServer(p, v, identity, salt, pass, new(big.Int).SetBytes(bb))
}

func plainVariantServer(p *srp.Params, v variant, identity, salt []byte, pass string, b *big.Int) *variantServer {
	n, g := p.Group().N(), p.Group().G()
	size := len(n.Bytes())
	x := new(big.Int).SetBytes(sha(salt, sha(identity, []byte(":"), []byte(pass))))
	ver := new(big.Int).Exp(g, x, n)
	k := new(big.Int).SetBytes(sha(n.Bytes(), plainPad(g, size)))
	if v.kUnpaddedG {
		k = new(big.Int).SetBytes(sha(n.Bytes(), g.Bytes()))
	}
	B := new(big.Int).Mul(k, ver)
	B.Add(B, new(big.Int).Exp(g, b, n)).Mod(B, n)
	return &variantServer{p: p, v: v, b: b, ver: ver, B: plainPad(B, size), id: identity, slt: salt}
}

// premaster is the server's S = (A * v^u)^b with v's u, padded to len(N).
func (vs *variantServer) premaster(A []byte) []byte {
	n := vs.p.Group().N()
	size := len(n.Bytes())
	an := new(big.Int).SetBytes(A)
	u := sha(plainPad(an, size), vs.B)
	if vs.v.uUnpadded {
		u = sha(minimal(A), minimal(vs.B))
	}
	base := new(big.Int).Exp(vs.ver, new(big.Int).SetBytes(u), n)
	base.Mul(base, an).Mod(base, n)
	return plainPad(new(big.Int).Exp(base, vs.b, n), size)
}

// m2 is the server's M2 over the M1 it received, in v's form.
func (vs *variantServer) m2(A, m1 []byte) []byte {
	S := vs.premaster(A)
	size := len(S)
	padA, padM1 := plainPad(new(big.Int).SetBytes(A), size), plainPad(new(big.Int).SetBytes(m1), size)
	switch vs.v.m2 {
	case m2M1Raw:
		return sha(padA, m1, S)
	case m2M1Java:
		java := minimal(m1)
		if len(java) > 0 && java[0]&0x80 != 0 {
			java = append([]byte{0}, java...)
		}
		return sha(padA, java, S)
	case m2Unpadded:
		return sha(minimal(A), minimal(m1), minimal(S))
	case m2RFC2945:
		return sha(minimal(A), minimal(m1), sha(minimal(S)))
	case m2Key:
		return sha(padA, m1, sha(S))
	}
	return sha(padA, padM1, S)
}

// TestVariantServerVector anchors variantServer in the Bouncy Castle vector: with the
// vector's inputs and b, the plain formulas give its v, B, S and M2.
func TestVariantServerVector(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "srp", "testdata", "rfc5054-padded-sha256-2048.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Vectors []map[string]string }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	p := srp.DefaultParams()
	for _, tv := range doc.Vectors {
		if tv["name"] != "alice-password123" {
			continue
		}
		hx := func(field string) []byte {
			b, err := hex.DecodeString(tv[field])
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		pass := hx("P_hex")
		vs := plainVariantServer(p, variant{}, []byte(tv["I"]), hx("s"), string(pass), new(big.Int).SetBytes(hx("b")))
		for field, got := range map[string][]byte{
			"v": plainPad(vs.ver, len(vs.B)), "B": vs.B, "S": vs.premaster(hx("A")), "M2": vs.m2(hx("A"), hx("M1")),
		} {
			if !bytes.Equal(got, hx(field)) {
				t.Errorf("%s = %x, the vector has %x", field, got, hx(field))
			}
		}
		return
	}
	t.Fatal("vector alice-password123 missing")
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
		keep func(*Proof) bool // steers M1 so that the variant shows
		want string
	}{
		{"M1 unpadded inside M2", variant{m2: m2M1Raw}, nil, "M2 = H(PAD(A) | M1 | PAD(S)) with M1 unpadded"},
		{"Java's sign byte", variant{m2: m2M1Java}, func(pr *Proof) bool { return pr.M1[0]&0x80 != 0 }, "sign byte"},
		{"rfc2945 M2", variant{m2: m2RFC2945}, nil, "M2 of RFC 2945"},
		{"M2 over the session key", variant{m2: m2Key}, nil, "M2 = H(PAD(A) | M1 | K)"},
		{"k over an unpadded g", variant{kUnpaddedG: true}, nil, "k = H(N | g)"},
		{"u over unpadded A and B", variant{uUnpadded: true}, func(pr *Proof) bool { return pr.A[0] == 0 }, "u = H(A | B)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs := newVariantServer(t, p, tc.v, id, salt, pass)
			sp := &api.StartParams{Params: p, Identity: id, Salt: salt, B: vs.B}
			pr, err := NewProof(p, sp, pass, tc.keep, 4096)
			if err != nil {
				t.Fatal(err)
			}
			m2 := vs.m2(pr.A, pr.M1)
			if pr.CheckM2(srp.EncodeInt(m2)) == nil {
				t.Fatal("the variant's m2 verifies under the SPEC's formulas; the case tests nothing")
			}
			got := DiagnoseM2(pr, srp.EncodeInt(m2))
			if !strings.Contains(got, tc.want) {
				t.Errorf("diagnosis %q does not name %q", got, tc.want)
			}
		})
	}
	t.Run("no known variant", func(t *testing.T) {
		t.Parallel()
		vs := newVariantServer(t, p, variant{}, id, salt, pass)
		pr, err := NewProof(p, &api.StartParams{Params: p, Identity: id, Salt: salt, B: vs.B}, pass, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := sha256.Sum256([]byte("junk"))
		if got := DiagnoseM2(pr, srp.EncodeInt(junk[:])); !strings.Contains(got, "matches none") {
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
	c, err := api.NewClient(hs.URL, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c.AccessToken = "fake-token"
	user := api.ByID(userID)

	// The SPEC's proof is refused ...
	sr, _, err := c.Start(context.Background(), api.FlowAuthentication, "default", user, "standard")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := api.ParseStart(sr, p.Profile(), true)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewProof(p, sp, pass, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, ex, err := c.Complete(context.Background(), api.FlowAuthentication, "default", sr.SessionID, api.CompleteRequest{SRPVerificationData: pr.Data()})
	if err == nil || ex == nil || ex.Status != 400 {
		t.Fatalf("the fake accepted the SPEC's proof: %v, %v", ex, err)
	}
	// ... and the diagnosis names k.
	got := DiagnoseRejected(context.Background(), c, p.Profile(), "default", user, "standard", pass, 10)
	if !strings.Contains(got, "k = H(N | g)") || !strings.Contains(got, "accepts M1") {
		t.Errorf("diagnosis %q does not name k over an unpadded g", got)
	}
	// With no tries left (a lockout near), it tries nothing and says nothing.
	if got := DiagnoseRejected(context.Background(), c, p.Profile(), "default", user, "standard", pass, 0); got != "" {
		t.Errorf("diagnosis with no tries: %q", got)
	}
}
