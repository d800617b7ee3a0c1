package sut_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const minimal = `
baseURL: http://127.0.0.1:9000/
tenant: acme
store: default
tokens:
  full: {clientId: acme-full, clientSecret: acme-full-secret}
capabilities: [admin]
`
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring of the error; "" for success
		check   func(t *testing.T, tg *sut.Target)
	}{
		{
			name: "minimal file gets the defaults",
			yaml: minimal,
			check: func(t *testing.T, tg *sut.Target) {
				if tg.BaseURL != "http://127.0.0.1:9000" || tg.Prefix != api.DefaultPrefix ||
					tg.PathForm != sut.PathFormTenant || tg.SRP.Profile != "rfc5054-padded" ||
					tg.SRP.GroupBits != 2048 || tg.Lock.MaxFailedAttempts != 5 {
					t.Errorf("defaults not filled: %+v", tg)
				}
				for _, role := range sut.PolicyRoles() {
					p := tg.Policies[role]
					if p.Name != role || p.Requirements == nil {
						t.Errorf("policy %s = %+v, want the fixtures' one", role, p)
					}
				}
				if !tg.Has(sut.Admin) || tg.Has(sut.Lockout) || tg.Has(sut.OtherTenant) {
					t.Errorf("capabilities = %v", tg.Offered())
				}
			},
		},
		{
			name: "host form, rfc2945 and a static token",
			yaml: `
baseURL: https://id.example.com
pathForm: host
hostSuffix: eu.example.com
tenant: t1
store: s1
srp: {profile: rfc2945}
tokens:
  full: {tokenEnv: RENEWKIT_TEST_TOKEN}
  other-tenant: {clientId: c, clientSecretEnv: SECRET}
otherTenant: t2
sessionTTL: 10s
users:
  registered: [{id: ABC, externalId: a, passcode: x}]
`,
			check: func(t *testing.T, tg *sut.Target) {
				for _, c := range []sut.Capability{sut.RFC2945, sut.OtherTenant, sut.SessionExpiry} {
					if !tg.Has(c) {
						t.Errorf("missing capability %s", c)
					}
				}
				if tg.Has(sut.Admin) || tg.OtherTenantStore != "s1" {
					t.Errorf("unexpected: %+v", tg)
				}
			},
		},
		{name: "unknown key", yaml: minimal + "bogus: 1\n", wantErr: "bogus"},
		{name: "no full token", yaml: "baseURL: http://h\ntenant: a\nstore: b\ncapabilities: [admin]\n", wantErr: "tokens.full is required"},
		{name: "derived capability declared", yaml: strings.Replace(minimal, "[admin]", "[admin, second-store]", 1), wantErr: "cannot be declared"},
		{name: "bad url", yaml: strings.Replace(minimal, "http://127.0.0.1:9000/", "ftp://x", 1), wantErr: "baseURL"},
		{name: "bad profile", yaml: minimal + "srp: {profile: sha1-magic}\n", wantErr: "srp"},
		{name: "secret twice", yaml: strings.Replace(minimal, "clientSecret: acme-full-secret", "clientSecret: a, clientSecretEnv: B", 1), wantErr: "exactly one of clientSecret"},
		{name: "no users without admin", yaml: strings.Replace(minimal, "[admin]", "[lockout]", 1), wantErr: "users.registered"},
		{name: "bad duration", yaml: minimal + "sessionTTL: soon\n", wantErr: "duration"},
		{name: "short-lived store without its lifetime", yaml: minimal + "sessionTTLStore: ephemeral\n", wantErr: "sessionTTLStore needs sessionTTL"},
		{
			name: "a store with short-lived sessions",
			yaml: minimal + "sessionTTL: 5s\nsessionTTLStore: ephemeral\n",
			check: func(t *testing.T, tg *sut.Target) {
				if !tg.Has(sut.SessionExpiry) || tg.SessionExpiryStore() != "ephemeral" {
					t.Errorf("session expiry %v in %q", tg.Has(sut.SessionExpiry), tg.SessionExpiryStore())
				}
			},
		},
		{
			name: "session lifetime of the main store",
			yaml: minimal + "sessionTTL: 45s\n",
			check: func(t *testing.T, tg *sut.Target) {
				if tg.Has(sut.SessionExpiry) || tg.SessionExpiryStore() != "default" {
					t.Errorf("45 s sessions: session expiry %v in %q, want none in default", tg.Has(sut.SessionExpiry), tg.SessionExpiryStore())
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, err := sut.Parse([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, sut.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, tg)
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	t.Run("bare URL means the reference fixtures", func(t *testing.T) {
		t.Parallel()
		tg, err := sut.Load("http://127.0.0.1:8080")
		if err != nil {
			t.Fatal(err)
		}
		if tg.Source != "http://127.0.0.1:8080" || tg.Tenant != "acme" || tg.Store != "default" ||
			tg.Tokens[sut.RoleRenewal].ClientID != "acme-renewal" || tg.SecondStoreName != "secondary" {
			t.Errorf("target = %+v", tg)
		}
		// Every capability but the rfc2945 profile: against the reference server
		// with its default fixtures every check runs (issue 11).
		for _, c := range sut.AllCapabilities() {
			if want := c != sut.RFC2945; tg.Has(c) != want {
				t.Errorf("Has(%s) = %v, want %v", c, !want, want)
			}
		}
		if tg.Tokens[sut.RoleExpired].ClientID != "acme-short-lived" || tg.Tokens[sut.RoleUnknownTenant].ClientID != "ghost-full" ||
			tg.UnknownTenantID != "ghost" {
			t.Errorf("expired %+v, unknown-tenant %+v for %q", tg.Tokens[sut.RoleExpired].ClientID,
				tg.Tokens[sut.RoleUnknownTenant].ClientID, tg.UnknownTenantID)
		}
		if tg.SessionExpiryStore() != "ephemeral" || time.Duration(tg.SessionTTL) != 5*time.Second {
			t.Errorf("session expiry in %q after %v, want ephemeral after 5s", tg.SessionExpiryStore(), time.Duration(tg.SessionTTL))
		}
		if len(tg.Users.Registered) == 0 || len(tg.Users.Locked) == 0 || len(tg.Users.Disabled) == 0 {
			t.Errorf("users = %+v", tg.Users)
		}
	})
	t.Run("the example target file parses", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join("..", "docs", "target.example.yaml")
		tg, err := sut.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Has(sut.Admin) || !tg.Has(sut.OtherTenant) || !tg.Has(sut.ExpiredToken) || len(tg.Users.Registered) != 2 {
			t.Errorf("example target: %+v", tg)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		if _, err := sut.Load(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
			t.Fatal("no error")
		}
	})
}
