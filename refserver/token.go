package refserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors of the token service. Callers branch on them only to log; the wire answer for
// every one of them is 401 UNAUTHORIZED with no detail, so that a caller cannot tell an
// expired token from a forged one by the response.
var (
	// ErrNoToken reports a request without a bearer token.
	ErrNoToken = errors.New("refserver: no bearer token")
	// ErrBadToken reports a token that is malformed, expired, not yet valid, from another
	// issuer, signed with another key or algorithm, or unsigned.
	ErrBadToken = errors.New("refserver: invalid bearer token")
	// ErrKeyFile reports a signing key file that cannot be used.
	ErrKeyFile = errors.New("refserver: unusable signing key file")
)

// tokenClaims are the claims of the access tokens this server issues (SPEC section 3).
type tokenClaims struct {
	Permissions []string `json:"permissions"`
	jwt.RegisteredClaims
}

// tokenService issues and verifies the ES256 access tokens. It holds the only copy of the
// signing key; nothing in it is ever logged.
type tokenService struct {
	key    *ecdsa.PrivateKey
	kid    string
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
	cache  *verifiedTokens
}

// maxCachedTokens bounds the verified-token cache; past it the cache starts over.
const maxCachedTokens = 4096

// verifiedTokens remembers tokens whose signature and claims checked out, so a client
// that sends the same token on every request pays for one ECDSA verification per
// token rather than one per request (about a tenth of an SRP completion's CPU). The
// key is the token's exact text: a signature is a function of those bytes and the one
// key, which never changes while the server runs. Expiry is checked again on every
// hit.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]*tokenClaims
}

func (v *verifiedTokens) get(raw string) *tokenClaims {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[raw]
}

func (v *verifiedTokens) put(raw string, c *tokenClaims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxCachedTokens {
		clear(v.m)
	}
	v.m[raw] = c
}

func (v *verifiedTokens) drop(raw string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, raw)
}

// newTokenService returns a service signing with key (a fresh P-256 key when key is nil).
func newTokenService(key *ecdsa.PrivateKey, issuer string, ttl time.Duration, now func() time.Time) (*tokenService, error) {
	if key == nil {
		var err error
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("refserver: generate signing key: %w", err)
		}
	}
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: ES256 needs a P-256 key", ErrKeyFile)
	}
	kid, err := jwkThumbprint(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &tokenService{
		key:    key,
		kid:    kid,
		issuer: issuer,
		ttl:    ttl,
		now:    now,
		// Only ES256 is accepted: this is what turns away "alg: none" and the HS256
		// key-confusion trick (an HMAC keyed with the public key), before any signature
		// check runs. Expiry is required: a token without exp never expires otherwise.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
		),
		cache: &verifiedTokens{m: map[string]*tokenClaims{}},
	}, nil
}

// loadSigningKey reads an EC P-256 private key from a PEM file ("EC PRIVATE KEY" or
// "PRIVATE KEY"). Errors never quote the file content.
func loadSigningKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: no EC private key block in %s", ErrKeyFile, path)
		}
		switch block.Type {
		case "EC PRIVATE KEY":
			key, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: cannot parse the EC key", ErrKeyFile, path)
			}
			return key, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: cannot parse the PKCS#8 key", ErrKeyFile, path)
			}
			key, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("%w: %s: not an EC key", ErrKeyFile, path)
			}
			return key, nil
		}
	}
}

// issue returns a signed token for the client sub with the given permissions, valid
// for the service's lifetime.
func (t *tokenService) issue(sub string, permissions []string) (string, error) {
	return t.issueFor(sub, permissions, t.ttl)
}

// issueFor is issue with a lifetime of ttl.
func (t *tokenService) issueFor(sub string, permissions []string, ttl time.Duration) (string, error) {
	now := t.now()
	return t.issueAt(sub, permissions, now, now.Add(ttl))
}

// issueAt signs a token for sub with the given permissions, issued at iat and
// expiring at exp.
func (t *tokenService) issueAt(sub string, permissions []string, iat, exp time.Time) (string, error) {
	perms := permissions
	if perms == nil {
		perms = []string{}
	}
	claims := tokenClaims{
		Permissions: perms,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   sub,
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = t.kid
	s, err := tok.SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("refserver: sign token: %w", err)
	}
	return s, nil
}

// verify checks a raw token and returns its claims. Every failure is ErrBadToken.
func (t *tokenService) verify(raw string) (*tokenClaims, error) {
	if c := t.cache.get(raw); c != nil {
		if t.now().Before(c.ExpiresAt.Time) {
			return c, nil
		}
		t.cache.drop(raw)
		return nil, fmt.Errorf("%w: token is expired", ErrBadToken)
	}
	if err := numericDates(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	var claims tokenClaims
	_, err := t.parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		// A kid naming another key is not ours; an absent kid is accepted because there
		// is only one key.
		if kid, ok := tok.Header["kid"]; ok && kid != t.kid {
			return nil, errors.New("unknown key id")
		}
		return &t.key.PublicKey, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrBadToken)
	}
	t.cache.put(raw, &claims)
	return &claims, nil
}

// numericDates refuses a token whose exp, iat or nbf is not a JSON number: RFC 7519
// section 2 makes them NumericDates, and the JWT library also reads a string that
// holds a number ("1800000000") as one.
func numericDates(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("token is malformed")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("token is malformed")
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return errors.New("token claims are not a JSON object")
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		v, ok := claims[name]
		if !ok {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			return fmt.Errorf("claim %s does not decode", name)
		}
		if _, isNumber := x.(json.Number); !isNumber {
			return fmt.Errorf("claim %s is not a number", name)
		}
	}
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header value.
func bearerToken(header string) (string, error) {
	if header == "" {
		return "", ErrNoToken
	}
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: not a bearer credential", ErrBadToken)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", ErrNoToken
	}
	return tok, nil
}

// allowed reports whether perms grant operation op on tenant (SPEC section 3): either
// "TNT#<tenant>#<op>" or "TNT#<tenant>#*". Matching is exact and case-sensitive, so a
// tenant ID that contains '#' cannot forge another tenant's prefix.
func allowed(perms []string, tenant, op string) bool {
	if tenant == "" || strings.Contains(tenant, "#") {
		return false
	}
	exact := "TNT#" + tenant + "#" + op
	all := "TNT#" + tenant + "#*"
	for _, p := range perms {
		if p == exact || p == all {
			return true
		}
	}
	return false
}

// jwk is one public key of the JWKS document (RFC 7517, RFC 7518 section 6.2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// jwkSet is the body of GET /.well-known/jwks.json.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// jwks returns the public half of the signing key as a JWK set.
func (t *tokenService) jwks() jwkSet {
	x, y := ecCoordinates(&t.key.PublicKey)
	return jwkSet{Keys: []jwk{{
		Kty: "EC",
		Crv: "P-256",
		X:   x,
		Y:   y,
		Use: "sig",
		Alg: jwt.SigningMethodES256.Alg(),
		Kid: t.kid,
	}}}
}

// ecCoordinates returns the base64url (unpadded) big-endian x and y of a P-256 key, each
// 32 bytes as RFC 7518 section 6.2.1 requires.
func ecCoordinates(pub *ecdsa.PublicKey) (x, y string) {
	ek, err := pub.ECDH()
	if err != nil {
		// Only a key off the curve fails here, and newTokenService checked the curve.
		panic("refserver: signing key is not on P-256")
	}
	raw := ek.Bytes() // 0x04 | X | Y, uncompressed
	half := (len(raw) - 1) / 2
	enc := base64.RawURLEncoding
	return enc.EncodeToString(raw[1 : 1+half]), enc.EncodeToString(raw[1+half:])
}

// jwkThumbprint is the RFC 7638 SHA-256 thumbprint of the key, used as its kid.
func jwkThumbprint(pub *ecdsa.PublicKey) (string, error) {
	if _, err := pub.ECDH(); err != nil {
		return "", fmt.Errorf("%w: key is not on its curve", ErrKeyFile)
	}
	x, y := ecCoordinates(pub)
	// RFC 7638: the required members only, in lexicographic order, no whitespace.
	canon, err := json.Marshal(struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
		Y   string `json:"y"`
	}{"P-256", "EC", x, y})
	if err != nil {
		return "", fmt.Errorf("refserver: thumbprint: %w", err)
	}
	sum := sha256.Sum256(canon)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
