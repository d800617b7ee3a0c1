package refserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
)

// newProcessServer is a server with the default fixtures on an in-memory store.
func newProcessServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := New(context.Background(), Config{StoreDSN: "memory:"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// bearerFor issues a token with the permissions of a fixtures client.
func bearerFor(tb testing.TB, s *Server, perms ...string) string {
	tb.Helper()
	tok, err := s.tokens.issue("test-client", perms)
	if err != nil {
		tb.Fatal(err)
	}
	return "Bearer " + tok
}

// TestProcessRoutesErrors checks the process endpoints' authentication,
// permissions, error bodies and limits: bad input is 4xx in the section 10 shape.
func TestProcessRoutesErrors(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	full := bearerFor(t, s, "TNT#acme#*")
	readOnly := bearerFor(t, s, "TNT#acme#getProcessDefinitions")
	admin := bearerFor(t, s, "TNT#acme#IdentityStore:admin")
	base := DefaultPrefix + "/tenants/acme"
	big := `{"processToken":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	tests := []struct {
		name, method, path, auth, body, host string
		status                               int
		code                                 api.Code
	}{
		{"deploy without a token", "POST", base + "/processDefinitions", "", `{}`, "", 401, api.CodeUnauthorized},
		{"deploy with a read permission", "POST", base + "/processDefinitions", readOnly, `{}`, "", 403, api.CodeForbidden},
		{"deploy with the admin permission only", "POST", base + "/processDefinitions", admin, `{}`, "", 403, api.CodeForbidden},
		{"deploy malformed json", "POST", base + "/processDefinitions", full, `{"name":`, "", 400, api.CodeInvalidRequest},
		{"deploy unknown member", "POST", base + "/processDefinitions", full, `{"name":"x","colour":1}`, "", 400, api.CodeInvalidRequest},
		{"deploy no nodes", "POST", base + "/processDefinitions", full, `{"name":"x","nodes":[],"flows":[]}`, "", 400, api.CodeInvalidRequest},
		{"read with a read permission", "GET", base + "/processDefinitions/passcodeRenewal", readOnly, "", "", 200, ""},
		{"unknown definition", "GET", base + "/processDefinitions/nope", full, "", "", 404, CodeProcessDefinitionNotFound},
		{"bad version", "GET", base + "/processDefinitions/passcodeRenewal/versions/zero", full, "", "", 400, api.CodeInvalidRequest},
		{"unknown form", "GET", base + "/customForms/nope/versions/1", full, "", "", 404, CodeCustomFormNotFound},
		{"token of an unknown definition", "POST", base + "/processTokens", full, `{"name":"t","processDefnName":"nope","type":"UNLIMITED"}`, "", 404, CodeProcessDefinitionNotFound},
		{"token with a bad type", "POST", base + "/processTokens", full, `{"name":"t","processDefnName":"passcodeRenewal","type":"FOREVER"}`, "", 400, api.CodeInvalidRequest},
		{"unknown token", "GET", base + "/processTokens/ABC", full, "", "", 404, CodeProcessTokenNotFound},
		{"unknown instance", "GET", base + "/processInstances/ABC", full, "", "", 404, CodeProcessInstanceNotFound},
		{"open an unknown token", "POST", base + "/processFlows", "", `{"processToken":"nope"}`, "", 404, CodeProcessTokenNotFound},
		{"open without a token", "POST", base + "/processFlows", "", `{}`, "", 400, api.CodeInvalidRequest},
		{"open with a body over 64 KiB", "POST", base + "/processFlows", "", big, "", 413, api.CodePayloadTooLarge},
		{"open with a wrong type", "POST", base + "/processFlows", "", `{"processToken":7}`, "", 400, api.CodeInvalidRequest},
		{"view without the access key", "GET", base + "/processFlows/ABC", "", "", "", 404, CodeProcessInstanceNotFound},
		{"submit without the access key", "POST", base + "/processFlows/ABC/steps/form", "", `{}`, "", 404, CodeProcessInstanceNotFound},
		{"host form", "GET", DefaultPrefix + "/processDefinitions", full, "", "acme.example.test", 200, ""},
		{"host form without a tenant", "POST", DefaultPrefix + "/processFlows", "", `{"processToken":"x"}`, "127.0.0.1", 404, api.CodeTenantNotFound},
		{"another tenant's permission", "GET", DefaultPrefix + "/tenants/globex/processDefinitions", full, "", "", 403, api.CodeForbidden},
		{"unknown asset", "GET", FlowAssetsPath + "/nope.js", "", "", "", 404, api.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(tt.method, tt.path, body)
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.code == "" {
				return
			}
			var e api.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != tt.code || e.Message == "" || e.ProcessingDetails == nil {
				t.Fatalf("body %s, want the section 10 shape with %s", rec.Body, tt.code)
			}
		})
	}
}

// TestProcessValidationNamesNodeAndParameter checks the 400 of a broken deploy.
func TestProcessValidationNamesNodeAndParameter(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	d, err := s.Engine().Definition("acme", "passcodeRenewal", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Nodes {
		if d.Nodes[i].ID == "startPasscodeRenewal" {
			delete(d.Nodes[i].Parameters, "storeName")
		}
	}
	raw, _ := json.Marshal(d)
	req := httptest.NewRequest(http.MethodPost, DefaultPrefix+"/tenants/acme/processDefinitions", strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearerFor(t, s, "TNT#acme#deployProcessDefinition"))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var e api.Error
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != 400 || e.Message != `node "startPasscodeRenewal" parameter "storeName": required parameter "storeName" (Store Name) is missing` {
		t.Fatalf("%d %+v", rec.Code, e)
	}
}

// TestProcessPage checks the page's response headers and the assets.
func TestProcessPage(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, FlowPagePath+"/acme/SECRET<x>", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", rec.Code, rec.Header())
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Frame-Options"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("page lacks %s", h)
		}
	}
	if strings.Contains(rec.Body.String(), "SECRET<x>") {
		t.Error("the token reaches the page unescaped")
	}
	if !strings.Contains(rec.Body.String(), `data-api="/api/identity-store/tenants/acme"`) {
		t.Errorf("page lacks the api base: %s", rec.Body)
	}
	for _, f := range []string{"app.js", "srp.js", "policy.js", "style.css"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, FlowAssetsPath+"/"+f, nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("%s: %d", f, rec.Code)
		}
	}
}

// TestGetUserActivity: the Get User activity answers as GET {P}/users/... does.
func TestGetUserActivity(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	sp := serverPasscodes{s}
	ctx := context.Background()
	tests := []struct {
		name, store string
		ref         api.UserRef
		code        api.Code
		status      api.UserStatus
	}{
		{"by external id", "default", api.ByExternalID("alice"), "", api.StatusActive},
		{"by id", "default", api.ByID("BUBYVQT4M4RFAO2IMAHFEH5D4A"), "", api.StatusLocked},
		{"unknown user", "default", api.ByExternalID("nobody-here"), api.CodeUserNotFound, ""},
		{"no user named", "default", api.ByExternalID(""), api.CodeUserNotFound, ""},
		{"unknown store", "nowhere", api.ByExternalID("alice"), api.CodeStoreNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := sp.GetUser(ctx, "acme", tt.store, tt.ref)
			if api.ErrorCode(err) != tt.code {
				t.Fatalf("GetUser: %v, want %q", err, tt.code)
			}
			if err == nil && (u.Status != tt.status || u.ID == "" || u.ExternalID == "") {
				t.Fatalf("user %+v, want status %s", u, tt.status)
			}
		})
	}
}
