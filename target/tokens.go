package target

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// ErrNoRole is returned by TokenSource.Token for a role the target does not
// configure.
var ErrNoRole = errors.New("target: role not configured")

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

	mu    sync.Mutex
	cache map[Role]cachedToken
}

type cachedToken struct {
	token   string
	renewAt time.Time // zero: never renewed
}

// NewTokenSource returns a TokenSource for t that talks to the token endpoint
// through hc (a default client when nil).
func NewTokenSource(t *Target, hc *http.Client) *TokenSource {
	return &TokenSource{t: t, hc: hc, now: time.Now, cache: map[Role]cachedToken{}}
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
			return cachedToken{}, fmt.Errorf("target: token of role %s: environment variable %s is empty", role, c.TokenEnv)
		}
		return cachedToken{token: tok}, nil
	}
	secret := c.ClientSecret
	if c.ClientSecretEnv != "" {
		secret = os.Getenv(c.ClientSecretEnv)
		if secret == "" {
			return cachedToken{}, fmt.Errorf("target: token of role %s: environment variable %s is empty", role, c.ClientSecretEnv)
		}
	}
	cl, err := s.t.NewClient("", s.hc)
	if err != nil {
		return cachedToken{}, err
	}
	fetched := s.now()
	resp, ex, err := cl.Token(ctx, c.ClientID, secret)
	if err != nil {
		status := 0
		if ex != nil {
			status = ex.Status
		}
		// The error of the api client names the code at most; the exchange, which
		// holds the Basic credential, is not quoted.
		return cachedToken{}, fmt.Errorf("target: token of role %s (client %s): status %d: %v", role, c.ClientID, status, redactedErr(err))
	}
	if resp.AccessToken == "" {
		return cachedToken{}, fmt.Errorf("target: token of role %s (client %s): empty access_token", role, c.ClientID)
	}
	life := time.Duration(resp.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Minute // no expires_in: renew often rather than never
	}
	return cachedToken{token: resp.AccessToken, renewAt: fetched.Add(life * 4 / 5)}, nil
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
