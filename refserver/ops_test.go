package refserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/srp"
)

// serve sends one request to h and returns the recorder.
func serve(h http.Handler, method, path string, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, body))
	return rec
}

// wantErrorBody checks status, section 10 shape and code of a recorded answer.
func wantErrorBody(tb testing.TB, rec *httptest.ResponseRecorder, status int, code api.Code) {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		tb.Fatalf("content type %q", rec.Header().Get("Content-Type"))
	}
	if err := api.ValidateErrorBody(rec.Body.Bytes()); err != nil {
		tb.Fatal(err)
	}
	if e, _ := api.DecodeError(rec.Body.Bytes()); e.Code != code {
		tb.Fatalf("code %s, want %s", e.Code, code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	st := memory.New()
	s, err := New(context.Background(), Config{Store: st, NoFixtures: true})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, p := range []string{api.HealthzPath, api.ReadyzPath} {
		if rec := serve(h, http.MethodGet, p, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status"`) {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
	// With the store gone, the process is alive but not ready.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if rec := serve(h, http.MethodGet, api.HealthzPath, nil); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	rec := serve(h, http.MethodGet, api.ReadyzPath, nil)
	wantErrorBody(t, rec, http.StatusServiceUnavailable, api.CodeUnavailable)
	if strings.Contains(rec.Body.String(), "memory") || strings.Contains(rec.Body.String(), "closed") {
		t.Fatalf("store detail leaked: %s", rec.Body)
	}
}

func TestNoRouteNoMethod(t *testing.T) {
	t.Parallel()
	h := newBareServer(t).Handler()
	wantErrorBody(t, serve(h, http.MethodGet, "/nope", nil), 404, api.CodeNotFound)
	wantErrorBody(t, serve(h, http.MethodGet, "/api/identity-store/tenants/acme/stores/default/users/", nil), 404, api.CodeNotFound)
	wantErrorBody(t, serve(h, http.MethodGet, "/healthz/", nil), 404, api.CodeNotFound)
	wantErrorBody(t, serve(h, http.MethodPost, "/healthz", nil), 405, api.CodeMethodNotAllowed)
	wantErrorBody(t, serve(h, http.MethodPut, "/api/identity-store/tenants/acme/stores/default/passcodePolicy/x", nil), 405, api.CodeMethodNotAllowed)
	wantErrorBody(t, serve(h, http.MethodGet, "/oauth/token", nil), 405, api.CodeMethodNotAllowed)
}

func TestRecoveryHidesPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s, err := New(context.Background(), Config{StoreDSN: "memory:", NoFixtures: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.engine.GET("/test-panic", func(*gin.Context) { panic("internal detail 0xdeadbeef") })
	s.engine.GET("/test-error", func(c *gin.Context) {
		s.abortWith(c, fmt.Errorf("sql: no such table: users_0xfeedface"))
	})
	for _, p := range []string{"/test-panic", "/test-error"} {
		rec := serve(s.Handler(), http.MethodGet, p, nil)
		wantErrorBody(t, rec, 500, api.CodeInternal)
		if strings.Contains(rec.Body.String(), "0x") {
			t.Fatalf("internal detail in the body: %s", rec.Body)
		}
	}
	// The detail goes to the log instead, for the operator.
	if !strings.Contains(logs.String(), "0xdeadbeef") || !strings.Contains(logs.String(), "0xfeedface") {
		t.Fatalf("log lacks the detail: %s", logs.String())
	}
}

func TestErrorTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err      error
		code     api.Code
		internal bool
	}{
		{store.ErrTenantNotFound, api.CodeTenantNotFound, false},
		{fmt.Errorf("wrapped: %w", store.ErrUserNotFound), api.CodeUserNotFound, false},
		{store.ErrCredentialNotFound, api.CodePasscodeNotRegistered, false},
		{store.ErrCredentialExists, api.CodePasscodeAlreadyRegistered, false},
		{store.ErrVersionConflict, api.CodeStaleSession, false},
		{store.ErrExternalIDTaken, api.CodeExternalIDNotUnique, false},
		{srp.ErrInvalidProof, api.CodeInvalidProof, false},
		{srp.ErrInvalidPublicValue, api.CodeInvalidPublicValue, false},
		{srp.ErrInvalidVerifier, api.CodeInvalidVerifier, false},
		{errTooLarge, api.CodePayloadTooLarge, false},
		{errHeadersTooLarge, CodeHeadersTooLarge, false},
		{&retryLater{err: store.ErrSessionsFull, after: time.Second}, CodeTooManyRequests, false},
		{&retryLater{err: errThrottled, after: time.Second}, CodeTooManyRequests, false},
		{ErrBadToken, api.CodeUnauthorized, false},
		{invalidRequest("x"), api.CodeInvalidRequest, false},
		{errors.New("disk on fire"), api.CodeInternal, true},
		{context.Canceled, api.CodeInternal, true},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			e, internal := toAPIError(tt.err)
			if e.Code != tt.code || internal != tt.internal {
				t.Fatalf("toAPIError = %s, %v", e.Code, internal)
			}
			if statusOf(e) == http.StatusInternalServerError && !tt.internal {
				t.Fatalf("code %s has no status", e.Code)
			}
			if strings.Contains(e.Message, "store:") || strings.Contains(e.Message, "srp:") {
				t.Fatalf("message leaks Go error text: %q", e.Message)
			}
		})
	}
	// Every code of the table has a status: api's table, or the server's own codes.
	for _, m := range errorTable() {
		if statusOf(api.NewError(m.code, m.message)) == http.StatusInternalServerError {
			t.Errorf("table code %s has no status", m.code)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newBareServer(t)
	h := s.Handler()
	serve(h, http.MethodGet, api.HealthzPath, nil)
	serve(h, http.MethodGet, "/api/identity-store/tenants/acme/stores/default/users/SECRETSESSIONLIKEID", nil)
	serve(h, http.MethodGet, "/no/such/path", nil)
	s.metrics.srp(srpKindVerify, srpOutcomeInvalidProof)
	rec := serve(h, http.MethodGet, api.MetricsPath, nil)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`renewkit_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`renewkit_http_requests_total{method="GET",route="/api/identity-store/tenants/:tenantId/stores/:storeName/users/:user",status="401"} 1`,
		`renewkit_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`renewkit_http_request_duration_seconds_bucket{method="GET",route="/healthz",le=`,
		`renewkit_sessions_open 0`,
		`renewkit_srp_operations_total{kind="verify",outcome="invalid_proof"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "SECRETSESSIONLIKEID") {
		t.Fatal("a raw path reached a label")
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"profile", Config{SRPProfile: "srp-7"}},
		{"group", Config{SRPGroupBits: 1000}},
		{"store", Config{StoreDSN: "postgres://x"}},
		{"memory with path", Config{StoreDSN: "memory:x"}},
		{"prefix", Config{Prefix: "api"}},
		{"prefix syntax", Config{Prefix: "/api/:x"}},
		{"session ttl", Config{SessionTTL: -1}},
		{"token ttl", Config{TokenTTL: -1}},
		{"key file", Config{SigningKeyFile: "/nonexistent/key.pem"}},
		{"fixtures file", Config{FixturesPath: "/nonexistent/fixtures.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			if cfg.StoreDSN == "" {
				cfg.StoreDSN = "memory:"
			}
			s, err := New(context.Background(), cfg)
			if err == nil {
				s.Close()
				t.Fatal("New accepted the config")
			}
		})
	}
}

func TestPrefixAndProfile(t *testing.T) {
	t.Parallel()
	s, err := New(context.Background(), Config{StoreDSN: "memory:", NoFixtures: true,
		Prefix: "/custom/", SRPProfile: "rfc2945", SRPGroupBits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Params().Profile() != srp.ProfileRFC2945 || s.Params().Group().Bits() != 1024 {
		t.Fatalf("params %s", s.Params())
	}
	// Routed under the new prefix (401: the route exists and wants a token), not under
	// the default one.
	wantErrorBody(t, serve(s.Handler(), http.MethodGet, "/custom/tenants/acme/stores/default/users/X", nil), 401, api.CodeUnauthorized)
	wantErrorBody(t, serve(s.Handler(), http.MethodGet, "/api/identity-store/tenants/acme/stores/default/users/X", nil), 404, api.CodeNotFound)
}
