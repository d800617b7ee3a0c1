// Package sut describes a server under test ("sut"): where it is, which path form
// and tenant to use, which SRP profile it runs, how to obtain a token for each role
// the checks need, what it declares it can do (capabilities), and, for servers
// without the admin API, the policies and users provisioned on it beforehand.
//
// The conformance suite (steps), the load generator (load), the process steps and
// `renewkit conform` and `renewkit load` all take a Target. Load reads one from a
// YAML file or from a bare URL, which means "a server loaded with the reference
// fixtures" (fixtures.Default). A Provider starts and stops the server behind a
// Target: Static here for a server that is already running; the providers that
// start one (the reference server in this process, an image in a container) are in
// package sut/provider, so that a harness that takes a Target does not pull the
// reference server, its storage or testcontainers-go.
//
// The package is a pure value: no godog, vegeta, gin, SQLite or testcontainers-go
// dependency (TestDependencies keeps it so), so that every harness can share it.
package sut

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

// ErrInvalid is matched (errors.Is) by every error of Parse, Load and Validate for a
// target description that cannot be used; the message names each problem.
var ErrInvalid = errors.New("sut: invalid target")

// PathForm is how identity-store paths name the tenant (SPEC.md section 2).
type PathForm string

// The two path forms.
const (
	// PathFormTenant is the canonical form, /tenants/{tenantId}/stores/....
	PathFormTenant PathForm = "tenant"
	// PathFormHost is the guide's form, /stores/... with the tenant taken from the
	// first DNS label of the Host header.
	PathFormHost PathForm = "host"
)

// Capability is something a target may or may not offer. Scenarios that need a
// capability the target does not have are reported as not applicable.
type Capability string

// Declared capabilities: a target file lists these under `capabilities`.
const (
	// Admin is the admin API of SPEC.md section 5 (users, policies, credentials).
	Admin Capability = "admin"
	// Lockout is the lock configuration of SPEC.md section 9.
	Lockout Capability = "lockout"
	// HostPaths is the host form of the paths (SPEC.md section 2, a SHOULD).
	HostPaths Capability = "host-paths"
	// RFC2945 is the rfc2945 proof profile (SPEC.md section 6, a MAY). It is
	// declared by `srp.profile: rfc2945`, not in the list.
	RFC2945 Capability = "rfc2945"
	// OAuth is the server's own token endpoint and JWKS (SPEC.md section 3).
	OAuth Capability = "oauth"
	// Ops is the operational endpoints of SPEC.md section 11.
	Ops Capability = "ops"
	// Process is renewkit's process endpoints for the guide's "Renewing via Process
	// Definition" (package process), with the fixture flow "passcodeRenewal".
	Process Capability = "process"
)

// Derived capabilities: they follow from other fields of the target and cannot be
// listed under `capabilities`.
const (
	// RenewalToken: a token of the renewal-only role is configured.
	RenewalToken Capability = "renewal-token"
	// NoPermissionToken: a token of the no-permission role is configured.
	NoPermissionToken Capability = "no-permission-token"
	// OtherTenant: another tenant and a token for it are configured.
	OtherTenant Capability = "other-tenant"
	// ExpiredToken: an expired token is configured.
	ExpiredToken Capability = "expired-token"
	// UnknownTenant: a token whose permissions name a tenant that does not exist.
	UnknownTenant Capability = "unknown-tenant"
	// SecondStore: a second store of the tenant is configured.
	SecondStore Capability = "second-store"
	// SessionExpiry: the session TTL of some store (SessionExpiryStore) is declared
	// and short enough (MaxSessionTTLToWait) for a check to wait it out.
	SessionExpiry Capability = "session-expiry"
	// LockExpiry: a store of the tenant whose lock lasts at most MaxLockToWait is
	// declared (ShortLockStore and ShortLock), so a check can wait a lock out.
	LockExpiry Capability = "lock-expiry"
)

// DeclarableCapabilities returns the capabilities a target file may list.
func DeclarableCapabilities() []Capability {
	return []Capability{Admin, Lockout, HostPaths, OAuth, Ops, Process}
}

// AllCapabilities returns every capability, declared and derived, in a fixed order.
func AllCapabilities() []Capability {
	return []Capability{Admin, Lockout, HostPaths, RFC2945, OAuth, Ops, Process,
		RenewalToken, NoPermissionToken, OtherTenant, ExpiredToken, UnknownTenant,
		SecondStore, SessionExpiry, LockExpiry}
}

// MaxLockToWait is the longest lock of ShortLockStore for which the lock expiry
// check runs: it waits the lock out.
const MaxLockToWait = 30 * time.Second

// MaxSessionTTLToWait is the longest declared session TTL for which the session
// expiry check runs: it waits the TTL out.
const MaxSessionTTLToWait = 30 * time.Second

// Role is who a request acts as; each role maps to one token.
type Role string

// The roles of the conformance checks.
const (
	// RoleFull holds every permission of the tenant, admin included when the target
	// has the admin API (TNT#{tenant}#*).
	RoleFull Role = "full"
	// RoleRenewal holds only the three renewal permissions.
	RoleRenewal Role = "renewal"
	// RoleNone holds no permission of the tenant.
	RoleNone Role = "none"
	// RoleOtherTenant holds every permission of OtherTenant and none of Tenant.
	RoleOtherTenant Role = "other-tenant"
	// RoleExpired is an expired token that was otherwise valid for Tenant: a
	// static token past its exp, or the credentials of a client whose tokens
	// expire within seconds, which the checks wait out (TokenSource.Expired).
	RoleExpired Role = "expired"
	// RoleUnknownTenant holds every permission of UnknownTenantID, a tenant the
	// server does not have.
	RoleUnknownTenant Role = "unknown-tenant"
)

// Roles returns every role in a fixed order.
func Roles() []Role {
	return []Role{RoleFull, RoleRenewal, RoleNone, RoleOtherTenant, RoleExpired, RoleUnknownTenant}
}

// Credentials say how to obtain a role's token: either OAuth 2.0 client credentials
// at the server's /oauth/token (ClientID with ClientSecret or ClientSecretEnv), or a
// static token from the environment (TokenEnv). Token is set only by code (a
// provider that mints one); it is never read from a file, so that files hold no
// live secrets.
type Credentials struct {
	ClientID     string `yaml:"clientId,omitempty"`
	ClientSecret string `yaml:"clientSecret,omitempty"`
	// ClientSecretEnv names an environment variable that holds the client secret.
	ClientSecretEnv string `yaml:"clientSecretEnv,omitempty"`
	// TokenEnv names an environment variable that holds a ready bearer token.
	TokenEnv string `yaml:"tokenEnv,omitempty"`
	// Token is a ready bearer token set by code. Never logged.
	Token string `yaml:"-"`
}

// configured reports whether c names any way to get a token.
func (c Credentials) configured() bool {
	return c.ClientID != "" || c.TokenEnv != "" || c.Token != ""
}

// SRP is the target's SRP parameter set (SPEC.md section 6).
type SRP struct {
	// Profile is "rfc5054-padded" (the default) or "rfc2945".
	Profile string `yaml:"profile"`
	// GroupBits is the RFC 5054 group; 2048 when zero.
	GroupBits int `yaml:"groupBits"`
	// Hash is the hash name; "SHA-256" when empty.
	Hash string `yaml:"hash"`
}

// Lock is the lock configuration of the target's store (SPEC.md section 9).
type Lock struct {
	// MaxFailedAttempts is the number of failed proofs that locks a user; 5 when zero.
	MaxFailedAttempts int `yaml:"maxFailedAttempts"`
	// LockDurationSeconds is how long the lock lasts; 900 when zero.
	LockDurationSeconds int `yaml:"lockDurationSeconds"`
}

// Policy is a passcode policy provisioned on the target under Name, with the
// requirements the server must return verbatim (SPEC.md section 8).
type Policy struct {
	Name string `yaml:"name"`
	// Requirements are what the server must return. When absent from a file, the
	// reference fixtures' policy of the same role is assumed.
	Requirements *passcode.Requirements `yaml:"requirements,omitempty"`
}

// The policy roles the checks use. Each names a policy of the target's store.
const (
	// PolicyStandard: history 3 and class rules (the fixtures' "standard").
	PolicyStandard = "standard"
	// PolicyPIN6: exactly six digits, history 1 (the fixtures' "pin6").
	PolicyPIN6 = "pin6"
	// PolicyNoHistory: length only, history 0 (the fixtures' "nohistory").
	PolicyNoHistory = "nohistory"
)

// PolicyRoles returns the policy roles every target must provide.
func PolicyRoles() []string { return []string{PolicyStandard, PolicyPIN6, PolicyNoHistory} }

// User is a pre-provisioned user of a target without the admin API. Passcode is
// its current passcode (test data, like the fixtures); it is empty for a user
// without one.
type User struct {
	ID         string `yaml:"id"`
	ExternalID string `yaml:"externalId"`
	Passcode   string `yaml:"passcode,omitempty"`
}

// Users are the pre-provisioned users, by what a check can use them for. Each
// scenario takes the users it changes for itself, so the lists bound how many such
// scenarios can run; read-only scenarios may share Locked and Disabled users.
type Users struct {
	// Registered users are ACTIVE and have a passcode.
	Registered []User `yaml:"registered"`
	// Unregistered users are ACTIVE and have none.
	Unregistered []User `yaml:"unregistered"`
	// Locked users are LOCKED and have a passcode.
	Locked []User `yaml:"locked"`
	// Disabled users are DISABLED and have a passcode.
	Disabled []User `yaml:"disabled"`
}

// Target is one server under test. Build it with Load, Parse or FromURL (or a
// Provider), then Validate it; fields are as in the YAML file.
type Target struct {
	// Name is a label for reports; the base URL when empty.
	Name string `yaml:"name"`
	// BaseURL is the server's scheme and authority, e.g. http://127.0.0.1:8080.
	BaseURL string `yaml:"baseURL"`
	// Prefix is the identity-store path prefix; api.DefaultPrefix when empty.
	Prefix string `yaml:"prefix"`
	// PathForm is the form every identity-store request uses; "tenant" when empty.
	PathForm PathForm `yaml:"pathForm"`
	// HostSuffix is the DNS suffix of the host form; api.DefaultHostSuffix when empty.
	HostSuffix string `yaml:"hostSuffix"`
	// Tenant and Store are where the checks run.
	Tenant string `yaml:"tenant"`
	Store  string `yaml:"store"`
	// SecondStoreName is another store of Tenant (capability second-store).
	SecondStoreName string `yaml:"secondStore"`
	// OtherTenantID and OtherTenantStore are a second tenant and its store, for the
	// isolation checks (capability other-tenant, with the other-tenant token).
	OtherTenantID    string `yaml:"otherTenant"`
	OtherTenantStore string `yaml:"otherTenantStore"`
	// UnknownTenantID is a tenant the server does not have, named by the
	// permissions of the unknown-tenant token (capability unknown-tenant).
	UnknownTenantID string `yaml:"unknownTenant"`
	// SRP is the parameter set.
	SRP SRP `yaml:"srp"`
	// Tokens maps each role to its credentials; full is required.
	Tokens map[Role]Credentials `yaml:"tokens"`
	// Capabilities are the declared capabilities (DeclarableCapabilities).
	Capabilities []Capability `yaml:"capabilities"`
	// SessionTTL is the lifetime of the sessions of SessionTTLStore, when known
	// (capability session-expiry when at most MaxSessionTTLToWait).
	SessionTTL Duration `yaml:"sessionTTL"`
	// SessionTTLStore is the store of Tenant whose sessions live SessionTTL; Store
	// when empty. A deployment that keeps its sessions for minutes in Store can name
	// a store with short-lived sessions here, as the reference fixtures' "ephemeral"
	// store is; it must have the target's policies, and the session expiry check
	// makes its users through the admin API when it is not Store.
	SessionTTLStore string `yaml:"sessionTTLStore"`
	// Lock is the lock configuration of Store.
	Lock Lock `yaml:"lock"`
	// ShortLockStore is a store of Tenant whose lock configuration, ShortLock,
	// differs from Lock and lasts at most MaxLockToWait (capability lock-expiry):
	// the checks that a lock ends when its duration has passed and that each store
	// counts to its own maxFailedAttempts run there, with users made through the
	// admin API. The reference fixtures' store "brief" is one.
	ShortLockStore string `yaml:"shortLockStore"`
	ShortLock      Lock   `yaml:"shortLock"`
	// Policies maps each policy role (PolicyRoles) to the target's policy.
	Policies map[string]Policy `yaml:"policies"`
	// Users are the pre-provisioned users, needed without the admin capability.
	Users Users `yaml:"users"`
	// Image, when set, is a container image that serves the target: the
	// container provider starts it and sets BaseURL to its address, so a file with
	// an image has no baseURL.
	Image *Image `yaml:"image,omitempty"`

	// Source is how the target was named (a URL or a file path) so that a report
	// can print a command that reruns a check against it; empty for the default
	// in-process server.
	Source string `yaml:"-"`
}

// Duration is a time.Duration that reads "5s" or "300s" from YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %v", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Load reads a target: spec is either an http(s) URL, meaning a server loaded with
// the reference fixtures (FromURL), or the path of a YAML target file (Parse). The
// result is validated and remembers spec as its Source.
func Load(spec string) (*Target, error) {
	var (
		t   *Target
		err error
	)
	if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		t, err = FromURL(spec)
	} else {
		var b []byte
		b, err = os.ReadFile(spec)
		if err != nil {
			// A target that cannot be read is a mistake of the command line, not a
			// verdict on a server: the commands answer it as a usage error.
			return nil, fmt.Errorf("%w: %q is neither an http(s) URL nor a readable target file: %v", ErrInvalid, spec, err)
		}
		t, err = Parse(b)
	}
	if err != nil {
		return nil, err
	}
	t.Source = spec
	return t, nil
}

// Parse decodes one YAML target strictly (an unknown key is an error), fills in the
// defaults and validates the result.
func Parse(b []byte) (*Target, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var t Target
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if t.Image != nil && t.BaseURL != "" {
		return nil, fmt.Errorf("%w: give baseURL or image, not both: the container's address is the base URL", ErrInvalid)
	}
	if err := t.fill(); err != nil {
		return nil, err
	}
	return &t, t.Validate()
}

// FromURL returns the target of a server at baseURL loaded with the reference
// fixtures (fixtures.Default): tenant acme, store default, the fixtures' OAuth
// clients for every role (the expired role's client has tokens of a few seconds,
// which the checks wait out; the unknown-tenant role's names the absent tenant
// ghost), the fixtures' store with short-lived sessions for the session expiry
// check, and the capabilities of the reference server (admin, lockout, host-paths,
// oauth, ops, process). So against `renewkit serve` with its default fixtures every
// check can run.
func FromURL(baseURL string) (*Target, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrInvalid, baseURL)
	}
	set, err := fixtures.Default()
	if err != nil {
		return nil, fmt.Errorf("sut: reference fixtures: %w", err)
	}
	t, err := fromFixtures(set, strings.TrimSuffix(baseURL, "/"))
	if err != nil {
		return nil, err
	}
	return t, t.Validate()
}

// The reference fixtures' names the default target uses.
const (
	fixtureTenant      = "acme"
	fixtureStore       = "default"
	fixtureSecondStore = "secondary"
	fixtureOtherTenant = "globex"
	// fixtureShortStore is the store whose sessions live a few seconds.
	fixtureShortStore = "ephemeral"
	// fixtureShortLockStore is the store whose lock lasts a few seconds.
	fixtureShortLockStore = "brief"
)

// fixtureClients maps the roles to the reference fixtures' OAuth clients.
func fixtureClients() map[Role]string {
	return map[Role]string{
		RoleFull:          "acme-full",
		RoleRenewal:       "acme-renewal",
		RoleNone:          "acme-readonly",
		RoleOtherTenant:   "globex-full",
		RoleExpired:       "acme-short-lived",
		RoleUnknownTenant: "ghost-full",
	}
}

// fromFixtures builds the target of a reference server at baseURL seeded with set.
func fromFixtures(set *fixtures.Set, baseURL string) (*Target, error) {
	t := &Target{
		BaseURL:          baseURL,
		Prefix:           api.DefaultPrefix,
		PathForm:         PathFormTenant,
		HostSuffix:       api.DefaultHostSuffix,
		Tenant:           fixtureTenant,
		Store:            fixtureStore,
		SecondStoreName:  fixtureSecondStore,
		OtherTenantID:    fixtureOtherTenant,
		OtherTenantStore: fixtureStore,
		SRP:              SRP{Profile: string(srp.DefaultProfile), GroupBits: 2048, Hash: api.HashSHA256},
		Tokens:           map[Role]Credentials{},
		Capabilities:     []Capability{Admin, Lockout, HostPaths, OAuth, Ops, Process},
		Policies:         map[string]Policy{},
	}
	for role, id := range fixtureClients() {
		c, ok := set.Client(id)
		if !ok {
			return nil, fmt.Errorf("%w: the reference fixtures have no client %q", ErrInvalid, id)
		}
		t.Tokens[role] = Credentials{ClientID: c.ID, ClientSecret: c.Secret}
		if role == RoleUnknownTenant {
			// The tenant its permissions name: TNT#{tenant}#*.
			if len(c.Permissions) > 0 {
				t.UnknownTenantID = strings.SplitN(c.Permissions[0], "#", 3)[1]
			}
		}
	}
	for _, s := range set.Stores {
		if s.Tenant == t.Tenant && s.Name == t.Store {
			t.Lock = Lock{MaxFailedAttempts: s.Lock.MaxFailedAttempts, LockDurationSeconds: s.Lock.LockDurationSeconds}
		}
		if s.Tenant == t.Tenant && s.Name == fixtureShortLockStore {
			t.ShortLockStore = s.Name
			t.ShortLock = Lock{MaxFailedAttempts: s.Lock.MaxFailedAttempts, LockDurationSeconds: s.Lock.LockDurationSeconds}
		}
		if s.Tenant == t.Tenant && s.Name == fixtureShortStore {
			t.SessionTTL, t.SessionTTLStore = Duration(s.SessionTTL), s.Name
		}
	}
	for _, role := range PolicyRoles() {
		p, ok := set.Policy(t.Tenant, t.Store, role)
		if !ok {
			return nil, fmt.Errorf("%w: the reference fixtures have no policy %q", ErrInvalid, role)
		}
		req := p.Requirements
		t.Policies[role] = Policy{Name: p.Name, Requirements: &req}
	}
	for _, u := range set.Users {
		if u.Tenant != t.Tenant || u.Store != t.Store {
			continue
		}
		tu := User{ID: u.ID, ExternalID: u.ExternalID, Passcode: u.Passcode}
		switch {
		case u.Status == fixtures.StatusLocked && u.Passcode != "":
			t.Users.Locked = append(t.Users.Locked, tu)
		case u.Status == fixtures.StatusDisabled && u.Passcode != "":
			t.Users.Disabled = append(t.Users.Disabled, tu)
		case u.Status != "" && u.Status != fixtures.StatusActive:
		case u.Passcode != "":
			t.Users.Registered = append(t.Users.Registered, tu)
		default:
			t.Users.Unregistered = append(t.Users.Unregistered, tu)
		}
	}
	return t, t.fill()
}

// fill sets the defaults of empty fields. Policies missing requirements get the
// reference fixtures' requirements of the same role.
func (t *Target) fill() error {
	t.BaseURL = strings.TrimSuffix(t.BaseURL, "/")
	if t.Prefix == "" {
		t.Prefix = api.DefaultPrefix
	}
	if t.PathForm == "" {
		t.PathForm = PathFormTenant
	}
	if t.HostSuffix == "" {
		t.HostSuffix = api.DefaultHostSuffix
	}
	if t.OtherTenantID != "" && t.OtherTenantStore == "" {
		t.OtherTenantStore = t.Store
	}
	if t.SRP.Profile == "" {
		t.SRP.Profile = string(srp.DefaultProfile)
	}
	if t.SRP.GroupBits == 0 {
		t.SRP.GroupBits = 2048
	}
	if t.SRP.Hash == "" {
		t.SRP.Hash = api.HashSHA256
	}
	if t.Lock.MaxFailedAttempts == 0 {
		t.Lock.MaxFailedAttempts = fixtures.DefaultMaxFailedAttempts
	}
	if t.Lock.LockDurationSeconds == 0 {
		t.Lock.LockDurationSeconds = fixtures.DefaultLockDurationSeconds
	}
	if t.Policies == nil {
		t.Policies = map[string]Policy{}
	}
	var set *fixtures.Set
	for _, role := range PolicyRoles() {
		p := t.Policies[role]
		if p.Name == "" {
			p.Name = role
		}
		if p.Requirements == nil {
			if set == nil {
				var err error
				if set, err = fixtures.Default(); err != nil {
					return fmt.Errorf("sut: reference fixtures: %w", err)
				}
			}
			if fp, ok := set.Policy(fixtureTenant, fixtureStore, role); ok {
				req := fp.Requirements
				p.Requirements = &req
			}
		}
		t.Policies[role] = p
	}
	return nil
}

// Validate reports every problem of t in one error matching ErrInvalid.
func (t *Target) Validate() error {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	switch {
	case t.Image != nil:
		probs = append(probs, t.Image.problems()...)
		// BaseURL is the container's, once it runs.
	default:
		if u, err := url.Parse(t.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("baseURL %q is not an absolute http(s) URL", t.BaseURL)
		}
	}
	if !strings.HasPrefix(t.Prefix, "/") {
		bad("prefix %q must start with /", t.Prefix)
	}
	if t.PathForm != PathFormTenant && t.PathForm != PathFormHost {
		bad("pathForm %q is neither %q nor %q", t.PathForm, PathFormTenant, PathFormHost)
	}
	if t.Tenant == "" {
		bad("tenant is required")
	}
	if t.Store == "" {
		bad("store is required")
	}
	if _, err := t.Params(); err != nil {
		bad("srp: %v", err)
	}
	for role, c := range t.Tokens {
		if !slices.Contains(Roles(), role) {
			bad("tokens: unknown role %q (want one of %v)", role, Roles())
			continue
		}
		n := 0
		for _, set := range []bool{c.ClientID != "", c.TokenEnv != "", c.Token != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad("tokens.%s: give exactly one of clientId or tokenEnv", role)
		}
		if c.ClientID != "" && (c.ClientSecret == "") == (c.ClientSecretEnv == "") {
			bad("tokens.%s: give exactly one of clientSecret or clientSecretEnv", role)
		}
	}
	if !t.Tokens[RoleFull].configured() {
		bad("tokens.full is required")
	}
	if t.Tokens[RoleOtherTenant].configured() && t.OtherTenantID == "" {
		bad("tokens.other-tenant needs otherTenant")
	}
	if t.Tokens[RoleUnknownTenant].configured() && t.UnknownTenantID == "" {
		bad("tokens.unknown-tenant needs unknownTenant")
	}
	if t.SessionTTL < 0 {
		bad("sessionTTL must not be negative")
	}
	if t.SessionTTLStore != "" && t.SessionTTL == 0 {
		bad("sessionTTLStore needs sessionTTL, the lifetime of its sessions")
	}
	if t.ShortLockStore != "" {
		switch {
		case t.ShortLockStore == t.Store:
			bad("shortLockStore must be another store than store")
		case t.ShortLock.MaxFailedAttempts < 1 || t.ShortLock.LockDurationSeconds < 1:
			bad("shortLockStore needs shortLock, with positive maxFailedAttempts and lockDurationSeconds")
		}
	}
	for _, c := range t.Capabilities {
		if !slices.Contains(DeclarableCapabilities(), c) {
			bad("capabilities: %q cannot be declared (want some of %v)", c, DeclarableCapabilities())
		}
	}
	if t.Lock.MaxFailedAttempts < 1 || t.Lock.LockDurationSeconds < 1 {
		bad("lock: maxFailedAttempts and lockDurationSeconds must be positive")
	}
	for role := range t.Policies {
		if !slices.Contains(PolicyRoles(), role) {
			bad("policies: unknown role %q (want %v)", role, PolicyRoles())
		}
	}
	for _, role := range PolicyRoles() {
		p := t.Policies[role]
		if p.Requirements == nil {
			bad("policies.%s: requirements are required", role)
			continue
		}
		if err := p.Requirements.Check(); err != nil {
			bad("policies.%s: %v", role, err)
		}
	}
	if !t.Has(Admin) && len(t.Users.Registered) == 0 {
		bad("users.registered: a target without the admin capability must list registered users")
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(probs, "; "))
	}
	return nil
}

// Params returns the target's SRP parameter set.
func (t *Target) Params() (*srp.Params, error) {
	prof, err := srp.ParseProfile(t.SRP.Profile)
	if err != nil {
		return nil, err
	}
	g, err := srp.GroupByBits(t.SRP.GroupBits)
	if err != nil {
		return nil, err
	}
	h, err := srp.ParseHash(t.SRP.Hash)
	if err != nil {
		return nil, err
	}
	return srp.NewParams(g, h, prof)
}

// Has reports whether t offers capability c, declared or derived.
func (t *Target) Has(c Capability) bool {
	switch c {
	case RFC2945:
		return t.SRP.Profile == string(srp.ProfileRFC2945)
	case RenewalToken:
		return t.Tokens[RoleRenewal].configured()
	case NoPermissionToken:
		return t.Tokens[RoleNone].configured()
	case OtherTenant:
		return t.Tokens[RoleOtherTenant].configured() && t.OtherTenantID != ""
	case ExpiredToken:
		return t.Tokens[RoleExpired].configured()
	case UnknownTenant:
		return t.Tokens[RoleUnknownTenant].configured() && t.UnknownTenantID != ""
	case SecondStore:
		return t.SecondStoreName != ""
	case SessionExpiry:
		return t.SessionTTL > 0 && time.Duration(t.SessionTTL) <= MaxSessionTTLToWait
	case LockExpiry:
		return t.ShortLockStore != "" && t.ShortLock.MaxFailedAttempts > 0 &&
			time.Duration(t.ShortLock.LockDurationSeconds)*time.Second <= MaxLockToWait
	}
	return slices.Contains(t.Capabilities, c)
}

// Offered returns every capability t has, in AllCapabilities order.
func (t *Target) Offered() []Capability {
	var out []Capability
	for _, c := range AllCapabilities() {
		if t.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// SessionExpiryStore is the store whose sessions live SessionTTL:
// SessionTTLStore, else Store.
func (t *Target) SessionExpiryStore() string {
	if t.SessionTTLStore != "" {
		return t.SessionTTLStore
	}
	return t.Store
}

// Label is the target's name for reports: Name, else BaseURL.
func (t *Target) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return t.BaseURL
}

// TenantOf returns the tenant a role's token is for.
func (t *Target) TenantOf(role Role) string {
	switch role {
	case RoleOtherTenant:
		return t.OtherTenantID
	case RoleUnknownTenant:
		return t.UnknownTenantID
	}
	return t.Tenant
}

// NewClient returns an api.Client for tenant at the target, in the target's path
// form, without a token, sending through hc (a suitable default when nil).
func (t *Target) NewClient(tenant string, hc *http.Client) (*api.Client, error) {
	c, err := api.NewClient(t.BaseURL, tenant)
	if err != nil {
		return nil, fmt.Errorf("sut: %w", err)
	}
	c.Prefix = t.Prefix
	c.HostForm = t.PathForm == PathFormHost
	c.HostSuffix = t.HostSuffix
	if hc == nil {
		hc = NewHTTPClient(0)
	}
	c.HTTPClient = hc
	return c, nil
}

// NewHTTPClient returns an HTTP client for talking to a target: it does not follow
// redirects (the exchange is the server's first answer), keeps up to maxIdle idle
// connections per host (64 when zero) so that concurrent checks reuse connections,
// and has no timeout of its own (callers pass a context).
func NewHTTPClient(maxIdle int) *http.Client {
	if maxIdle <= 0 {
		maxIdle = 64
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = maxIdle
	tr.MaxIdleConnsPerHost = maxIdle
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
