package refserver

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// errBadClient is any failed client authentication at the token endpoint: unknown
// client, wrong secret or no credentials. One error for all, so the answer does not
// tell which client IDs exist.
var errBadClient = api.NewError(api.CodeUnauthorized, "client authentication failed")

// handleToken is POST /oauth/token, the OAuth 2.0 client credentials grant (RFC 6749
// section 4.4). The client authenticates by HTTP Basic (id and secret form-encoded
// first, RFC 6749 section 2.3.1) or by the form fields client_id and client_secret,
// never both. Errors use the section 10 body like every other endpoint (SPEC section
// 10 covers every non-2xx answer), not RFC 6749's {"error": ...} shape.
func (s *Server) handleToken(c *gin.Context) {
	resp, err := s.token(c)
	if err != nil {
		if errors.Is(err, errBadClient) || api.ErrorCode(err) == api.CodeUnauthorized {
			c.Header("WWW-Authenticate", `Basic realm="renewkit"`)
		}
		s.abortWith(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, resp)
}

func (s *Server) token(c *gin.Context) (*api.TokenResponse, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("Content-Type application/x-www-form-urlencoded is required")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("the form body is not valid")
	}
	// RFC 6749 section 3.2: parameters must not repeat.
	for k, vs := range form {
		if len(vs) > 1 {
			return nil, invalidRequest("form parameter %q is repeated", k)
		}
	}
	if form.Get("grant_type") != "client_credentials" {
		return nil, invalidRequest("grant_type must be client_credentials")
	}
	id, secret, err := clientCredentials(c.GetHeader("Authorization"), form)
	if err != nil {
		// No client id to throttle: nothing was guessed for any client.
		return nil, err
	}
	// The throttle (throttle.go) sees the peer address: no proxy header is trusted.
	src, _ := netip.ParseAddr(c.RemoteIP())
	src = src.Unmap()
	now := s.now()
	adm := s.throttle.admit(id, src, now)
	if adm.refused {
		s.metrics.limited(limitTokenFailures, 1)
		return nil, &retryLater{err: errThrottled, after: adm.retry}
	}
	client, err := s.authenticateClient(c.Request.Context(), id, secret)
	if errors.Is(err, errBadClient) {
		if wait, over := s.throttle.failed(id, adm, now); over {
			s.metrics.limited(limitTokenFailures, 1)
			return nil, &retryLater{err: errThrottled, after: wait}
		}
	}
	if err != nil {
		return nil, err
	}
	s.throttle.succeeded(id, src, adm, now)
	// A client may have its own token lifetime (the fixtures' short-lived client
	// for the expired role); the server's applies otherwise.
	ttl := s.tokens.ttl
	if client.TokenTTL > 0 {
		ttl = client.TokenTTL
	}
	tok, err := s.tokens.issueFor(client.ID, client.Permissions, ttl)
	if err != nil {
		return nil, err
	}
	return &api.TokenResponse{
		AccessToken: tok,
		TokenType:   "Bearer",
		// RFC 6749 section 5.1 counts whole seconds; a lifetime under one second
		// still says 1, so a client never reads "already expired" from a fresh token.
		ExpiresIn: max(1, int(ttl.Seconds())),
	}, nil
}

// authenticateClient returns the client id whose secret is secret, or errBadClient.
func (s *Server) authenticateClient(ctx context.Context, id, secret string) (store.OAuthClient, error) {
	var client store.OAuthClient
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		client, err = tx.OAuthClient(ctx, id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrClientNotFound):
		// Spend the same hash-and-compare as a known client, so timing does not tell
		// an unknown ID from a wrong secret.
		store.OAuthClient{SecretHash: store.HashSecret("")}.CheckSecret(secret)
		return store.OAuthClient{}, errBadClient
	case err != nil:
		return store.OAuthClient{}, err
	case !client.CheckSecret(secret):
		return store.OAuthClient{}, errBadClient
	}
	return client, nil
}

// clientCredentials returns the client id and secret from exactly one of an HTTP
// Basic Authorization header or the form.
func clientCredentials(authz string, form url.Values) (id, secret string, err error) {
	_, formID := form["client_id"]
	_, formSecret := form["client_secret"]
	if authz != "" {
		if formID || formSecret {
			return "", "", invalidRequest("send client credentials by HTTP Basic or in the form, not both")
		}
		scheme, enc, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Basic") {
			return "", "", errBadClient
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if err != nil {
			return "", "", errBadClient
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", "", errBadClient
		}
		if id, err = url.QueryUnescape(u); err != nil {
			return "", "", errBadClient
		}
		if secret, err = url.QueryUnescape(p); err != nil {
			return "", "", errBadClient
		}
		if id == "" {
			return "", "", errBadClient
		}
		return id, secret, nil
	}
	id, secret = form.Get("client_id"), form.Get("client_secret")
	if id == "" || secret == "" {
		return "", "", errBadClient
	}
	return id, secret, nil
}

// handleJWKS is GET /.well-known/jwks.json: the public signing key.
func (s *Server) handleJWKS(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, s.tokens.jwks())
}
