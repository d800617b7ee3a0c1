package steps

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// forgery is a way of making a bearer token the server must refuse with 401
// (SPEC.md section 3: "a malformed, expired or badly signed token, or alg: none")
// out of a valid token of the full role, so that only the forgery, never the
// permissions, decides the answer.
type forgery string

const (
	// forgedSignature is the full token with one character of its signature changed.
	forgedSignature forgery = "broken-signature"
	// forgedAlgNone is the full token's claims under the header {"alg":"none"} with
	// an empty signature (RFC 7519 section 6, the unsecured JWT).
	forgedAlgNone forgery = "alg-none"
	// forgedEmbeddedKey is the full token's claims signed with a P-256 key of the
	// suite's own, whose public half the header carries as "jwk" (RFC 7515 section
	// 4.1.3) under the server's "kid": a server that takes the key to verify with
	// from the token itself (the CVE-2018-0114 class) accepts it.
	forgedEmbeddedKey forgery = "embedded-key"
)

// forgeries are every forgery, in the order the features list them.
var forgeries = []forgery{forgedSignature, forgedAlgNone, forgedEmbeddedKey}

// errNotJWS is returned when the full role's token is not a compact JWS, so no
// forgery of it can be made; the check is then not applicable.
var errNotJWS = errors.New("steps: the full role's token is not a compact JWS (three dot-separated parts)")

// forge returns the forgery f of tok, a valid compact JWS.
func forge(f forgery, tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[2]) < 8 {
		return "", errNotJWS
	}
	switch f {
	case forgedSignature:
		// Change a character in the middle: the last one may only carry padding bits.
		sig := []byte(parts[2])
		i := len(sig) / 2
		if sig[i] == 'A' {
			sig[i] = 'B'
		} else {
			sig[i] = 'A'
		}
		return parts[0] + "." + parts[1] + "." + string(sig), nil
	case forgedAlgNone:
		return b64url([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", nil
	case forgedEmbeddedKey:
		return embedKey(parts[0], parts[1])
	}
	return "", fmt.Errorf("steps: no forgery %q", f)
}

// embedKey signs the claims part with a fresh P-256 key under a header that keeps
// the original's kid and carries the key as jwk.
func embedKey(header, claims string) (string, error) {
	var orig struct {
		Kid string `json:"kid,omitempty"`
	}
	if raw, err := base64.RawURLEncoding.DecodeString(header); err == nil {
		_ = json.Unmarshal(raw, &orig) // no kid is fine: the forgery does without
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	pub, err := key.PublicKey.Bytes() // 0x04 | X | Y, uncompressed
	if err != nil {
		return "", err
	}
	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid,omitempty"`
		JWK any    `json:"jwk"`
	}{"ES256", "JWT", orig.Kid, map[string]string{
		"kty": "EC", "crv": "P-256", "x": b64url(pub[1:33]), "y": b64url(pub[33:]),
	}})
	if err != nil {
		return "", err
	}
	input := b64url(hdr) + "." + claims
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // RFC 7518 section 3.4: R | S, 32 bytes each
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64url(sig), nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
