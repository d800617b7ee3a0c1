package api

import (
	"net/url"
	"strings"
)

// DefaultPrefix is the path prefix of every identity-store endpoint (SPEC.md
// section 2): the passcode endpoints of section 4 and the admin endpoints of
// section 5. The operational and OAuth endpoints below are NOT under it.
const DefaultPrefix = "/api/identity-store"

// DefaultHostSuffix is the DNS suffix the host form appends to the tenant to build
// the Host header: tenant "acme" is sent as "acme.example.test".
const DefaultHostSuffix = "example.test"

// Root-level paths (SPEC.md sections 3 and 11); no prefix, no tenant.
const (
	TokenPath   = "/oauth/token"
	JWKSPath    = "/.well-known/jwks.json"
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
	MetricsPath = "/metrics"
	OpenAPIPath = "/openapi.yaml"
)

// UserRef names a user by exactly one of its id (the 26-character ID) or its
// external id. Paths that take a user use the `/users/{userId}/...` form for ID and
// the `/users/{extUserId}/.../ext` form for ExternalID.
type UserRef struct {
	ID         string
	ExternalID string
}

// ByID returns a reference to the user with this id.
func ByID(id string) UserRef { return UserRef{ID: id} }

// ByExternalID returns a reference to the user with this external id.
func ByExternalID(ext string) UserRef { return UserRef{ExternalID: ext} }

// Valid reports whether exactly one of ID and ExternalID is set.
func (u UserRef) Valid() bool { return (u.ID == "") != (u.ExternalID == "") }

// IsExternal reports whether u names the user by external id.
func (u UserRef) IsExternal() bool { return u.ID == "" && u.ExternalID != "" }

// key is the path segment value of u: ExternalID when u is external, else ID.
func (u UserRef) key() string {
	if u.IsExternal() {
		return u.ExternalID
	}
	return u.ID
}

// String is "id:<ID>" or "ext:<ExternalID>", for messages.
func (u UserRef) String() string {
	if u.IsExternal() {
		return "ext:" + u.ExternalID
	}
	return "id:" + u.ID
}

// Paths builds the escaped request paths of SPEC.md sections 4 and 5. It is the one
// source of truth for paths: the client, the server's router tests and the
// conformance suite all use it.
//
// The canonical form is Prefix + "/tenants/{Tenant}/stores/{store}/..."; with
// HostForm the tenant leaves the path (Prefix + "/stores/{store}/...") and travels in
// the Host header instead (Client.Host). Every variable segment is escaped with
// url.PathEscape, so "a/b" becomes "a%2Fb" and stays one segment (and a segment
// that is exactly "." or ".." is written %2E or %2E%2E, so that it is not taken
// for a dot segment).
//
// PathEscape leaves ':' alone, so Gin route patterns come out of the same code:
// Paths{Tenant: ":tenantId"}.Start(FlowRenewal, ":storeName", ByID(":userId"),
// ":policyName") is the renewal start route. Variable segments must not be empty:
// an empty one yields "//" in the path.
type Paths struct {
	// Prefix defaults to DefaultPrefix when empty. To serve at the root, set "/".
	Prefix string
	// Tenant is the tenant id; unused in the host form.
	Tenant string
	// HostForm selects the `/stores/...` form of the guide's example URL.
	HostForm bool
}

// prefix returns the effective prefix without a trailing slash.
func (p Paths) prefix() string {
	if p.Prefix == "" {
		return DefaultPrefix
	}
	return strings.TrimSuffix(p.Prefix, "/")
}

// join escapes each segment and appends it.
func join(base string, segs ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(escapeSegment(s))
	}
	return b.String()
}

// escapeSegment is url.PathEscape, plus "." and ".." written as %2E and %2E%2E:
// PathEscape leaves dots alone, and a literal dot segment would be removed by
// URL normalization (RFC 3986 section 5.2.4) before it reached the handler.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}

// Store is {P}: the store's base path.
func (p Paths) Store(store string) string {
	if p.HostForm {
		return join(p.prefix()+"/stores", store)
	}
	return join(p.prefix()+"/tenants", p.Tenant) + join("/stores", store)
}

// Start is a flow's start path: {P}/users/{userId}/passcodes/{flows}/{policyName},
// or {P}/users/{extUserId}/passcodes/{flows}/{policyName}/ext for an external
// reference.
func (p Paths) Start(flow Flow, store string, user UserRef, policy string) string {
	s := join(p.Store(store)+"/users", user.key()) + join("/passcodes", flow.Segment(), policy)
	if user.IsExternal() {
		s += "/ext"
	}
	return s
}

// Complete is a flow's completion path: {P}/passcodes/{flows}/sessions/{sessionId}.
func (p Paths) Complete(flow Flow, store, sessionID string) string {
	return join(p.Store(store)+"/passcodes", flow.Segment()) + join("/sessions", sessionID)
}

// Users is {P}/users, where users are created.
func (p Paths) Users(store string) string {
	return p.Store(store) + "/users"
}

// User is {P}/users/{userId} or {P}/users/{extUserId}/ext.
func (p Paths) User(store string, user UserRef) string {
	s := join(p.Users(store), user.key())
	if user.IsExternal() {
		s += "/ext"
	}
	return s
}

// Credential is {P}/users/{userId}/passcodes, the user's passcode credential.
func (p Paths) Credential(store, userID string) string {
	return join(p.Users(store), userID) + "/passcodes"
}

// Policies is {P}/passcodePolicy, where policies are created.
func (p Paths) Policies(store string) string {
	return p.Store(store) + "/passcodePolicy"
}

// Policy is {P}/passcodePolicy/{policyName}.
func (p Paths) Policy(store, name string) string {
	return join(p.Policies(store), name)
}
