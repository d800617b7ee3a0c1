package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"http", "http://127.0.0.1:8080", false},
		{"https with trailing slash", "https://acme.example.test/", false},
		{"no scheme", "127.0.0.1:8080", true},
		{"ftp", "ftp://host", true},
		{"no host", "http://", true},
		{"unparsable", "http://[::1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.url, "acme")
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient(%q) error = %v, wantErr %v", tt.url, err, tt.wantErr)
			}
			if err == nil && strings.HasSuffix(c.BaseURL, "/") {
				t.Errorf("BaseURL %q keeps a trailing slash", c.BaseURL)
			}
		})
	}
}

// TestClientRequests checks what each method puts on the wire, in both path forms.
func TestClientRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pol := PolicyRequest{Name: "pol", Requirements: passcode.Requirements{MinimumLength: 8}}
	tests := []struct {
		name     string
		call     func(c *Client) (*Exchange, error)
		method   string
		path     string // canonical form, after the prefix and /tenants/acme
		body     string // "" means no body
		hostForm bool   // whether the call is an identity-store call (Host header in host form)
	}{
		{"start renewal by id", func(c *Client) (*Exchange, error) {
			_, ex, err := c.Start(ctx, FlowRenewal, "main", ByID("U1"), "pol")
			return ex, err
		}, "POST", "/stores/main/users/U1/passcodes/renewals/pol", "{}", true},
		{"start registration by escaped ext", func(c *Client) (*Exchange, error) {
			_, ex, err := c.Start(ctx, FlowRegistration, "my store", ByExternalID("a/b?c"), "p%1")
			return ex, err
		}, "POST", "/stores/my%20store/users/a%2Fb%3Fc/passcodes/registrations/p%251/ext", "{}", true},
		{"start with dot-dot id", func(c *Client) (*Exchange, error) {
			_, ex, err := c.Start(ctx, FlowAuthentication, "main", ByID(".."), "pol")
			return ex, err
		}, "POST", "/stores/main/users/%2E%2E/passcodes/authentications/pol", "{}", true},
		{"complete renewal", func(c *Client) (*Exchange, error) {
			_, ex, err := c.Complete(ctx, FlowRenewal, "main", "S1", CompleteRequest{
				SRPRegistrationData: &SRPRegistrationData{Verifier: "dg=="},
				SRPVerificationData: &SRPVerificationData{A: "YQ==", M1: "bQ=="},
			})
			return ex, err
		}, "POST", "/stores/main/passcodes/renewals/sessions/S1",
			`{"srpRegistrationData":{"verifier":"dg=="},"srpVerificationData":{"a":"YQ==","m1":"bQ=="}}`, true},
		{"complete registration omits verification data", func(c *Client) (*Exchange, error) {
			_, ex, err := c.Complete(ctx, FlowRegistration, "main", "S1", CompleteRequest{
				SRPRegistrationData: &SRPRegistrationData{Verifier: "dg=="},
			})
			return ex, err
		}, "POST", "/stores/main/passcodes/registrations/sessions/S1", `{"srpRegistrationData":{"verifier":"dg=="}}`, true},
		{"create user", func(c *Client) (*Exchange, error) {
			_, ex, err := c.CreateUser(ctx, "main", CreateUserRequest{ExternalID: "bob"})
			return ex, err
		}, "POST", "/stores/main/users", `{"externalId":"bob"}`, true},
		{"get user", func(c *Client) (*Exchange, error) {
			_, ex, err := c.GetUser(ctx, "main", "U1")
			return ex, err
		}, "GET", "/stores/main/users/U1", "", true},
		{"get user by ext", func(c *Client) (*Exchange, error) {
			_, ex, err := c.GetUserByExternalID(ctx, "main", "bob")
			return ex, err
		}, "GET", "/stores/main/users/bob/ext", "", true},
		{"create policy", func(c *Client) (*Exchange, error) {
			_, ex, err := c.CreatePolicy(ctx, "main", pol)
			return ex, err
		}, "POST", "/stores/main/passcodePolicy", "", true},
		{"get policy", func(c *Client) (*Exchange, error) {
			_, ex, err := c.GetPolicy(ctx, "main", "pol")
			return ex, err
		}, "GET", "/stores/main/passcodePolicy/pol", "", true},
		{"update policy", func(c *Client) (*Exchange, error) {
			_, ex, err := c.UpdatePolicy(ctx, "main", "pol", pol)
			return ex, err
		}, "POST", "/stores/main/passcodePolicy/pol", "", true},
		{"delete policy", func(c *Client) (*Exchange, error) {
			return c.DeletePolicy(ctx, "main", "pol")
		}, "DELETE", "/stores/main/passcodePolicy/pol", "", true},
		{"delete credential", func(c *Client) (*Exchange, error) {
			return c.DeleteCredential(ctx, "main", "U1")
		}, "DELETE", "/stores/main/users/U1/passcodes", "", true},
		{"healthz", func(c *Client) (*Exchange, error) { return c.Healthz(ctx) }, "GET", "/healthz", "", false},
		{"readyz", func(c *Client) (*Exchange, error) { return c.Readyz(ctx) }, "GET", "/readyz", "", false},
	}
	for _, hostForm := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if hostForm {
				name += " host form"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rec, c := newRecorder(t, http.StatusOK, `{}`)
				c.HostForm = hostForm
				ex, err := tt.call(c)
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				got := rec.last(t)
				wantPath := tt.path
				serverHost := strings.TrimPrefix(c.BaseURL, "http://")
				wantHost := serverHost
				if tt.hostForm {
					if hostForm {
						wantPath = DefaultPrefix + wantPath
						wantHost = "acme.example.test"
					} else {
						wantPath = DefaultPrefix + "/tenants/acme" + wantPath
					}
				}
				if got.Method != tt.method {
					t.Errorf("method %s, want %s", got.Method, tt.method)
				}
				if got.RequestURI != wantPath {
					t.Errorf("request target %s\nwant           %s", got.RequestURI, wantPath)
				}
				if got.Host != wantHost {
					t.Errorf("Host %q, want %q", got.Host, wantHost)
				}
				if a := got.Header.Get("Authorization"); a != "Bearer tok-secret" {
					t.Errorf("Authorization %q, want the bearer token", a)
				}
				if tt.body != "" && string(got.Body) != tt.body {
					t.Errorf("body %s\nwant %s", got.Body, tt.body)
				}
				if tt.method == "GET" || tt.method == "DELETE" {
					if len(got.Body) != 0 {
						t.Errorf("%s sent a body: %s", tt.method, got.Body)
					}
				} else if ct := got.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
				// The exchange records exactly what crossed the wire.
				if ex.Method != tt.method || ex.Path != wantPath || ex.Host != wantHost || ex.Status != 200 {
					t.Errorf("exchange %s %s host %s status %d, want %s %s host %s 200", ex.Method, ex.Path, ex.Host, ex.Status, tt.method, wantPath, wantHost)
				}
				if !bytes.Equal(ex.RequestBody, got.Body) {
					t.Errorf("exchange request body %q, server saw %q", ex.RequestBody, got.Body)
				}
				if string(ex.ResponseBody) != "{}" || ex.ResponseHeader.Get("Content-Type") != "application/json" {
					t.Errorf("exchange response %q %v", ex.ResponseBody, ex.ResponseHeader)
				}
				if ex.RequestHeader.Get("Authorization") != "Bearer tok-secret" {
					t.Errorf("exchange request header lacks Authorization: %v", ex.RequestHeader)
				}
				if ex.Duration <= 0 {
					t.Errorf("exchange duration %v", ex.Duration)
				}
			})
		}
	}
}

func TestHostSuffix(t *testing.T) {
	t.Parallel()
	rec, c := newRecorder(t, http.StatusOK, `{}`)
	c.HostForm = true
	c.HostSuffix = "eu.trustx.test"
	if _, _, err := c.GetUser(context.Background(), "main", "U1"); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t).Host; got != "acme.eu.trustx.test" {
		t.Errorf("Host %q, want acme.eu.trustx.test", got)
	}
}

func TestClientDecodes(t *testing.T) {
	t.Parallel()
	body := `{"passcodeRequirements":{"minimumLength":6,"maximumLength":12},` +
		`"algorithmInfo":{"type":"SRP","parameters":{"i":"ID26","n":"bg==","g":2,"hashAlgorithm":"SHA-256","salt":"c2FsdA","serverPublicKey":"Qg=="}},` +
		`"sessionId":"UGIRW7QN727EIV2XLXG4YH42N4","extra":true}`
	_, c := newRecorder(t, http.StatusOK, body)
	sr, ex, err := c.Start(context.Background(), FlowRenewal, "main", ByID("U1"), "pol")
	if err != nil {
		t.Fatal(err)
	}
	want := SRPParameters{I: "ID26", N: "bg==", G: 2, HashAlgorithm: "SHA-256", Salt: "c2FsdA", ServerPublicKey: "Qg=="}
	if sr.AlgorithmInfo.Parameters != want || sr.AlgorithmInfo.Type != "SRP" || sr.SessionID != "UGIRW7QN727EIV2XLXG4YH42N4" {
		t.Errorf("decoded %+v", sr)
	}
	if sr.PasscodeRequirements == nil || sr.PasscodeRequirements.MaximumLength != 12 {
		t.Errorf("requirements %+v", sr.PasscodeRequirements)
	}
	if string(ex.ResponseBody) != body {
		t.Errorf("raw body not kept byte for byte")
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode Code  // for *Error
		wantIs   error // sentinel otherwise
	}{
		{"section 10 error", 400, `{"code":"INVALID_PROOF","message":"wrong","processingDetails":[{"code":"X","message":"y"}]}`, CodeInvalidProof, nil},
		{"not found", 404, `{"code":"SESSION_NOT_FOUND","message":"no such session","processingDetails":[]}`, CodeSessionNotFound, nil},
		{"lenient: no details", 401, `{"code":"UNAUTHORIZED"}`, CodeUnauthorized, nil},
		{"unknown code kept", 400, `{"code":"SOMETHING_NEW","message":"m","processingDetails":[]}`, "SOMETHING_NEW", nil},
		{"html error", 502, `<html>bad gateway</html>`, "", ErrMalformedError},
		{"empty error body", 500, ``, "", ErrMalformedError},
		{"no code", 400, `{"message":"x"}`, "", ErrMalformedError},
		{"empty code", 400, `{"code":"","message":"x"}`, "", ErrMalformedError},
		{"numeric code", 400, `{"code":400}`, "", ErrMalformedError},
		{"2xx not json", 200, `not json`, "", ErrMalformedResponse},
		{"2xx wrong type", 200, `{"sessionId":5}`, "", ErrMalformedResponse},
		{"redirect is not followed", 302, ``, "", ErrMalformedError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newRecorder(t, tt.status, tt.body)
			sr, ex, err := c.Start(context.Background(), FlowAuthentication, "main", ByID("U1"), "pol")
			if err == nil {
				t.Fatalf("no error; got %+v", sr)
			}
			if sr != nil {
				t.Errorf("result %+v alongside error", sr)
			}
			if ex == nil || ex.Status != tt.status || string(ex.ResponseBody) != tt.body {
				t.Fatalf("exchange %+v does not hold the raw answer", ex)
			}
			if IsTransport(err) {
				t.Errorf("a received answer reported as transport error: %v", err)
			}
			if tt.wantIs != nil {
				if !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v, want %v", err, tt.wantIs)
				}
				if ErrorCode(err) != "" {
					t.Errorf("ErrorCode = %q for a malformed body", ErrorCode(err))
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Code != tt.wantCode || ErrorCode(err) != tt.wantCode {
				t.Errorf("code %q, want %q", e.Code, tt.wantCode)
			}
			if e.ProcessingDetails == nil {
				t.Errorf("ProcessingDetails nil, want non-nil slice")
			}
		})
	}
}

func TestClientTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens any more
	c, err := NewClient(base, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, ex, err := c.GetUser(context.Background(), "main", "U1")
	if !IsTransport(err) || ErrorCode(err) != "" {
		t.Fatalf("error %v, want a transport error", err)
	}
	if ex == nil || ex.Status != 0 || ex.Method != "GET" || ex.Path == "" {
		t.Errorf("exchange %+v should record the attempt with status 0", ex)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, c2 := newRecorder(t, 200, "{}")
	if _, err := c2.Healthz(ctx); !IsTransport(err) || !errors.Is(err, ErrTransport) {
		t.Errorf("cancelled context: %v, want transport error", err)
	}
}

func TestClientResponseLimit(t *testing.T) {
	t.Parallel()
	_, c := newRecorder(t, 200, `{"sessionId":"`+strings.Repeat("x", 100)+`"}`)
	c.MaxResponseBytes = 50
	_, ex, err := c.Start(context.Background(), FlowRenewal, "main", ByID("U1"), "pol")
	if !IsTransport(err) {
		t.Fatalf("error %v, want transport error for an oversized body", err)
	}
	if len(ex.ResponseBody) != 50 {
		t.Errorf("kept %d bytes, want the first 50", len(ex.ResponseBody))
	}
}

func TestClientArgumentErrors(t *testing.T) {
	t.Parallel()
	rec, c := newRecorder(t, 200, "{}")
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"both refs", second(c.Start(ctx, FlowRenewal, "main", UserRef{ID: "U", ExternalID: "E"}, "p")), ErrInvalidUserRef},
		{"no ref", second(c.Start(ctx, FlowRenewal, "main", UserRef{}, "p")), ErrInvalidUserRef},
		{"bad flow start", second(c.Start(ctx, "login", "main", ByID("U"), "p")), ErrInvalidFlow},
		{"bad flow complete", second(c.Complete(ctx, "", "main", "S", CompleteRequest{})), ErrInvalidFlow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error %v, want %v", tt.err, tt.want)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) != 0 {
		t.Errorf("invalid arguments still sent %d requests", len(rec.reqs))
	}
}

// second returns the error of a three-result call.
func second[A, B any](_ A, _ B, err error) error { return err }

func TestDoRaw(t *testing.T) {
	t.Parallel()
	rec, c := newRecorder(t, 400, `{"code":"INVALID_REQUEST","message":"bad json","processingDetails":[]}`)
	c.HostForm = true
	body := []byte(`{"srpVerificationData":`) // malformed on purpose
	h := http.Header{"Content-Type": {"text/plain"}, "X-Test": {"1"}, "Authorization": {"Bearer other"}, "Host": {"evil.example.test"}}
	path := "/api/identity-store/stores/main/passcodes/renewals/sessions/S%2F1"
	ex, err := c.Do(context.Background(), "POST", path, body, h)
	if err != nil {
		t.Fatalf("Do returns an error only for transport failures, got %v", err)
	}
	got := rec.last(t)
	if got.RequestURI != path {
		t.Errorf("request target %s, want %s (sent as given)", got.RequestURI, path)
	}
	if !bytes.Equal(got.Body, body) || !bytes.Equal(ex.RequestBody, body) {
		t.Errorf("body not sent byte for byte: %q", got.Body)
	}
	if got.Header.Get("Content-Type") != "text/plain" || got.Header.Get("X-Test") != "1" {
		t.Errorf("caller headers not sent: %v", got.Header)
	}
	if got.Header.Get("Authorization") != "Bearer other" {
		t.Errorf("caller Authorization should win, got %q", got.Header.Get("Authorization"))
	}
	if got.Host != "evil.example.test" || ex.Host != "evil.example.test" {
		t.Errorf("Host %q / exchange %q, want the caller's", got.Host, ex.Host)
	}
	if ex.Status != 400 {
		t.Errorf("status %d", ex.Status)
	}
	if err := ex.decode(nil); ErrorCode(err) != CodeInvalidRequest {
		t.Errorf("decode: %v", err)
	}
}

func TestWithTokenNoAuthorization(t *testing.T) {
	t.Parallel()
	rec, c := newRecorder(t, 200, "{}")
	if _, err := c.WithToken("").Healthz(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.last(t).Header["Authorization"]; ok {
		t.Errorf("Authorization sent with no token")
	}
	if c.AccessToken != "tok-secret" {
		t.Errorf("WithToken changed the original client")
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	const answer = `{"access_token":"jwt.jwt.jwt","token_type":"Bearer","expires_in":300}`
	tests := []struct {
		name       string
		call       func(c *Client) (*TokenResponse, *Exchange, error)
		wantBasic  [2]string // decoded, after form-unescaping; empty when form fields
		wantFields url.Values
	}{
		{"basic", func(c *Client) (*TokenResponse, *Exchange, error) {
			return c.Token(context.Background(), "suite", "s3cr:t /x")
		}, [2]string{"suite", "s3cr%3At+%2Fx"}, url.Values{"grant_type": {"client_credentials"}}},
		{"form", func(c *Client) (*TokenResponse, *Exchange, error) {
			return c.TokenWithForm(context.Background(), "suite", "s3cr:t /x")
		}, [2]string{}, url.Values{"grant_type": {"client_credentials"}, "client_id": {"suite"}, "client_secret": {"s3cr:t /x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, c := newRecorder(t, 200, answer)
			c.HostForm = true // the token endpoint is root-level whatever the form
			tr, ex, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if *tr != (TokenResponse{AccessToken: "jwt.jwt.jwt", TokenType: "Bearer", ExpiresIn: 300}) {
				t.Errorf("decoded %+v", tr)
			}
			got := rec.last(t)
			if got.RequestURI != TokenPath || got.Method != "POST" {
				t.Errorf("%s %s, want POST %s", got.Method, got.RequestURI, TokenPath)
			}
			if strings.HasPrefix(got.Host, "acme.") {
				t.Errorf("token call used the host form Host %q", got.Host)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q", ct)
			}
			auth := got.Header.Get("Authorization")
			if tt.wantBasic[0] == "" {
				if auth != "" {
					t.Errorf("Authorization %q sent with form credentials", auth)
				}
			} else {
				raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
				if err != nil || !strings.HasPrefix(auth, "Basic ") {
					t.Fatalf("Authorization %q is not Basic", auth)
				}
				if want := tt.wantBasic[0] + ":" + tt.wantBasic[1]; string(raw) != want {
					t.Errorf("basic credentials %q, want %q", raw, want)
				}
			}
			fields, err := url.ParseQuery(string(got.Body))
			if err != nil {
				t.Fatal(err)
			}
			if fields.Encode() != tt.wantFields.Encode() {
				t.Errorf("form %v, want %v", fields, tt.wantFields)
			}
			s := ex.String()
			for _, secret := range []string{"s3cr", "jwt.jwt.jwt", base64.StdEncoding.EncodeToString([]byte("suite:s3cr%3At+%2Fx"))} {
				if strings.Contains(s, secret) {
					t.Errorf("Exchange.String leaks %q:\n%s", secret, s)
				}
			}
		})
	}
}

func TestExchangeDuration(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Healthz(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ex.Duration < 20*time.Millisecond {
		t.Errorf("duration %v shorter than the server's delay", ex.Duration)
	}
}

func TestHostFormRootPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     func(c *Client) error
		wantPath string
		tenant   bool // Host is the tenant's
	}{
		{"healthz", func(c *Client) error { _, err := c.Healthz(context.Background()); return err }, "/healthz", false},
		{"token", func(c *Client) error { _, _, err := c.Token(context.Background(), "id", "pw"); return err }, "/oauth/token", false},
		{"raw jwks", func(c *Client) error { _, err := c.Do(context.Background(), "GET", JWKSPath, nil, nil); return err }, "/.well-known/jwks.json", false},
		{"user", func(c *Client) error { _, _, err := c.GetUser(context.Background(), "main", "U1"); return err }, "/stores/main/users/U1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, c := newRecorder(t, 200, `{}`)
			c.HostForm, c.Prefix = true, "/"
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			got := rec.last(t)
			if got.RequestURI != tt.wantPath {
				t.Errorf("path %s, want %s", got.RequestURI, tt.wantPath)
			}
			if isTenant := got.Host == "acme.example.test"; isTenant != tt.tenant {
				t.Errorf("Host %q, tenant host wanted: %v", got.Host, tt.tenant)
			}
		})
	}
}
