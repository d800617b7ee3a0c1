package steps

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// es256Token signs claims with key as the reference server does, for the forgery tests.
func es256Token(t *testing.T, key *ecdsa.PrivateKey, kid, claims string) string {
	t.Helper()
	input := b64url([]byte(`{"alg":"ES256","kid":"`+kid+`","typ":"JWT"}`)) + "." + b64url([]byte(claims))
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64url(sig)
}

func decodePart(t *testing.T, p string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatalf("part %q is not base64url: %v", p, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("part %q is not a JSON object: %v", raw, err)
	}
	return m
}

// verifies reports whether tok's ES256 signature verifies with pub.
func verifies(tok string, pub *ecdsa.PublicKey) bool {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) != 64 {
		return false
	}
	d := sha256.Sum256([]byte(tok[:i]))
	return ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

func TestForge(t *testing.T) {
	server, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := `{"sub":"full","permissions":["TNT#acme#*"],"exp":4102444800}`
	tok := es256Token(t, server, "k1", claims)
	if !verifies(tok, &server.PublicKey) {
		t.Fatal("the test's own token does not verify")
	}
	for _, f := range forgeries {
		t.Run(string(f), func(t *testing.T) {
			got, err := forge(f, tok)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(got, ".")
			if len(parts) != 3 {
				t.Fatalf("forgery %q has %d parts, want 3", got, len(parts))
			}
			if parts[1] != strings.Split(tok, ".")[1] {
				t.Errorf("the claims changed: only the forgery may decide the answer")
			}
			if verifies(got, &server.PublicKey) {
				t.Errorf("the forgery verifies with the server's key: a correct server would accept it")
			}
			hdr := decodePart(t, parts[0])
			switch f {
			case forgedSignature:
				if parts[0] != strings.Split(tok, ".")[0] || parts[2] == strings.Split(tok, ".")[2] {
					t.Errorf("want the original header and another signature")
				}
			case forgedAlgNone:
				if hdr["alg"] != "none" || parts[2] != "" {
					t.Errorf("header %v, signature %q: want alg none and no signature", hdr, parts[2])
				}
			case forgedEmbeddedKey:
				jwk, _ := hdr["jwk"].(map[string]any)
				if hdr["alg"] != "ES256" || hdr["kid"] != "k1" || jwk == nil {
					t.Fatalf("header %v: want ES256, the original kid and a jwk", hdr)
				}
				x, _ := base64.RawURLEncoding.DecodeString(jwk["x"].(string))
				y, _ := base64.RawURLEncoding.DecodeString(jwk["y"].(string))
				pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
				if err != nil {
					t.Fatalf("the jwk is no P-256 point: %v", err)
				}
				if !verifies(got, pub) {
					t.Errorf("the forgery does not verify with the key it carries: a server trusting jwk would refuse it")
				}
			}
		})
	}
	if _, err := forge(forgedSignature, "not-a-jwt"); !errors.Is(err, errNotJWS) {
		t.Errorf("forge of a non-JWS: err %v, want errNotJWS", err)
	}
}
