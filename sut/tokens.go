package sut

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// ErrNoRole is returned by TokenSource.Token for a role the target does not
// configure.
var ErrNoRole = errors.New("sut: role not configured")

// TokenSource obtains and caches one bearer token per role of a target. It is safe
// for concurrent use. A token fetched from /oauth/token is renewed once four fifths
// of its expires_in have passed, so a long load run or soak never meets its expiry;
// static and environment tokens are taken as they are. A failed fetch is retried on
// the next call.
type TokenSource struct {
	t  *Target
	hc *http.Client
	// now is the clock for renewal; time.Now unless a test sets it.
	now func() time.Time

	mu      sync.Mutex
	cache   map[Role]cachedToken
	expired map[Role]string // tokens Expired has waited out

	// expiring is held (capacity 1) by the one Expired call that is waiting a
	// token out, so that concurrent callers share its wait.
	expiring chan struct{}
}

type cachedToken struct {
	token   string
	renewAt time.Time // zero: never renewed
	// answered is when the token response arrived, took how long its exchange
	// took, and expiresIn its expires_in: all zero for a static token.
	answered  time.Time
	took      time.Duration
	expiresIn time.Duration
}

// NewTokenSource returns a TokenSource for t that talks to the token endpoint
// through hc (NewHTTPClient's when nil).
func NewTokenSource(t *Target, hc *http.Client) *TokenSource {
	if hc == nil {
		hc = NewHTTPClient(0)
	}
	return &TokenSource{t: t, hc: hc, now: time.Now, cache: map[Role]cachedToken{}, expired: map[Role]string{},
		expiring: make(chan struct{}, 1)}
}

// Expired returns a token of role, normally RoleExpired, that has expired, for
// the checks that a server refuses one (SPEC section 3). The role's credentials
// give tokens that expire within seconds, so Expired obtains a fresh one and waits
// until its lifetime has passed by margin; an expired token stays expired, so later
// calls return the same one at once, and concurrent callers share one wait. The
// lifetime is exp - iat when the token is a JWT with both claims, else expires_in,
// counted from when the token response arrived: the server issued the token before
// then, so neither its clock nor the harness's needs to be right. A static token
// (tokenEnv, or set by code) is taken as it is, once its exp has passed by margin if
// it is a JWT with an exp. The wait is at least margin and four times the token
// exchange itself, so a slow server still gets its token refused. ctx ends the wait.
func (s *TokenSource) Expired(ctx context.Context, role Role, margin time.Duration) (string, error) {
	select {
	case s.expiring <- struct{}{}:
		defer func() { <-s.expiring }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	s.mu.Lock()
	tok, ok := s.expired[role]
	s.mu.Unlock()
	if ok {
		return tok, nil
	}
	c, err := s.fetch(ctx, role)
	if err != nil {
		return "", err
	}
	until, err := c.expiry()
	if err != nil {
		return "", fmt.Errorf("sut: token of role %s: %w", role, err)
	}
	until = until.Add(max(margin, 4*c.took))
	if d := until.Sub(s.now()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	s.expired[role] = c.token
	s.mu.Unlock()
	return c.token, nil
}

// expiry returns when c stops being valid by the server's account, on the
// harness's clock: see Expired. The zero time means it has expired already.
func (c cachedToken) expiry() (time.Time, error) {
	iat, exp, isJWT := jwtTimes(c.token)
	switch {
	case c.answered.IsZero() && isJWT && exp != 0:
		return time.Unix(exp, 0), nil
	case c.answered.IsZero():
		return time.Time{}, nil // a static token: expired by the target's word
	case isJWT && exp != 0 && iat != 0:
		return c.answered.Add(time.Duration(exp-iat) * time.Second), nil
	case c.expiresIn > 0:
		return c.answered.Add(c.expiresIn), nil
	}
	return time.Time{}, errors.New("the token response says neither when it expires (expires_in) nor, as a JWT, its exp and iat")
}

// jwtTimes returns the iat and exp claims of a compact JWT (0 for a missing or
// non-numeric one) and whether tok decodes as one. The signature is not checked:
// the harness only needs to know how long to wait.
func jwtTimes(tok string) (iat, exp int64, ok bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, 0, false
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return 0, 0, false
	}
	num := func(k string) int64 {
		f, _ := claims[k].(float64)
		return int64(f)
	}
	return num("iat"), num("exp"), true
}

// Token returns the bearer token of role: the static one, the one from the
// environment, or one fetched by client credentials from the target's /oauth/token.
// Errors never hold a secret.
func (s *TokenSource) Token(ctx context.Context, role Role) (string, error) {
	s.mu.Lock()
	c, ok := s.cache[role]
	s.mu.Unlock()
	if ok && (c.renewAt.IsZero() || s.now().Before(c.renewAt)) {
		return c.token, nil
	}
	c, err := s.fetch(ctx, role)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.cache[role] = c
	s.mu.Unlock()
	return c.token, nil
}

// Client returns an api.Client of tenant at the target, in its path form, with
// role's token, sending through the source's HTTP client.
func (s *TokenSource) Client(ctx context.Context, tenant string, role Role) (*api.Client, error) {
	tok, err := s.Token(ctx, role)
	if err != nil {
		return nil, err
	}
	c, err := s.t.NewClient(tenant, s.hc)
	if err != nil {
		return nil, err
	}
	return c.WithToken(tok), nil
}

// fetch obtains role's token without the cache.
func (s *TokenSource) fetch(ctx context.Context, role Role) (cachedToken, error) {
	c, ok := s.t.Tokens[role]
	if !ok || !c.configured() {
		return cachedToken{}, fmt.Errorf("%w: %s", ErrNoRole, role)
	}
	switch {
	case c.Token != "":
		return cachedToken{token: c.Token}, nil
	case c.TokenEnv != "":
		tok := os.Getenv(c.TokenEnv)
		if tok == "" {
			return cachedToken{}, fmt.Errorf("sut: token of role %s: environment variable %s is empty", role, c.TokenEnv)
		}
		return cachedToken{token: tok}, nil
	}
	secret := c.ClientSecret
	if c.ClientSecretEnv != "" {
		secret = os.Getenv(c.ClientSecretEnv)
		if secret == "" {
			return cachedToken{}, fmt.Errorf("sut: token of role %s: environment variable %s is empty", role, c.ClientSecretEnv)
		}
	}
	cl, err := s.t.NewClient("", s.hc)
	if err != nil {
		return cachedToken{}, err
	}
	fetched := s.now()
	resp, ex, err := cl.Token(ctx, c.ClientID, secret)
	answered := s.now()
	if err != nil {
		status := 0
		if ex != nil {
			status = ex.Status
		}
		// The error of the api client names the code at most; the exchange, which
		// holds the Basic credential, is not quoted.
		return cachedToken{}, fmt.Errorf("sut: token of role %s (client %s): status %d: %v", role, c.ClientID, status, redactedErr(err))
	}
	if resp.AccessToken == "" {
		return cachedToken{}, fmt.Errorf("sut: token of role %s (client %s): empty access_token", role, c.ClientID)
	}
	expiresIn := time.Duration(resp.ExpiresIn) * time.Second
	life := expiresIn
	if life <= 0 {
		life = time.Minute // no expires_in: renew often rather than never
	}
	return cachedToken{token: resp.AccessToken, renewAt: fetched.Add(life * 4 / 5),
		answered: answered, took: answered.Sub(fetched), expiresIn: expiresIn}, nil
}

// redactedErr keeps only what an error of the api client says about the answer: its
// code for a section 10 error, else its sentinel.
func redactedErr(err error) string {
	if code := api.ErrorCode(err); code != "" {
		return string(code)
	}
	for _, s := range []error{api.ErrTransport, api.ErrMalformedError, api.ErrMalformedResponse} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "request failed"
}
