package refserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
)

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	basic := func(id, secret string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}}
	}
	form := "application/x-www-form-urlencoded"
	grant := []byte("grant_type=client_credentials")
	tests := []struct {
		name        string
		contentType string
		body        []byte
		header      http.Header
		status      int
		code        api.Code
	}{
		{"basic", form, grant, basic("acme-full", "acme-full-secret"), 200, ""},
		{"form fields", form, []byte("grant_type=client_credentials&client_id=acme-full&client_secret=acme-full-secret"), nil, 200, ""},
		{"form content type with charset", form + "; charset=utf-8", grant, basic("acme-full", "acme-full-secret"), 200, ""},
		{"basic form-encoded id", form, grant, basic("acme%2Dfull", "acme-full-secret"), 200, ""},
		{"wrong secret", form, grant, basic("acme-full", "nope"), 401, api.CodeUnauthorized},
		{"unknown client", form, grant, basic("nobody", "nobody-secret"), 401, api.CodeUnauthorized},
		{"no credentials", form, grant, nil, 401, api.CodeUnauthorized},
		{"empty secret in form", form, []byte("grant_type=client_credentials&client_id=acme-full&client_secret="), nil, 401, api.CodeUnauthorized},
		{"bearer instead of basic", form, grant, http.Header{"Authorization": {"Bearer x"}}, 401, api.CodeUnauthorized},
		{"basic not base64", form, grant, http.Header{"Authorization": {"Basic !!!"}}, 401, api.CodeUnauthorized},
		{"basic without colon", form, grant, http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("acme-full"))}}, 401, api.CodeUnauthorized},
		{"both methods", form, []byte("grant_type=client_credentials&client_id=acme-full&client_secret=acme-full-secret"), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"wrong grant", form, []byte("grant_type=password"), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"no grant", form, []byte(""), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"repeated grant", form, []byte("grant_type=client_credentials&grant_type=client_credentials"), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"json body", "application/json", []byte(`{"grant_type":"client_credentials"}`), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"bad form escape", form, []byte("grant_type=%zz"), basic("acme-full", "acme-full-secret"), 400, api.CodeInvalidRequest},
		{"oversized", form, []byte("grant_type=client_credentials&pad=" + strings.Repeat("a", refserver.MaxBodyBytes)), basic("acme-full", "acme-full-secret"), 413, api.CodePayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := w.raw(t, http.MethodPost, api.TokenPath, "", tt.contentType, tt.body, tt.header)
			if tt.status != 200 {
				wantError(t, status, body, tt.status, tt.code)
				return
			}
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var tr api.TokenResponse
			if err := json.Unmarshal(body, &tr); err != nil {
				t.Fatal(err)
			}
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.AccessToken == "" {
				t.Fatalf("token response %+v", tr)
			}
			// The token works and carries the client's permissions.
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, claims); err != nil {
				t.Fatal(err)
			}
			if claims["sub"] != "acme-full" || claims["iss"] != refserver.DefaultIssuer {
				t.Fatalf("claims %v", claims)
			}
			perms, _ := claims["permissions"].([]any)
			if len(perms) != 1 || perms[0] != "TNT#acme#*" {
				t.Fatalf("permissions %v", claims["permissions"])
			}
			if _, _, err := w.full.WithToken(tr.AccessToken).GetPolicy(context.Background(), defStore, standard); err != nil {
				t.Fatalf("using the token: %v", err)
			}
		})
	}
}

func TestJWKSVerifiesIssuedTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	status, body := w.raw(t, http.MethodGet, api.JWKSPath, "", "", nil, nil)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Y, Kid, Alg string }
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks %s: %v", body, err)
	}
	k := set.Keys[0]
	x, _ := base64.RawURLEncoding.DecodeString(k.X)
	y, _ := base64.RawURLEncoding.DecodeString(k.Y)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("jwk is not a P-256 point: %v", err)
	}
	tok := w.srv.Token(t, "acme-full", "acme-full-secret")
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(w.clock.Now))
	if err != nil {
		t.Fatalf("token does not verify with the JWKS key: %v", err)
	}
	if parsed.Header["kid"] != k.Kid || k.Alg != "ES256" || k.Kty != "EC" || k.Crv != "P-256" {
		t.Fatalf("header %v, jwk %+v", parsed.Header, k)
	}
}

// TestUnauthorized covers every 401 case of SPEC section 3 on a passcode endpoint and
// an admin endpoint.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	good := w.full.AccessToken
	parts := strings.Split(good, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 0x80
	tampered := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	now := w.clock.Now()
	claims := jwt.MapClaims{
		"iss": refserver.DefaultIssuer, "sub": "acme-full", "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "permissions": []string{"TNT#acme#*"},
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("guess"))
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreign, _ := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(otherKey)
	// A token of a second server (another key) for the same client.
	other := newWorld(t)

	u := w.newUser(t, "Start-Pass-1")
	paths := []string{
		api.Paths{Tenant: acme}.Start(api.FlowAuthentication, defStore, u.ref(), standard),
		api.Paths{Tenant: acme}.Complete(api.FlowRenewal, defStore, "UGIRW7QN727EIV2XLXG4YH42N4"),
		api.Paths{Tenant: acme}.User(defStore, u.ref()),
	}
	tests := []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"empty bearer", "Bearer "},
		{"basic scheme", "Basic YWNtZS1mdWxsOmFjbWUtZnVsbC1zZWNyZXQ="},
		{"malformed", "Bearer not.a.jwt"},
		{"garbage", "Bearer ???"},
		{"bad signature", "Bearer " + tampered},
		{"alg none", "Bearer " + none},
		{"hs256", "Bearer " + hs},
		{"foreign key", "Bearer " + foreign},
		{"other server", "Bearer " + other.full.AccessToken},
	}
	for _, tt := range tests {
		for _, p := range paths {
			method := http.MethodPost
			if strings.HasSuffix(p, u.ID) {
				method = http.MethodGet
			}
			status, body := w.raw(t, method, p, "", "application/json", nil, http.Header{"Authorization": {tt.header}})
			if tt.header == "" {
				status, body = w.raw(t, method, p, "", "application/json", nil, nil)
			}
			t.Run(tt.name, func(t *testing.T) { wantError(t, status, body, 401, api.CodeUnauthorized) })
		}
	}
	// A valid token expires with the clock.
	w.clock.Advance(time.Hour + time.Second)
	_, ex, err := w.full.GetUser(context.Background(), defStore, u.ID)
	wantAPIError(t, err, ex, api.CodeUnauthorized)
	if ex.ResponseHeader.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	u := w.newUser(t, "Start-Pass-1")
	gu := w.newUserIn(t, globex, "ACTIVE", "Start-Pass-1")

	// acme-renewal may renew but not register, authenticate or administer.
	if _, err := api.Renew(ctx, w.renewal, defStore, u.ref(), standard, "Start-Pass-1", "Next-Pass-2"); err != nil {
		t.Fatalf("renewal client renewing: %v", err)
	}
	_, ex, err := w.renewal.Start(ctx, api.FlowAuthentication, defStore, u.ref(), standard)
	wantAPIError(t, err, ex, api.CodeForbidden)
	_, ex, err = w.renewal.Start(ctx, api.FlowRegistration, defStore, u.ref(), standard)
	wantAPIError(t, err, ex, api.CodeForbidden)
	_, ex, err = w.renewal.GetUser(ctx, defStore, u.ID)
	wantAPIError(t, err, ex, api.CodeForbidden)
	_, ex, err = w.renewal.Complete(ctx, api.FlowAuthentication, defStore, "UGIRW7QN727EIV2XLXG4YH42N4", api.CompleteRequest{})
	wantAPIError(t, err, ex, api.CodeForbidden)

	// acme-readonly has no permission at all.
	_, ex, err = w.readonly.Start(ctx, api.FlowRenewal, defStore, u.ref(), standard)
	wantAPIError(t, err, ex, api.CodeForbidden)

	// acme-full does not reach globex, in either path form.
	cross := *w.full
	cross.Tenant = globex
	_, ex, err = cross.Start(ctx, api.FlowAuthentication, defStore, gu.ref(), standard)
	wantAPIError(t, err, ex, api.CodeForbidden)
	cross.HostForm = true
	_, ex, err = cross.GetUser(ctx, defStore, gu.ID)
	wantAPIError(t, err, ex, api.CodeForbidden)
	// ...and globex-full does reach it.
	if _, err := api.Authenticate(ctx, w.globexFull, defStore, gu.ref(), standard, "Start-Pass-1"); err != nil {
		t.Fatalf("globex: %v", err)
	}
}

// TestTokenForm checks that the form-field client authentication of the api client
// yields a token as good as Basic's.
func TestTokenForm(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tr, _, err := w.srv.Client(t, "").TokenWithForm(context.Background(), "globex-full", "globex-full-secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.globexFull.WithToken(tr.AccessToken).GetPolicy(context.Background(), defStore, pin6); err != nil {
		t.Fatal(err)
	}
}

// TestIssueToken: a server given its key in memory signs with it, and IssueToken's
// tokens are the token endpoint's: accepted while valid, refused once expired,
// refused for a tenant the server does not have.
func TestIssueToken(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refserver.New(context.Background(), refserver.Config{StoreDSN: "memory:", SigningKey: key, SigningKeyFile: "key.pem"}); !errors.Is(err, refserver.ErrConfig) {
		t.Errorf("a key in memory and a key file: %v, want ErrConfig", err)
	}
	srv := refservertest.Start(t, refserver.Config{SigningKey: key})
	ctx := context.Background()
	now := time.Now()
	all := func(tenant string) []string { return []string{api.Permission(tenant, api.OpAll)} }
	tests := []struct {
		name     string
		tenant   string
		iat, exp time.Time
		want     int
	}{
		{"valid", "acme", now, now.Add(time.Hour), http.StatusOK},
		{"expired an hour ago", "acme", now.Add(-2 * time.Hour), now.Add(-time.Hour), http.StatusUnauthorized},
		{"a tenant the server lacks", "nosuchtenant", now, now.Add(time.Hour), http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := srv.IssueToken("harness", all(tc.tenant), tc.iat, tc.exp)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(refserver.DefaultIssuer), jwt.WithoutClaimsValidation()); err != nil {
				t.Errorf("the token is not signed with the key given: %v", err)
			}
			_, ex, _ := srv.Client(t, tc.tenant).WithToken(tok).Start(ctx, api.FlowRenewal, "default", api.ByExternalID("alice"), "standard")
			if ex == nil || ex.Status != tc.want {
				t.Errorf("renewal start: %v, want %d", ex, tc.want)
			}
		})
	}
}
