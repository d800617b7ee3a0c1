package web_test

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/srp/vector"
)

// jsVectorFn recomputes a vector's values with srp.js from its inputs.
const jsVectorFn = `async (v) => {
  const S = RenewkitSRP, h = S.hexToBytes, x = S.bytesToHex;
  const p = new S.Params(S.bytesToBig(h(v.N)), S.bytesToBig(h(v.g)), v.hash, v.profile);
  const I = S.utf8(v.I), P = h(v.P), s = h(v.s), a = h(v.a), b = h(v.b);
  const xx = await p.x(I, P, s);
  const ver = await p.verifier(I, P, s);
  const A = p.computeA(a), B = await p.computeB(ver, b);
  const u = await p.u(A, B);
  const Sc = await p.clientS(B, xx, a, u), Ss = p.serverS(A, ver, u, b);
  const M1 = await p.m1(I, s, A, B, Sc);
  return {k: x(await p.k()), x: x(xx), v: x(ver), A: x(A), B: x(B), u: x(u), Sc: x(Sc), Ss: x(Ss),
          K: x(await p.sessionKey(Sc)), M1: x(M1), M2: x(await p.m2(A, M1, Sc))};
}`

// TestJavaScriptInChromium runs the page's JavaScript against the Go code in one
// headless Chromium: srp.js on the SRP vectors and against the Go server role, and
// policy.js against the Go validator.
func TestJavaScriptInChromium(t *testing.T) {
	ctx := browser(t)
	jsHarness(t, ctx)
	t.Run("srp vectors", func(t *testing.T) { srpVectors(t, ctx) })
	t.Run("go server accepts browser proofs", func(t *testing.T) { goServerAcceptsBrowserProofs(t, ctx) })
	t.Run("checklist matches the go validator", func(t *testing.T) { checklistMatchesGoValidator(t, ctx) })
}

// srpVectors checks that srp.js computes, on every vector in srp/testdata, the
// same values as the Go core, and the values the vector states.
func srpVectors(t *testing.T, ctx context.Context) {
	files := []struct {
		file    string
		profile srp.Profile
	}{
		{"rfc5054-padded-sha256-2048.json", srp.ProfileRFC5054Padded},
		{"srptools-rfc2945.json", srp.ProfileRFC2945},
		{"rfc5054-appendix-b.json", srp.ProfileRFC2945},
	}
	for _, f := range files {
		vs, err := vector.ReadFile(filepath.Join("..", "..", "srp", "testdata", f.file), f.profile)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Run(f.file+"/"+v.Name, func(t *testing.T) {
				p := v.Params
				in := map[string]string{
					"N": hex.EncodeToString(p.Group().N().Bytes()), "g": hex.EncodeToString(p.Group().G().Bytes()),
					"hash": p.HashName(), "profile": string(p.Profile()), "I": string(v.Identity),
					"P": hex.EncodeToString(v.Passcode), "s": hex.EncodeToString(v.Salt),
					"a": hex.EncodeToString(v.A1), "b": hex.EncodeToString(v.B1),
				}
				got := call[map[string]string](t, ctx, jsVectorFn, in)
				goV := vector.Generate(v.Name, p, v.Identity, v.Passcode, v.Salt, v.A1, v.B1)
				checks := []struct {
					name, js string
					goVal    []byte
					stated   []byte
				}{
					{"k", got["k"], goV.K, v.K}, {"x", got["x"], goV.X, v.X}, {"v", got["v"], goV.V, v.V},
					{"A", got["A"], goV.A, v.A}, {"B", got["B"], goV.B, v.B}, {"u", got["u"], goV.U, v.U},
					{"S (client)", got["Sc"], goV.S, v.S}, {"S (server)", got["Ss"], goV.S, v.S},
					{"K", got["K"], goV.SessionKey, v.SessionKey}, {"M1", got["M1"], goV.M1, v.M1},
					{"M2", got["M2"], goV.M2, v.M2},
				}
				for _, c := range checks {
					js, err := hex.DecodeString(c.js)
					if err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					if !sameNumber(js, c.goVal) {
						t.Errorf("%s: srp.js %x, Go %x", c.name, js, c.goVal)
					}
					if c.stated != nil && !sameNumber(js, c.stated) {
						t.Errorf("%s: srp.js %x, vector %x", c.name, js, c.stated)
					}
				}
			})
		}
	}
}

func sameNumber(a, b []byte) bool {
	for len(a) > 0 && a[0] == 0 {
		a = a[1:]
	}
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return string(a) == string(b)
}

// jsProveFn runs the page's client side of one session against a Go server's B and
// keeps the proof object to check m2 later.
const jsProveFn = `async (w) => {
  const S = RenewkitSRP;
  const p = S.paramsFromStart({n: w.n, g: w.g, hashAlgorithm: w.hash}, S.PROFILE_PADDED);
  const I = S.utf8(w.i), salt = S.saltFromWire(w.salt);
  const verifier = await S.newVerifier(p, I, salt, w.newPasscode);
  try {
    const proof = await S.prove(p, I, salt, w.B, w.passcode);
    window.__proof = proof;
    return {a: proof.a, m1: proof.m1, verifier};
  } catch (e) {
    return {error: e.message, verifier};
  }
}`

// goServerAcceptsBrowserProofs runs sessions between srp.js in Chromium and the
// Go server role: two independent implementations that must agree.
func goServerAcceptsBrowserProofs(t *testing.T, ctx context.Context) {
	p := srp.DefaultParams()
	identity, salt := []byte("UGIRW7QN727EIV2XLXG4YH42N4"), []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name     string
		stored   string // the passcode the verifier is made of (Go)
		typed    string // the passcode the browser proves
		newPass  string
		wantOK   bool
		wantNFCV bool // the new verifier must equal Go's for the NFC form
	}{
		{"ascii", "Correct-Horse-9", "Correct-Horse-9", "New-Passcode-1", true, true},
		{"decomposed accents typed", "Caf\u00e9-Cr\u00e8me-1", "Cafe\u0301-Cre\u0300me-1", "Ni\u00f1o-\u00c5ngstr\u00f6m-2", true, true},
		{"wrong passcode", "Correct-Horse-9", "Correct-Horse-8", "New-Passcode-1", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := p.Verifier(identity, []byte(passcode.Normalize(tt.stored)), salt)
			srv, err := p.NewServer(identity, salt, v)
			if err != nil {
				t.Fatal(err)
			}
			wire := map[string]any{
				"n": srp.EncodeInt(p.Pad(p.Group().N().Bytes())), "g": 2, "hash": "SHA-256",
				"i": string(identity), "salt": srp.EncodeSalt(salt), "B": srp.EncodeInt(srv.B()),
				"passcode": tt.typed, "newPasscode": tt.newPass,
			}
			got := call[map[string]string](t, ctx, jsProveFn, wire)
			if got["error"] != "" {
				t.Fatalf("srp.js: %s", got["error"])
			}
			wantV := srp.EncodeInt(p.Verifier(identity, []byte(passcode.Normalize(tt.newPass)), salt))
			if got["verifier"] != wantV {
				t.Errorf("new verifier from srp.js differs from Go's")
			}
			A, err := srp.DecodeInt(got["a"])
			if err != nil {
				t.Fatal(err)
			}
			m1, err := srp.DecodeProof(got["m1"], p.Hash().Size())
			if err != nil {
				t.Fatal(err)
			}
			m2, err := srv.Verify(A, m1)
			if !tt.wantOK {
				if !errors.Is(err, srp.ErrInvalidProof) {
					t.Fatalf("Go server on a wrong passcode: %v, want ErrInvalidProof", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Go server refused the browser's proof: %v", err)
			}
			ok := call[bool](t, ctx, `async (m2) => window.__proof.verifyServer(m2)`, srp.EncodeInt(m2))
			if !ok {
				t.Fatal("srp.js refused the Go server's m2")
			}
			bad := append([]byte(nil), m2...)
			bad[0] ^= 1
			if call[bool](t, ctx, `async (m2) => window.__proof.verifyServer(m2)`, srp.EncodeInt(bad)) {
				t.Fatal("srp.js accepted a wrong m2")
			}
		})
	}
	t.Run("refuses B = 0 mod N", func(t *testing.T) {
		wire := map[string]any{
			"n": srp.EncodeInt(p.Pad(p.Group().N().Bytes())), "g": 2, "hash": "SHA-256",
			"i": string(identity), "salt": srp.EncodeSalt(salt), "B": srp.EncodeInt(p.Pad(p.Group().N().Bytes())),
			"passcode": "x", "newPasscode": "y",
		}
		got := call[map[string]string](t, ctx, jsProveFn, wire)
		if got["error"] == "" {
			t.Fatal("srp.js accepted B = N")
		}
	})
}
