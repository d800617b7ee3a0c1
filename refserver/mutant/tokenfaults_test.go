package mutant

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Token faults that a server makes in one place: a verification that one group of
// routes skips, or a key taken from the token itself. Each still refuses no token,
// an expired one and one without the permission, so only a check that sends a
// forged token where the fault is can catch it.

// completionsUnverified decodes the token of the three completion routes without
// verifying its signature, as a handler that reads the claims with a
// parse-unverified call (to find the caller's permissions) before the middleware
// that verifies them is mounted on its route group would (SPEC.md section 3: a badly
// signed token or alg none is 401). exp and the permissions are still checked.
func completionsUnverified(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := parseRoute(r); ok && rt.kind == routeComplete {
			if c, ok := unverifiedClaims(r.Header.Get("Authorization")); ok {
				e.grant(r, c.Subject, c.Permissions)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// unverifiedClaims reads an unexpired token's sub and permissions without looking
// at its header or signature.
func unverifiedClaims(header string) (*claims, bool) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return nil, false
	}
	var mc jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &mc); err != nil {
		return nil, false
	}
	return claimsOf(mc)
}

// claimsOf is the sub and permissions of unexpired claims.
func claimsOf(mc jwt.MapClaims) (*claims, bool) {
	c, err := claimsFrom(mc)
	return c, err == nil && !c.Expired
}

// embeddedKeyTrusted verifies an ES256 token that carries a "jwk" header with that
// key instead of the server's, as a library configured to resolve the key from the
// token does (RFC 7515 section 4.1.3; CVE-2018-0114). Tokens without jwk are the
// real server's to judge.
func embeddedKeyTrusted(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			var mc jwt.MapClaims
			_, err := jwt.ParseWithClaims(raw, &mc, keyFromHeader,
				jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithoutClaimsValidation())
			if c, fresh := claimsOf(mc); err == nil && fresh {
				e.grant(r, c.Subject, c.Permissions)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// keyFromHeader is the P-256 key of a token's jwk header.
func keyFromHeader(t *jwt.Token) (any, error) {
	m, _ := t.Header["jwk"].(map[string]any)
	x, _ := m["x"].(string)
	y, _ := m["y"].(string)
	xb, errX := base64.RawURLEncoding.DecodeString(x)
	yb, errY := base64.RawURLEncoding.DecodeString(y)
	if m == nil || errX != nil || errY != nil {
		return nil, errors.New("mutant: no jwk header")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, xb...), yb...))
}
