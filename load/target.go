package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

// ErrTarget means a target description cannot be used.
var ErrTarget = errors.New("load: invalid target")

// Role names what a token is for. A deployment may give the load generator one
// client for everything or separate ones.
type Role string

// The roles of a load run.
const (
	// RoleAdmin creates the run's users (SPEC.md section 5, permission
	// IdentityStore:admin).
	RoleAdmin Role = "admin"
	// RoleUser starts and completes registrations, renewals and authentications.
	RoleUser Role = "user"
)

// TokenSource hands out bearer tokens by role. Token is called for every start
// request, so implementations cache.
type TokenSource interface {
	Token(ctx context.Context, role Role) (string, error)
}

// Target is the deployment a run attacks. It is the subset of a conformance target
// that load needs: where the API is, which tenant and store, how to get tokens.
type Target struct {
	// BaseURL is the scheme and authority, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// Prefix is the identity-store path prefix; api.DefaultPrefix when empty.
	Prefix string
	// Tenant and Store are where the run's users live.
	Tenant string
	Store  string
	// HostForm sends requests in the host form (tenant in the Host header).
	HostForm bool
	// HostSuffix is the DNS suffix of the host form; api.DefaultHostSuffix when
	// empty.
	HostSuffix string
	// SRPProfile is the server's proof profile; srp.DefaultProfile when empty.
	SRPProfile srp.Profile
	// Tokens gives bearer tokens. Required.
	Tokens TokenSource
}

// validate checks the target and returns the base URL without a trailing slash.
func (t *Target) validate() (string, error) {
	u, err := url.Parse(t.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: base URL %q must be an absolute http or https URL", ErrTarget, t.BaseURL)
	}
	if t.Tenant == "" || t.Store == "" {
		return "", fmt.Errorf("%w: tenant and store are required", ErrTarget)
	}
	if t.Tokens == nil {
		return "", fmt.Errorf("%w: no token source", ErrTarget)
	}
	if t.SRPProfile != "" {
		if _, err := srp.ParseProfile(string(t.SRPProfile)); err != nil {
			return "", fmt.Errorf("%w: %v", ErrTarget, err)
		}
	}
	return strings.TrimSuffix(t.BaseURL, "/"), nil
}

func (t *Target) paths() api.Paths {
	return api.Paths{Prefix: t.Prefix, Tenant: t.Tenant, HostForm: t.HostForm}
}

// host is the Host header of identity-store requests, "" for the URL's host.
func (t *Target) host() string {
	if !t.HostForm {
		return ""
	}
	suffix := t.HostSuffix
	if suffix == "" {
		suffix = api.DefaultHostSuffix
	}
	return t.Tenant + "." + suffix
}

func (t *Target) profile() srp.Profile {
	if t.SRPProfile == "" {
		return srp.DefaultProfile
	}
	return t.SRPProfile
}

// apiClient is an api.Client for the target with a token for role.
func (t *Target) apiClient(ctx context.Context, base string, hc *http.Client, role Role) (*api.Client, error) {
	tok, err := t.Tokens.Token(ctx, role)
	if err != nil {
		return nil, err
	}
	return &api.Client{
		BaseURL: base, Prefix: t.Prefix, Tenant: t.Tenant, HostForm: t.HostForm,
		HostSuffix: t.HostSuffix, HTTPClient: hc, AccessToken: tok,
	}, nil
}
