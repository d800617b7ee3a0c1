package provider_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	if p, err := provider.Open("", "ghcr.io/x/y:1"); err != nil {
		t.Errorf("image: %v", err)
	} else if _, ok := p.(*provider.Container); !ok {
		t.Errorf("image provider is %T, want *Container", p)
	}
	p, err := provider.Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*provider.InProcess); !ok {
		t.Errorf("default provider is %T, want *InProcess", p)
	}
	if _, err := provider.Open("http://h:1", ""); err != nil {
		t.Errorf("url: %v", err)
	}
}

func TestInProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := provider.NewInProcess(provider.InProcessOptions{})
	tg, err := p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if _, err := p.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	for _, c := range sut.AllCapabilities() {
		if want := c != sut.RFC2945; tg.Has(c) != want {
			t.Errorf("Has(%s) = %v, want %v", c, !want, want)
		}
	}
	if tg.SessionExpiryStore() != "ephemeral" || time.Duration(tg.SessionTTL) != 5*time.Second {
		t.Errorf("session expiry in %q after %v, want ephemeral after 5s", tg.SessionExpiryStore(), time.Duration(tg.SessionTTL))
	}
	ts := sut.NewTokenSource(tg, nil)
	tests := []struct {
		role   sut.Role
		tenant string
		want   int // status of a renewal start of the fixtures' user alice
	}{
		{sut.RoleFull, tg.Tenant, 200},
		{sut.RoleRenewal, tg.Tenant, 200},
		{sut.RoleNone, tg.Tenant, 403},
		{sut.RoleOtherTenant, tg.Tenant, 403},
		{sut.RoleExpired, tg.Tenant, 401},
		{sut.RoleUnknownTenant, tg.UnknownTenantID, 404},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			tok, err := ts.Token(ctx, tc.role)
			if tc.role == sut.RoleExpired {
				// The fixtures' short-lived client: its token is waited out.
				tok, err = ts.Expired(ctx, tc.role, time.Second)
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := tg.NewClient(tc.tenant, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, ex, _ := c.WithToken(tok).Start(ctx, api.FlowRenewal, tg.Store, api.ByExternalID("alice"), "standard")
			if ex == nil || ex.Status != tc.want {
				t.Fatalf("renewal start as %s: %v, want %d", tc.role, ex, tc.want)
			}
		})
	}
	if _, err := ts.Token(ctx, sut.Role("nobody")); !errors.Is(err, sut.ErrNoRole) {
		t.Errorf("unknown role: err = %v", err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Server() != nil {
		t.Error("server still set after Stop")
	}
}
