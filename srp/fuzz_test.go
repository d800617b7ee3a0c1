package srp

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testVector is one vector of srp/testdata, whichever of its two layouts it came in:
// srptools' and RFC 5054's "testVectors" (hex with spaces) or the Bouncy Castle
// file's "vectors" (P as P_hex). See testdata/README.md for each file's origin.
type testVector map[string]string

// readVectors returns every vector of srp/testdata/*.json. It is written here, not
// taken from srp/vector, which imports this package.
func readVectors(tb testing.TB) []testVector {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no vectors in testdata: %v", err)
	}
	var out []testVector
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			TestVectors []map[string]any `json:"testVectors"`
			Vectors     []map[string]any `json:"vectors"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		for _, raw := range append(doc.TestVectors, doc.Vectors...) {
			v := testVector{}
			for k, x := range raw {
				if s, ok := x.(string); ok {
					v[k] = s
				}
			}
			out = append(out, v)
		}
	}
	return out
}

// bytes returns the field as bytes, nil when the vector lacks it. P is text in the
// srptools layout and hex (P_hex) in Bouncy Castle's; every other field is hex.
func (v testVector) bytes(tb testing.TB, field string) []byte {
	tb.Helper()
	if field == "P" {
		if p, ok := v["P"]; ok {
			return []byte(p)
		}
		field = "P_hex"
	}
	s, ok := v[field]
	if !ok {
		return nil
	}
	if field == "I" {
		return []byte(s)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("vector field %s: %v", field, err)
	}
	return b
}

// vectorValues returns every value of these fields across the vectors.
func vectorValues(tb testing.TB, fields ...string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, v := range readVectors(tb) {
		for _, f := range fields {
			if b := v.bytes(tb, f); b != nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// FuzzDecodeInt: an error is ErrEncoding, and whatever the lenient decoder accepts
// re-encodes to an accepted string with the same bytes. Seeded with the vectors'
// public values as the wire writes them, in each of the encodings the decoder takes.
func FuzzDecodeInt(f *testing.F) {
	for _, b := range vectorValues(f, "A", "B", "v", "M1", "M2") {
		f.Add(EncodeInt(b))
		f.Add(strings.TrimRight(EncodeInt(b), "="))
		f.Add(EncodeSalt(b))
	}
	for _, s := range []string{"", "==", "+-8=", "AQ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeInt(s)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v is not ErrEncoding", err)
			}
			return
		}
		again, err := DecodeInt(EncodeInt(b))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of %x failed: %x, %v", b, again, err)
		}
	})
}

// FuzzDecodeProof: an accepted proof comes back at exactly the hash size, holds the
// same number as DecodeInt reads from the string, and re-encodes to itself. Seeded
// with the vectors' M1 and M2 at their hash sizes.
func FuzzDecodeProof(f *testing.F) {
	for _, b := range vectorValues(f, "M1", "M2") {
		f.Add(EncodeInt(b), len(b))
		f.Add(EncodeSalt(b), len(b))
		f.Add(EncodeInt(append([]byte{0}, b...)), len(b))
	}
	f.Add("AQI", 20)
	f.Fuzz(func(t *testing.T, s string, size int) {
		if size <= 0 || size > 128 {
			return
		}
		b, err := DecodeProof(s, size)
		if err != nil {
			return
		}
		if len(b) != size {
			t.Fatalf("DecodeProof returned %d bytes, want %d", len(b), size)
		}
		raw, err := DecodeInt(s)
		if err != nil || new(big.Int).SetBytes(raw).Cmp(new(big.Int).SetBytes(b)) != 0 {
			t.Fatalf("DecodeProof(%q) = %x, DecodeInt reads %x, %v", s, b, raw, err)
		}
		again, err := DecodeProof(EncodeInt(b), size)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of %x failed: %x, %v", b, again, err)
		}
	})
}

// FuzzDecodeSalt: accepted salts are at least MinSaltBytes and round-trip through
// EncodeSalt. Seeded with the vectors' salts.
func FuzzDecodeSalt(f *testing.F) {
	for _, b := range vectorValues(f, "s") {
		f.Add(EncodeSalt(b))
		f.Add(EncodeInt(b))
	}
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	f.Add("short")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeSalt(s)
		if err != nil {
			return
		}
		if len(b) < MinSaltBytes {
			t.Fatalf("salt of %d bytes accepted", len(b))
		}
		again, err := DecodeSalt(EncodeSalt(b))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of %x failed: %x, %v", b, again, err)
		}
	})
}

// FuzzServerVerify feeds arbitrary A and M1 to a server session. Whatever arrives, the
// server must not panic, and must never accept: the fuzzer does not know the passcode.
// Seeded with the vectors' A and M1 (proofs for other passcodes and groups) and the
// edge values of A.
func FuzzServerVerify(f *testing.F) {
	p, err := NewParams(Group1024(), crypto.SHA256, ProfileRFC5054Padded)
	if err != nil {
		f.Fatal(err)
	}
	identity, salt := []byte("alice"), bytes.Repeat([]byte{0x5a}, 32)
	v := p.Verifier(identity, []byte("the real passcode"), salt)
	n := p.Group().N().Bytes()
	for _, tv := range readVectors(f) {
		if A, m1 := tv.bytes(f, "A"), tv.bytes(f, "M1"); A != nil && m1 != nil {
			f.Add(A, m1)
		}
	}
	f.Add([]byte{0}, make([]byte, 32))
	f.Add([]byte{1}, make([]byte, 32))
	f.Add(n, make([]byte, 32))
	f.Add(append([]byte{0}, n...), bytes.Repeat([]byte{1}, 33))
	f.Add(bytes.Repeat([]byte{0xff}, 200), []byte{})
	f.Fuzz(func(t *testing.T, A, m1 []byte) {
		srv, err := p.NewServer(identity, salt, v)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := srv.Verify(A, m1)
		if err == nil || m2 != nil {
			t.Fatalf("server accepted A=%x M1=%x without the passcode", A, m1)
		}
		if !errors.Is(err, ErrInvalidPublicValue) && !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// plainH is SHA-256 over the concatenation, for the independent oracle below.
func plainH(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// plainPad writes x big-endian in exactly size bytes.
func plainPad(x *big.Int, size int) []byte { return x.FillBytes(make([]byte, size)) }

// FuzzClientProof feeds arbitrary B to the client of the Bouncy Castle vector
// alice-password123 (testdata/rfc5054-padded-sha256-2048.json: RFC 5054 2048-bit
// group, SHA-256, the inputs of srptools' vector, rfc5054-padded profile) and checks
// Proof against the SRP-6a formulas written out here with math/big and crypto/sha256,
// none of this package's code: B with B mod N = 0, B >= N or u = 0 is refused, and
// every other B gives M1 = H(PAD(A) | PAD(B) | PAD(S)), S = (B - k g^x)^(a + u x).
// The oracle's k, x, A and, for the vector's own B, M1 are first checked against the
// vector, so the oracle is anchored in published values.
func FuzzClientProof(f *testing.F) {
	var tv testVector
	for _, v := range readVectors(f) {
		if v["name"] == "alice-password123" {
			tv = v
		}
	}
	if tv == nil {
		f.Fatal("vector alice-password123 missing from testdata")
	}
	p, err := NewParams(Group2048(), crypto.SHA256, ProfileRFC5054Padded)
	if err != nil {
		f.Fatal(err)
	}
	identity, pass, salt, a := tv.bytes(f, "I"), tv.bytes(f, "P"), tv.bytes(f, "s"), tv.bytes(f, "a")

	// The oracle: RFC 5054 section 2.5 and 2.6 with the PAD of SPEC.md section 6.
	N, g := p.Group().N(), big.NewInt(2)
	size := len(N.Bytes())
	k := new(big.Int).SetBytes(plainH(N.Bytes(), plainPad(g, size)))
	x := new(big.Int).SetBytes(plainH(salt, plainH(identity, []byte(":"), pass)))
	an := new(big.Int).SetBytes(a)
	A := plainPad(new(big.Int).Exp(g, an, N), size)
	for field, got := range map[string][]byte{"k": plainPad(k, 32), "x": plainPad(x, 32), "A": A} {
		if want := tv.bytes(f, field); !bytes.Equal(got, want) {
			f.Fatalf("oracle's %s = %x, the vector has %x", field, got, want)
		}
	}
	gx := new(big.Int).Exp(g, x, N)
	oracle := func(B []byte) []byte {
		bn := new(big.Int).SetBytes(B)
		if bn.Sign() == 0 || bn.Cmp(N) >= 0 {
			return nil
		}
		u := new(big.Int).SetBytes(plainH(A, plainPad(bn, size)))
		if u.Sign() == 0 {
			return nil
		}
		base := new(big.Int).Sub(bn, new(big.Int).Mul(k, gx))
		base.Mod(base, N)
		e := new(big.Int).Add(an, new(big.Int).Mul(u, x))
		S := new(big.Int).Exp(base, e, N)
		return plainH(A, plainPad(bn, size), plainPad(S, size))
	}
	vecB, vecM1 := tv.bytes(f, "B"), tv.bytes(f, "M1")
	if got := oracle(vecB); !bytes.Equal(got, vecM1) {
		f.Fatalf("oracle's M1 = %x, the vector has %x", got, vecM1)
	}

	for _, B := range vectorValues(f, "B") {
		f.Add(B)
	}
	f.Add(append([]byte{0, 0}, vecB...))
	f.Add([]byte{0})
	f.Add([]byte{})
	f.Add(N.Bytes())
	f.Add(new(big.Int).Add(N, new(big.Int).SetBytes(vecB)).Bytes())
	f.Add(new(big.Int).Sub(N, big.NewInt(1)).Bytes())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, B []byte) {
		e, err := p.newEphemeral(bytes.NewReader(a))
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClientWith(p.NewSecret(identity, pass, salt), e)
		if err != nil {
			t.Fatal(err)
		}
		m1, err := c.Proof(B)
		want := oracle(B)
		switch {
		case want == nil && err == nil:
			t.Fatalf("client accepted B=%x, which SRP-6a refuses", B)
		case want == nil && !errors.Is(err, ErrInvalidPublicValue):
			t.Fatalf("B=%x refused with %v, want ErrInvalidPublicValue", B, err)
		case want != nil && err != nil:
			t.Fatalf("client refused B=%x, which SRP-6a accepts: %v", B, err)
		case want != nil && !bytes.Equal(m1, want):
			t.Fatalf("M1 for B=%x is %x, the plain formulas give %x", B, m1, want)
		}
	})
}
