package mutant

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// env is what a variant's middlewares may use: the real server (whose IssueToken
// signs tokens), its SRP parameters, its signing key (to read tokens) and the
// reference fixtures' stores by tenant.
type env struct {
	srv    *refserver.Server
	params *srp.Params
	tokens tokens
	stores map[string][]string
}

// unknownTenant is the tenant the unknown-tenant token names: one the reference
// fixtures do not have.
const unknownTenant = "nosuchtenant"

// startVariant runs v in this process on a loopback port until the test ends and
// returns its target: the reference fixtures' target, with the session lifetime, an
// expired token and a token for a tenant that does not exist, like the default
// in-process target of the suite.
func startVariant(tb testing.TB, v variant, ttl time.Duration) *sut.Target {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	mem := memory.New()
	tb.Cleanup(func() { _ = mem.Close() })
	srv, err := refserver.New(context.Background(), refserver.Config{
		Store:      &faultyStore{Store: mem, f: v.store},
		SessionTTL: ttl,
		SigningKey: key,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	set, err := fixtures.Default()
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{srv: srv, params: srv.Params(), tokens: tokens{key: key}, stores: map[string][]string{}}
	for _, s := range set.Stores {
		e.stores[s.Tenant] = append(e.stores[s.Tenant], s.Name)
	}

	var h http.Handler = srv.Handler()
	if v.srp != (srpFaults{}) || v.control {
		h = translator(e, v.srp, h)
	}
	if v.http != nil {
		h = v.http(e, h)
	}
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)

	tg, err := sut.FromURL(ts.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tg.Name = "variant " + v.name
	tg.SessionTTL = sut.Duration(ttl)
	now := time.Now()
	// The server's own issuer signs them, as its token endpoint would.
	expired, err := srv.IssueToken("renewkit-expired", []string{api.Permission(tg.Tenant, api.OpAll)}, now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	unknown, err := srv.IssueToken("renewkit-unknown-tenant", []string{api.Permission(unknownTenant, api.OpAll)}, now, now.Add(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	tg.Tokens[sut.RoleExpired] = sut.Credentials{Token: expired}
	tg.Tokens[sut.RoleUnknownTenant] = sut.Credentials{Token: unknown}
	tg.UnknownTenantID = unknownTenant
	if err := tg.Validate(); err != nil {
		tb.Fatal(err)
	}
	return tg
}
