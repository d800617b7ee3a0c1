package refserver

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// Defaults of Config. A zero field means its default.
const (
	// DefaultAddr is where Run listens.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultPrefix is the path prefix of the identity-store endpoints.
	DefaultPrefix = api.DefaultPrefix
	// DefaultSRPProfile is the proof profile (SPEC section 6).
	DefaultSRPProfile = string(srp.ProfileRFC5054Padded)
	// DefaultSRPGroupBits is the RFC 5054 group size.
	DefaultSRPGroupBits = 2048
	// DefaultSessionTTL is the session lifetime (SPEC section 7).
	DefaultSessionTTL = 300 * time.Second
	// DefaultStoreDSN is the storage: an SQLite file in the working directory.
	DefaultStoreDSN = "sqlite:renewkit.db"
	// DefaultTokenTTL is the lifetime of the access tokens /oauth/token issues.
	DefaultTokenTTL = time.Hour
	// DefaultIssuer is the iss claim of the access tokens.
	DefaultIssuer = "urn:renewkit:refserver"
	// DefaultSessionPurgeInterval is how often Run deletes expired sessions.
	DefaultSessionPurgeInterval = time.Minute
	// DefaultShutdownTimeout is how long Run waits for requests in flight at shutdown.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultMaxSessionsPerUser is how many open sessions one user may have; a start
	// beyond it drops the user's oldest session.
	DefaultMaxSessionsPerUser = 32
	// DefaultMaxSessions is how many sessions the server holds; a start beyond it is
	// 429 TOO_MANY_REQUESTS. About 130 MiB of sessions at most (README, Bounded
	// sessions).
	DefaultMaxSessions = 100_000
	// DefaultTokenFailureBurst is how many failed client authentications in a row
	// the token endpoint takes for one client id before it answers 429.
	DefaultTokenFailureBurst = 10
	// DefaultTokenFailureInterval is how often the token endpoint allows one more
	// failed client authentication for a client id once the burst is spent.
	DefaultTokenFailureInterval = 6 * time.Second
)

// ErrConfig reports a Config that cannot be used.
var ErrConfig = errors.New("refserver: invalid config")

// Config is the reference server's configuration. Every field is optional; the zero
// value serves the default fixtures from renewkit.db on 127.0.0.1:8080.
type Config struct {
	// Addr is the listen address of Run; DefaultAddr when empty.
	Addr string
	// Prefix is the path prefix of the passcode and admin endpoints; DefaultPrefix
	// when empty. "/" serves them at the root. The OAuth, JWKS and operational
	// endpoints are always at the root.
	Prefix string
	// SRPProfile is "rfc5054-padded" or "rfc2945"; DefaultSRPProfile when empty.
	SRPProfile string
	// SRPGroupBits is the RFC 5054 group: 1024, 1536, 2048, 3072, 4096, 6144 or
	// 8192; DefaultSRPGroupBits when zero.
	SRPGroupBits int
	// SessionTTL is how long a started session can be completed; DefaultSessionTTL
	// when zero.
	SessionTTL time.Duration
	// StoreDSN picks the storage: "memory:" or "sqlite:<path>"; DefaultStoreDSN when
	// empty. Ignored when Store is set.
	StoreDSN string
	// Store, when set, is used instead of opening StoreDSN, and New does not close it
	// (the caller owns it). Tests use it to share one store between two servers.
	Store store.Store
	// FixturesPath is a fixtures YAML file to seed the store with at start; the
	// built-in default fixtures when empty. Seeding adds what is missing and never
	// overwrites what a previous run stored.
	FixturesPath string
	// NoFixtures skips seeding entirely (the store is used as it is).
	NoFixtures bool
	// TokenTTL is the lifetime of issued access tokens; DefaultTokenTTL when zero.
	TokenTTL time.Duration
	// Issuer is the iss claim of issued tokens; DefaultIssuer when empty.
	Issuer string
	// SigningKeyFile is a PEM file with the ES256 (P-256) private key that signs
	// tokens. When empty (and SigningKey is nil) a fresh key is generated at start, so
	// tokens do not survive a restart.
	SigningKeyFile string
	// SigningKey is that key handed over in memory, for a harness in this process
	// that must check the server's tokens itself; it excludes SigningKeyFile.
	SigningKey *ecdsa.PrivateKey
	// SessionPurgeInterval is how often Run deletes expired sessions;
	// DefaultSessionPurgeInterval when zero, never when negative.
	SessionPurgeInterval time.Duration
	// ShutdownTimeout bounds Run's graceful shutdown; DefaultShutdownTimeout when zero.
	ShutdownTimeout time.Duration
	// MaxSessionsPerUser is the most open sessions one user may have, every flow
	// together: a start beyond it drops the user's oldest session, whose completion
	// is then 404 SESSION_NOT_FOUND as for an expired one. DefaultMaxSessionsPerUser
	// when zero; no limit when negative.
	MaxSessionsPerUser int
	// MaxSessions is the most sessions the server holds: a start beyond it (for a
	// user below MaxSessionsPerUser) is 429 TOO_MANY_REQUESTS with Retry-After.
	// DefaultMaxSessions when zero; no limit when negative.
	MaxSessions int
	// TokenFailureBurst is how many failed client authentications in a row the token
	// endpoint takes for one client id before it answers them 429 TOO_MANY_REQUESTS
	// with Retry-After; a right secret is never refused for them (oauth.go,
	// tokenThrottle). DefaultTokenFailureBurst when zero; no throttle when negative.
	TokenFailureBurst int
	// TokenFailureInterval is how often one more failure is allowed again once the
	// burst is spent; DefaultTokenFailureInterval when zero or negative.
	TokenFailureInterval time.Duration
	// Now is the clock for session expiry, lockout and tokens; time.Now when nil.
	// Tests inject a fake one.
	Now func() time.Time
	// Logger receives request and error logs (never bodies, tokens or secrets);
	// discarded when nil.
	Logger *slog.Logger
}

// withDefaults returns c with every zero field at its default, or ErrConfig.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(c.Prefix, "/") || strings.ContainsAny(c.Prefix, ":*?#") {
		return c, fmt.Errorf("%w: prefix %q must start with / and hold no route syntax", ErrConfig, c.Prefix)
	}
	c.Prefix = strings.TrimSuffix(c.Prefix, "/")
	if c.SRPProfile == "" {
		c.SRPProfile = DefaultSRPProfile
	}
	if c.SRPGroupBits == 0 {
		c.SRPGroupBits = DefaultSRPGroupBits
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.SessionTTL < 0 {
		return c, fmt.Errorf("%w: negative session TTL", ErrConfig)
	}
	if c.StoreDSN == "" {
		c.StoreDSN = DefaultStoreDSN
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.TokenTTL < 0 {
		return c, fmt.Errorf("%w: negative token TTL", ErrConfig)
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.SessionPurgeInterval == 0 {
		c.SessionPurgeInterval = DefaultSessionPurgeInterval
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.MaxSessionsPerUser == 0 {
		c.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.TokenFailureBurst == 0 {
		c.TokenFailureBurst = DefaultTokenFailureBurst
	}
	if c.TokenFailureInterval <= 0 {
		c.TokenFailureInterval = DefaultTokenFailureInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// params returns the SRP parameters c names: its group, SHA-256 and its profile.
func (c Config) params() (*srp.Params, error) {
	profile, err := srp.ParseProfile(c.SRPProfile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	group, err := srp.GroupByBits(c.SRPGroupBits)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	p, err := srp.NewParams(group, srp.DefaultParams().Hash(), profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return p, nil
}

// sessionLimits are the store.SessionLimits of c after withDefaults: a negative
// field, no limit, is the store's zero.
func (c Config) sessionLimits() store.SessionLimits {
	return store.SessionLimits{PerUser: max(c.MaxSessionsPerUser, 0), Total: max(c.MaxSessions, 0)}
}
