package refserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fixedClock is an injectable clock for tests.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func newTestTokens(tb testing.TB, clock *fixedClock) *tokenService {
	tb.Helper()
	ts, err := newTokenService(nil, "https://issuer.test", time.Hour, clock.now)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Unix(1_800_000_000, 0)}
	ts := newTestTokens(t, clock)
	other := newTestTokens(t, clock)
	good, err := ts.issue("acme-full", []string{"TNT#acme#*"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.issue("globex-full", []string{"TNT#globex#*"})
	if err != nil {
		t.Fatal(err)
	}
	otherIssuer, err := newTokenService(ts.key, "https://elsewhere.test", time.Hour, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	wrongIss, err := otherIssuer.issue("acme-full", nil)
	if err != nil {
		t.Fatal(err)
	}

	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "https://issuer.test", "sub": "acme-full",
			"iat": clock.t.Unix(), "exp": exp.Unix(),
			"permissions": []string{"TNT#acme#*"},
		}
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(clock.t.Add(time.Hour))).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HS256 keyed with the public key bytes: the classic algorithm-confusion forgery.
	pubDER, err := x509.MarshalPKIXPublicKey(&ts.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(clock.t.Add(time.Hour))).SignedString(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c jwt.Claims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodES256, c).SignedString(ts.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	expired := sign(claims(clock.t.Add(-time.Second)))
	noExp := sign(jwt.MapClaims{"iss": "https://issuer.test", "sub": "x", "iat": clock.t.Unix()})
	noSub := sign(jwt.MapClaims{"iss": "https://issuer.test", "iat": clock.t.Unix(), "exp": clock.t.Add(time.Hour).Unix()})
	future := sign(jwt.MapClaims{"iss": "https://issuer.test", "sub": "x", "iat": clock.t.Add(time.Hour).Unix(), "exp": clock.t.Add(2 * time.Hour).Unix()})
	parts := strings.Split(good, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[5] ^= 1
	tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	payloadSwap := parts[0] + "." + strings.Split(foreign, ".")[1] + "." + parts[2]

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", good, true},
		{"empty", "", false},
		{"garbage", "not-a-jwt", false},
		{"two parts", parts[0] + "." + parts[1], false},
		{"alg none", none, false},
		{"hs256 with public key", hs, false},
		{"expired", expired, false},
		{"no exp", noExp, false},
		{"no sub", noSub, false},
		{"issued in the future", future, false},
		{"bad signature", tampered, false},
		{"other key", foreign, false},
		{"wrong issuer", wrongIss, false},
		{"payload swapped", payloadSwap, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ts.verify(tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if c.Subject != "acme-full" || len(c.Permissions) != 1 || c.Permissions[0] != "TNT#acme#*" {
					t.Fatalf("claims = %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("verify error = %v, want ErrBadToken", err)
			}
		})
	}
}

func TestTokenExpiresWithClock(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Unix(1_800_000_000, 0)}
	ts := newTestTokens(t, clock)
	tok, err := ts.issue("c", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.verify(tok); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	clock.t = clock.t.Add(time.Hour + time.Second)
	if _, err := ts.verify(tok); !errors.Is(err, ErrBadToken) {
		t.Fatalf("expired token error = %v", err)
	}
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		perms  []string
		tenant string
		op     string
		want   bool
	}{
		{"exact", []string{"TNT#acme#completePasscodeRenewal"}, "acme", "completePasscodeRenewal", true},
		{"wildcard", []string{"TNT#acme#*"}, "acme", "IdentityStore:admin", true},
		{"other op", []string{"TNT#acme#completePasscodeRenewal"}, "acme", "createPasscodeRenewalForUser", false},
		{"other tenant", []string{"TNT#acme#*"}, "globex", "completePasscodeRenewal", false},
		{"tenant prefix", []string{"TNT#acme#*"}, "acm", "x", false},
		{"case differs", []string{"TNT#ACME#*"}, "acme", "x", false},
		{"hash in tenant", []string{"TNT#a#b#*"}, "a#b", "x", false},
		{"none", nil, "acme", "x", false},
		{"empty tenant", []string{"TNT##*"}, "", "x", false},
		{"global star is not a grant", []string{"*"}, "acme", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := allowed(tt.perms, tt.tenant, tt.op); got != tt.want {
				t.Fatalf("allowed(%v, %q, %q) = %v", tt.perms, tt.tenant, tt.op, got)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  string
		want    string
		wantErr error
	}{
		{"bearer", "Bearer abc", "abc", nil},
		{"lower case scheme", "bearer abc", "abc", nil},
		{"empty", "", "", ErrNoToken},
		{"basic", "Basic YTpi", "", ErrBadToken},
		{"no token", "Bearer ", "", ErrNoToken},
		{"no space", "Bearerabc", "", ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := bearerToken(tt.header)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("bearerToken(%q) = %q, %v", tt.header, got, err)
			}
		})
	}
}

func TestJWKSMatchesKey(t *testing.T) {
	t.Parallel()
	ts := newTestTokens(t, &fixedClock{t: time.Now()})
	set := ts.jwks()
	if len(set.Keys) != 1 {
		t.Fatalf("keys = %d", len(set.Keys))
	}
	k := set.Keys[0]
	if k.Kty != "EC" || k.Crv != "P-256" || k.Alg != "ES256" || k.Kid != ts.kid || k.Use != "sig" {
		t.Fatalf("jwk = %+v", k)
	}
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != 32 {
		t.Fatalf("x: %v len %d", err, len(x))
	}
	y, err := base64.RawURLEncoding.DecodeString(k.Y)
	if err != nil || len(y) != 32 {
		t.Fatalf("y: %v len %d", err, len(y))
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("jwk is not a P-256 point: %v", err)
	}
	tok, err := ts.issue("c", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A client that knows only the JWKS can verify our tokens.
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(ts.now)); err != nil {
		t.Fatalf("verify with JWKS key: %v", err)
	}
}

func TestLoadSigningKey(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384DER, err := x509.MarshalECPrivateKey(p384)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, blocks ...*pem.Block) string {
		var b []byte
		for _, blk := range blocks {
			b = append(b, pem.EncodeToMemory(blk)...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		path     string
		wantErr  bool
		wantP384 bool
	}{
		{"sec1", write("sec1.pem", &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), false, false},
		{"pkcs8", write("pkcs8.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), false, false},
		{"after params block", write("params.pem", &pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8}}, &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), false, false},
		{"missing", filepath.Join(dir, "nope.pem"), true, false},
		{"not pem", write("junk.pem"), true, false},
		{"corrupt", write("corrupt.pem", &pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("xx")}), true, false},
		{"p384", write("p384.pem", &pem.Block{Type: "EC PRIVATE KEY", Bytes: p384DER}), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadSigningKey(tt.path)
			if tt.wantErr {
				if !errors.Is(err, ErrKeyFile) {
					t.Fatalf("error = %v, want ErrKeyFile", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = newTokenService(got, "iss", time.Minute, time.Now)
			if tt.wantP384 {
				if !errors.Is(err, ErrKeyFile) {
					t.Fatalf("P-384 key accepted: %v", err)
				}
				return
			}
			if err != nil || !got.Equal(key) {
				t.Fatalf("loaded key differs or unusable: %v", err)
			}
		})
	}
}

// TestTokenNumericDates: exp, iat and nbf are NumericDates (RFC 7519 section 2), JSON
// numbers: a validly signed token that gives one of them as a string, or as anything
// else that is not a number, is refused, whatever the value says.
func TestTokenNumericDates(t *testing.T) {
	t.Parallel()
	clock := &fixedClock{t: time.Unix(1_800_000_000, 0)}
	ts := newTestTokens(t, clock)
	now := clock.t.Unix()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "https://issuer.test", "sub": "acme-full",
			"iat": now, "exp": now + 3600, "nbf": now - 60,
			"permissions": []string{"TNT#acme#*"},
		}
	}
	sign := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodES256, c).SignedString(ts.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := ts.verify(sign(base())); err != nil {
		t.Fatalf("numbers: %v", err)
	}
	for _, claim := range []string{"exp", "iat", "nbf"} {
		for name, v := range map[string]any{
			"string":        fmt.Sprint(base()[claim]),
			"empty string":  "",
			"boolean":       true,
			"array":         []int64{now},
			"object":        map[string]int64{"t": now},
			"null":          nil,
			"numeric title": "1.8e9",
		} {
			t.Run(claim+" as "+name, func(t *testing.T) {
				c := base()
				c[claim] = v
				if _, err := ts.verify(sign(c)); !errors.Is(err, ErrBadToken) {
					t.Fatalf("%s = %#v: err = %v, want ErrBadToken", claim, v, err)
				}
			})
		}
	}
}
