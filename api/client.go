package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxResponseBytes is the largest response body a Client reads when
// Client.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 4 << 20

// Client is a plain net/http client of the identity-store API. Every call returns
// the decoded answer and the raw Exchange, so checks can look at the exact bytes.
//
// Fields are options with documented defaults; a Client is safe for concurrent use
// as long as nobody changes its fields meanwhile. Copy it to vary a field per call
// (WithToken does that for the token).
//
// Errors: a non-2xx answer with a section 10 body returns *Error; one with another
// body returns an error wrapping ErrMalformedError. A 2xx body that does not decode
// returns ErrMalformedResponse. No complete response at all returns ErrTransport.
// In every case the Exchange holds whatever was sent and received; it is nil only
// when the arguments were refused before anything was sent (ErrInvalidFlow,
// ErrInvalidUserRef).
type Client struct {
	// BaseURL is the scheme and authority of the server, e.g.
	// "http://127.0.0.1:8080"; a path in it is prepended to every request path.
	BaseURL string
	// Prefix is the identity-store prefix; DefaultPrefix when empty.
	Prefix string
	// Tenant is the tenant every identity-store call names.
	Tenant string
	// HostForm sends identity-store calls in the host form: the path has no
	// /tenants/{tenant} and the Host header is Tenant + "." + HostSuffix. The
	// root-level endpoints (token, health) keep the BaseURL's host.
	HostForm bool
	// HostSuffix is the DNS suffix of the host form; DefaultHostSuffix when empty.
	// To reach a server by its real name, set BaseURL to it and HostSuffix to the
	// part after the tenant label.
	HostSuffix string
	// HTTPClient sends the requests. When nil, a client with no timeout of its own
	// (use ctx) that does not follow redirects, so that the Exchange is the first
	// answer, over http.DefaultTransport.
	HTTPClient *http.Client
	// AccessToken is sent as "Authorization: Bearer <AccessToken>" on every call
	// but the token endpoint; none is sent when empty. (It is not named Token
	// because the method Token fetches one.)
	AccessToken string
	// MaxResponseBytes caps the body read; DefaultMaxResponseBytes when zero. A
	// longer body is a transport error.
	MaxResponseBytes int64
	// Observe, when set, is called with every Exchange Do returns, once it is
	// complete (whatever its status, and also when no answer came): the
	// conformance suite checks its invariants there, over every exchange.
	Observe func(*Exchange)
}

// NewClient returns a Client for baseURL and tenant with every other option at its
// default. baseURL must be an absolute http or https URL.
func NewClient(baseURL, tenant string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("api: base url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: base url %q is not an absolute http(s) url", baseURL)
	}
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/"), Tenant: tenant}, nil
}

// WithToken returns a copy of c that sends tok instead (none when empty).
func (c *Client) WithToken(tok string) *Client {
	d := *c
	d.AccessToken = tok
	return &d
}

// Paths returns the path builder for c's prefix, tenant and form.
func (c *Client) Paths() Paths {
	return Paths{Prefix: c.Prefix, Tenant: c.Tenant, HostForm: c.HostForm}
}

// Host is the Host header of identity-store calls: Tenant + "." + HostSuffix in the
// host form, "" (the BaseURL's host) otherwise.
func (c *Client) Host() string {
	if !c.HostForm {
		return ""
	}
	s := c.HostSuffix
	if s == "" {
		s = DefaultHostSuffix
	}
	return c.Tenant + "." + s
}

// httpClient returns the configured client or the non-redirecting default.
func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Do sends one request and returns the raw exchange. path is sent as given (it must
// already be escaped; build it with Paths). body nil sends no body; otherwise
// Content-Type defaults to application/json. header is added to the request; a
// "Host" entry there overrides the Host header, and an "Authorization" entry wins
// over c.AccessToken. In the host form Do sets the tenant's Host for every path
// but the root-level ones (TokenPath, JWKSPath, HealthzPath, ReadyzPath,
// MetricsPath, OpenAPIPath). Do returns an error only when no complete response was received
// (ErrTransport); any status, 4xx and 5xx included, is a successful exchange.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, header http.Header) (*Exchange, error) {
	ex := &Exchange{Method: method, Path: path, RequestBody: body}
	if c.Observe != nil {
		defer func() { c.Observe(ex) }()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return ex, fmt.Errorf("%w: %s %s: %v", ErrTransport, method, path, err)
	}
	ex.URL = req.URL.String()
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	}
	if h := c.Host(); h != "" && !isRootPath(path) {
		req.Host = h
	}
	for k, vs := range header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				req.Host = vs[0]
			}
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	ex.Host = req.Host
	if ex.Host == "" {
		ex.Host = req.URL.Host
	}
	ex.RequestHeader = req.Header.Clone()

	start := time.Now()
	resp, err := c.httpClient().Do(req)
	if err != nil {
		ex.Duration = time.Since(start)
		return ex, fmt.Errorf("%w: %s %s: %v", ErrTransport, method, path, err)
	}
	defer resp.Body.Close()
	ex.Status = resp.StatusCode
	ex.ResponseHeader = resp.Header.Clone()
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	// Sized from Content-Length when the server declared one within the limit, so the
	// body is read into one allocation.
	var buf bytes.Buffer
	if resp.ContentLength >= 0 && resp.ContentLength <= limit {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead) // MinRead: room for the final read
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	b := buf.Bytes()
	ex.Duration = time.Since(start)
	ex.ResponseBody = b
	if err != nil {
		return ex, fmt.Errorf("%w: %s %s: reading body: %v", ErrTransport, method, path, err)
	}
	if int64(len(b)) > limit {
		ex.ResponseBody = b[:limit]
		return ex, fmt.Errorf("%w: %s %s: body longer than %d bytes", ErrTransport, method, path, limit)
	}
	return ex, nil
}

// call sends in (JSON-encoded unless nil) and decodes a 2xx body into out (unless
// out is nil or the body is empty and emptyOK).
func (c *Client) call(ctx context.Context, method, path string, in, out any, header http.Header) (*Exchange, error) {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &Exchange{Method: method, Path: path}, fmt.Errorf("api: encoding request: %w", err)
		}
		body = b
	}
	ex, err := c.Do(ctx, method, path, body, header)
	if err != nil {
		return ex, err
	}
	return ex, ex.decode(out)
}

// decode interprets a received exchange: a 2xx body into out, anything else into an
// error.
func (ex *Exchange) decode(out any) error {
	if ex.Status < 200 || ex.Status > 299 {
		e, err := DecodeError(ex.ResponseBody)
		if err != nil {
			return fmt.Errorf("%w (%s %s: status %d)", err, ex.Method, ex.Path, ex.Status)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ex.ResponseBody, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrMalformedResponse, ex.Method, ex.Path, err)
	}
	return nil
}

// Start begins a flow for user with the named policy and returns the session and
// SRP parameters.
func (c *Client) Start(ctx context.Context, flow Flow, store string, user UserRef, policy string) (*StartResponse, *Exchange, error) {
	if !flow.Valid() {
		return nil, nil, fmt.Errorf("%w: %q", ErrInvalidFlow, flow)
	}
	if !user.Valid() {
		return nil, nil, ErrInvalidUserRef
	}
	path := c.Paths().Start(flow, store, user, policy)
	// The body of every start call is an empty JSON object (SPEC.md section 4).
	ex, err := c.Do(ctx, http.MethodPost, path, []byte("{}"), nil)
	if err != nil {
		return nil, ex, err
	}
	var out StartResponse
	if err := ex.decode(&out); err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// Complete finishes a flow's session.
func (c *Client) Complete(ctx context.Context, flow Flow, store, sessionID string, req CompleteRequest) (*CompleteResponse, *Exchange, error) {
	if !flow.Valid() {
		return nil, nil, fmt.Errorf("%w: %q", ErrInvalidFlow, flow)
	}
	var out CompleteResponse
	ex, err := c.call(ctx, http.MethodPost, c.Paths().Complete(flow, store, sessionID), req, &out, nil)
	if err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// CreateUser creates a user (201).
func (c *Client) CreateUser(ctx context.Context, store string, req CreateUserRequest) (*User, *Exchange, error) {
	var out User
	ex, err := c.call(ctx, http.MethodPost, c.Paths().Users(store), req, &out, nil)
	if err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// GetUser reads a user by id.
func (c *Client) GetUser(ctx context.Context, store, userID string) (*User, *Exchange, error) {
	return c.getUser(ctx, store, ByID(userID))
}

// GetUserByExternalID reads a user by external id.
func (c *Client) GetUserByExternalID(ctx context.Context, store, externalID string) (*User, *Exchange, error) {
	return c.getUser(ctx, store, ByExternalID(externalID))
}

func (c *Client) getUser(ctx context.Context, store string, user UserRef) (*User, *Exchange, error) {
	var out User
	ex, err := c.call(ctx, http.MethodGet, c.Paths().User(store, user), nil, &out, nil)
	if err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// CreatePolicy creates a passcode policy (201). The returned Policy is the server's
// echo, or nil when it answered with an empty body.
func (c *Client) CreatePolicy(ctx context.Context, store string, p PolicyRequest) (*Policy, *Exchange, error) {
	return c.writePolicy(ctx, c.Paths().Policies(store), p)
}

// UpdatePolicy replaces the named policy (POST {P}/passcodePolicy/{policyName}).
// The returned Policy is nil when the server answered with an empty body.
func (c *Client) UpdatePolicy(ctx context.Context, store, name string, p PolicyRequest) (*Policy, *Exchange, error) {
	return c.writePolicy(ctx, c.Paths().Policy(store, name), p)
}

func (c *Client) writePolicy(ctx context.Context, path string, p PolicyRequest) (*Policy, *Exchange, error) {
	ex, err := c.call(ctx, http.MethodPost, path, p, nil, nil)
	if err != nil {
		return nil, ex, err
	}
	if len(bytes.TrimSpace(ex.ResponseBody)) == 0 {
		return nil, ex, nil
	}
	var out Policy
	if err := ex.decode(&out); err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// GetPolicy reads the named policy.
func (c *Client) GetPolicy(ctx context.Context, store, name string) (*Policy, *Exchange, error) {
	var out Policy
	ex, err := c.call(ctx, http.MethodGet, c.Paths().Policy(store, name), nil, &out, nil)
	if err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// DeletePolicy deletes the named policy.
func (c *Client) DeletePolicy(ctx context.Context, store, name string) (*Exchange, error) {
	return c.call(ctx, http.MethodDelete, c.Paths().Policy(store, name), nil, nil, nil)
}

// DeleteCredential removes the user's passcode credential.
func (c *Client) DeleteCredential(ctx context.Context, store, userID string) (*Exchange, error) {
	return c.call(ctx, http.MethodDelete, c.Paths().Credential(store, userID), nil, nil, nil)
}

// Token asks for an access token with the OAuth 2.0 client credentials grant,
// authenticating by HTTP Basic. As RFC 6749 section 2.3.1 requires, the id and
// secret are form-encoded before they are joined and base64-encoded (a no-op for
// ids and secrets of letters, digits and "-._~"). c.AccessToken is not sent.
func (c *Client) Token(ctx context.Context, clientID, secret string) (*TokenResponse, *Exchange, error) {
	h := http.Header{}
	req := &http.Request{Header: h}
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	return c.token(ctx, url.Values{"grant_type": {"client_credentials"}}, h)
}

// TokenWithForm is Token with the client id and secret sent as the form fields
// client_id and client_secret instead of HTTP Basic.
func (c *Client) TokenWithForm(ctx context.Context, clientID, secret string) (*TokenResponse, *Exchange, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secret},
	}
	return c.token(ctx, form, http.Header{})
}

func (c *Client) token(ctx context.Context, form url.Values, h http.Header) (*TokenResponse, *Exchange, error) {
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	ex, err := c.WithToken("").Do(ctx, http.MethodPost, TokenPath, []byte(form.Encode()), h)
	if err != nil {
		return nil, ex, err
	}
	var out TokenResponse
	if err := ex.decode(&out); err != nil {
		return nil, ex, err
	}
	return &out, ex, nil
}

// Healthz calls GET /healthz. A non-2xx answer is an error (ErrMalformedError when
// its body is not the section 10 shape).
func (c *Client) Healthz(ctx context.Context) (*Exchange, error) {
	return c.call(ctx, http.MethodGet, HealthzPath, nil, nil, nil)
}

// Readyz calls GET /readyz. A non-2xx answer is an error.
func (c *Client) Readyz(ctx context.Context) (*Exchange, error) {
	return c.call(ctx, http.MethodGet, ReadyzPath, nil, nil, nil)
}

// isRootPath reports whether path (without its query) is one of the root-level
// endpoints that belong to the server rather than to a tenant.
func isRootPath(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	switch path {
	case TokenPath, JWKSPath, HealthzPath, ReadyzPath, MetricsPath, OpenAPIPath:
		return true
	}
	return false
}

// IsTransport reports whether err means that no complete response was received.
func IsTransport(err error) bool { return errors.Is(err, ErrTransport) }
