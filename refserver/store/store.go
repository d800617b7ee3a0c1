// Package store holds the reference server's domain types, the transactional Store
// interface its HTTP layer uses with the Sessions beside its transactions, and the
// sentinel errors that layer maps to API codes (SPEC.md sections 1, 5, 7, 9 and 10).
// It knows nothing of HTTP, JSON or SRP; the implementations live in the subpackages
// memory and sqlite, and storetest checks both against the same conformance suite.
package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// Sentinel errors. Lookups report the first missing link of the chain
// tenant -> store -> policy/user, so a caller can map the error straight to the
// SPEC section 4 code without its own existence checks.
var (
	ErrTenantNotFound     = errors.New("store: tenant not found")
	ErrStoreNotFound      = errors.New("store: identity store not found")
	ErrPolicyNotFound     = errors.New("store: policy not found")
	ErrUserNotFound       = errors.New("store: user not found")
	ErrSessionNotFound    = errors.New("store: session not found")
	ErrCredentialNotFound = errors.New("store: credential not found")
	ErrClientNotFound     = errors.New("store: oauth client not found")

	// ErrExternalIDTaken is returned when another user of the same store already has
	// the external ID (SPEC `EXTERNAL_ID_NOT_UNIQUE`).
	ErrExternalIDTaken = errors.New("store: external id taken")
	// ErrPolicyExists is returned by CreatePolicy for a name already in the store.
	ErrPolicyExists = errors.New("store: policy exists")
	// ErrUserExists is returned by CreateUser for a user ID already in the store.
	ErrUserExists = errors.New("store: user exists")
	// ErrCredentialExists is returned by CreateCredential when the user already has a
	// credential (SPEC `PASSCODE_ALREADY_REGISTERED` at completion).
	ErrCredentialExists = errors.New("store: credential exists")
	// ErrSessionExists is returned by Sessions.Put for a session ID already in use.
	ErrSessionExists = errors.New("store: session exists")
	// ErrVersionConflict is returned by UpdateCredential when the stored credential is
	// not the one the new version was derived from (SPEC `STALE_SESSION`).
	ErrVersionConflict = errors.New("store: credential version conflict")
	// ErrReadOnly is returned by a write method of a transaction opened with View.
	ErrReadOnly = errors.New("store: read-only transaction")
	// ErrTxDone is returned by a transaction's methods after its View or Update returned.
	ErrTxDone = errors.New("store: transaction is done")
	// ErrInvalid is returned for a record the store cannot hold: an empty key, a
	// negative count, a credential version below 1.
	ErrInvalid = errors.New("store: invalid record")
	// ErrAttemptsExhausted is returned by ReserveAttempt when the user's counted
	// failures alone reach the limit (SPEC `USER_LOCKED`).
	ErrAttemptsExhausted = errors.New("store: lockout attempts exhausted")
	// ErrAttemptsBusy is returned by ReserveAttempt when the counted failures are
	// below the limit but the attempts in flight make up the rest: whether one more
	// may be evaluated depends on how those end.
	ErrAttemptsBusy = errors.New("store: lockout attempts all in flight")
	// ErrNoAttempt is returned by ReleaseAttempt for a user with no attempt in flight.
	ErrNoAttempt = errors.New("store: no attempt in flight")
	// ErrSessionsFull is returned by Sessions.Put when the store holds as many
	// sessions as SessionLimits.Total allows.
	ErrSessionsFull = errors.New("store: too many open sessions")
)

// Defaults of a store's lock configuration (SPEC section 9).
const (
	DefaultMaxFailedAttempts = 5
	DefaultLockDuration      = 900 * time.Second
)

// MaxHistory is the largest passcodeHistory a policy may ask for, and the bound on
// Credential.History (one entry more than such a policy needs, since passcodeHistory
// counts the current verifier too). Stores trim longer histories on write.
const MaxHistory = 24

// Tenant is an isolated customer.
type Tenant struct {
	ID string
}

// LockConfig is an identity store's lockout rule (SPEC section 9).
type LockConfig struct {
	// MaxFailedAttempts is the count of failed proofs that locks a user;
	// DefaultMaxFailedAttempts when zero.
	MaxFailedAttempts int
	// LockDuration is how long a TEMP_LOCKED user stays locked;
	// DefaultLockDuration when zero.
	LockDuration time.Duration
}

// OrDefault returns l with its zero fields replaced by the defaults.
func (l LockConfig) OrDefault() LockConfig {
	if l.MaxFailedAttempts <= 0 {
		l.MaxFailedAttempts = DefaultMaxFailedAttempts
	}
	if l.LockDuration <= 0 {
		l.LockDuration = DefaultLockDuration
	}
	return l
}

// IdentityStore is a tenant's store of users and passcode policies.
type IdentityStore struct {
	Tenant string
	Name   string
	Lock   LockConfig
	// SessionTTL is the lifetime of the store's sessions; zero means the server's
	// default (SPEC section 7: configurable). A short one lets a conformance suite
	// wait a session out (SPEC section 3).
	SessionTTL time.Duration
}

// Policy is a named passcode policy of one identity store.
type Policy struct {
	Tenant       string
	Store        string
	Name         string
	Requirements passcode.Requirements
}

// Status is a user's status (SPEC section 1).
type Status string

// The user statuses of SPEC section 1.
const (
	StatusActive        Status = "ACTIVE"
	StatusLocked        Status = "LOCKED"
	StatusTempLocked    Status = "TEMP_LOCKED"
	StatusDisabled      Status = "DISABLED"
	StatusPendingActive Status = "PENDING_ACTIVE"
)

// Valid reports whether s is one of the statuses of SPEC section 1.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusLocked, StatusTempLocked, StatusDisabled, StatusPendingActive:
		return true
	}
	return false
}

// User is a user of one identity store. FailedAttempts and LockedUntil carry the
// lockout state of SPEC section 9; see StatusAt, WithFailure and WithSuccess.
type User struct {
	Tenant         string
	Store          string
	ID             string
	ExternalID     string
	Status         Status
	DateCreated    time.Time
	FailedAttempts int
	LockedUntil    time.Time
}

// StatusAt returns the user's status at now: a TEMP_LOCKED user whose lock has run
// out is ACTIVE again. The stored record is not changed.
func (u User) StatusAt(now time.Time) Status {
	if u.Status == StatusTempLocked && !now.Before(u.LockedUntil) {
		return StatusActive
	}
	return u.Status
}

// FailuresAt returns the failed proofs that count toward the lock at now: none once a
// temporary lock has run out (WithFailure starts the count over then), else
// FailedAttempts.
func (u User) FailuresAt(now time.Time) int {
	if u.Status == StatusTempLocked && !now.Before(u.LockedUntil) {
		return 0
	}
	return u.FailedAttempts
}

// AttemptError reports whether one more completion of u may have its public value
// and proof evaluated under limit at now, with inFlight completions of u evaluating
// already: nil when the counted failures and the attempts in flight stay below the
// limit; ErrAttemptsExhausted when the counted failures alone reach it; else
// ErrAttemptsBusy. Each attempt in flight is taken to fail until it ends, so
// completions running at the same time are counted as if they ran one at a time
// (SPEC section 9). It is the rule of Tx.ReserveAttempt, for the stores to share.
func (u User) AttemptError(inFlight, limit int, now time.Time) error {
	switch f := u.FailuresAt(now); {
	case f >= limit:
		return ErrAttemptsExhausted
	case f+inFlight >= limit:
		return ErrAttemptsBusy
	}
	return nil
}

// WithFailure returns u after one more failed proof at now under lock: the count
// grows and, at the maximum, the user becomes TEMP_LOCKED until now + LockDuration.
// A temporary lock that has run out is lifted first, so the count starts over.
func (u User) WithFailure(lock LockConfig, now time.Time) User {
	lock = lock.OrDefault()
	if u.Status == StatusTempLocked && !now.Before(u.LockedUntil) {
		u.Status, u.FailedAttempts, u.LockedUntil = StatusActive, 0, time.Time{}
	}
	u.FailedAttempts++
	if u.FailedAttempts >= lock.MaxFailedAttempts && u.Status == StatusActive {
		u.Status = StatusTempLocked
		u.LockedUntil = now.Add(lock.LockDuration)
	}
	return u
}

// WithSuccess returns u after a successful proof: the failure count is reset and an
// expired temporary lock is cleared.
func (u User) WithSuccess(now time.Time) User {
	u.FailedAttempts = 0
	if u.Status == StatusTempLocked && !now.Before(u.LockedUntil) {
		u.Status = StatusActive
	}
	if u.Status != StatusTempLocked {
		u.LockedUntil = time.Time{}
	}
	return u
}

// Credential is a user's passcode credential (at most one per user). Identity (the
// SRP `i`) and Salt are fixed for its life; each renewal bumps Version and pushes the
// replaced verifier onto History. Verifiers are compared byte for byte, so callers
// store them in one canonical encoding (unsigned big-endian, padded to len(N)).
type Credential struct {
	Tenant   string
	Store    string
	UserID   string
	Identity string
	Salt     []byte
	Verifier []byte
	// Version starts at 1 and grows by one with every renewal.
	Version int64
	// History holds previous verifiers, most recent first, at most MaxHistory.
	History [][]byte
}

// Renewed returns the credential after a renewal to verifier: Version+1, the current
// verifier pushed onto History, History trimmed to MaxHistory. c is not changed.
func (c Credential) Renewed(verifier []byte) Credential {
	n := c
	n.Verifier = append([]byte(nil), verifier...)
	n.Version = c.Version + 1
	n.History = make([][]byte, 0, min(len(c.History)+1, MaxHistory))
	n.History = append(n.History, append([]byte(nil), c.Verifier...))
	for _, h := range c.History {
		if len(n.History) == MaxHistory {
			break
		}
		n.History = append(n.History, append([]byte(nil), h...))
	}
	return n
}

// Reuses reports whether verifier equals one of the credential's passcodeHistory most
// recent verifiers, the current one included (SPEC section 8); passcodeHistory 0 turns
// the check off. Every candidate is compared in constant time, whatever matches.
func (c Credential) Reuses(verifier []byte, passcodeHistory int) bool {
	if passcodeHistory <= 0 {
		return false
	}
	found := subtle.ConstantTimeCompare(c.Verifier, verifier)
	for i := 0; i < passcodeHistory-1 && i < len(c.History); i++ {
		found |= subtle.ConstantTimeCompare(c.History[i], verifier)
	}
	return found == 1
}

// Flow names the passcode flow a session belongs to (SPEC section 4).
type Flow string

// The three passcode flows.
const (
	FlowRegistration   Flow = "registration"
	FlowAuthentication Flow = "authentication"
	FlowRenewal        Flow = "renewal"
)

// Session is the server record of one registration, authentication or renewal attempt
// (SPEC section 7). ServerSecret is the SRP secret b: it never leaves the server and is
// never logged.
type Session struct {
	ID     string
	Flow   Flow
	Tenant string
	Store  string
	UserID string
	Policy string
	// Identity and Salt are the SRP `i` and salt the start response announced: the
	// new credential's for a registration, the current credential's otherwise.
	Identity string
	Salt     []byte
	// CredentialVersion is the credential version an authentication or renewal
	// started on. The session is stale when the credential's Identity or Version no
	// longer match (a deleted and re-registered credential starts again at 1 but has
	// a new Identity).
	CredentialVersion int64
	ServerSecret      []byte
	ServerPublic      []byte
	CreatedAt         time.Time
	ExpiresAt         time.Time
}

// ExpiredAt reports whether the session is expired at now.
func (s Session) ExpiredAt(now time.Time) bool {
	return !now.Before(s.ExpiresAt)
}

// Older reports whether s is older than o, the order in which Sessions.Put drops
// a user's sessions: the earlier CreatedAt first, then the smaller ID.
func (s Session) Older(o Session) bool {
	if c := s.CreatedAt.Compare(o.CreatedAt); c != 0 {
		return c < 0
	}
	return s.ID < o.ID
}

// SessionsToDrop returns the sessions Sessions.Put drops from open, one user's open
// sessions, to put one more under a per-user limit: the oldest, as many as take the
// user to perUser-1, none when perUser is 0; open is reordered.
func SessionsToDrop(open []Session, perUser int) []Session {
	n := len(open) - (perUser - 1)
	if perUser <= 0 || n <= 0 {
		return nil
	}
	// Usually one: a selection of the n oldest, not a sort of all (the records are
	// large, and a put at the limit runs this every time).
	for i := range n {
		oldest := i
		for j := i + 1; j < len(open); j++ {
			if open[j].Older(open[oldest]) {
				oldest = j
			}
		}
		open[i], open[oldest] = open[oldest], open[i]
	}
	return open[:n]
}

// SessionLimits bounds the sessions a store holds (Sessions.Put). SPEC section
// 7 gives a session a lifetime but sets no number, and each one holds a server secret
// and a public value, so without a bound anyone allowed to start sessions could fill
// the server's memory for a whole session lifetime. A zero field sets no limit.
type SessionLimits struct {
	// PerUser is the most open sessions one user (tenant, store and user id, every
	// flow together) may have. A put for a user who has that many drops the user's
	// oldest (Session.Older), which is then answered as an expired session is.
	PerUser int
	// Total is the most sessions the store holds. Expired sessions count until they
	// are removed (by Sessions.Take, Sessions.Purge, or a put for their user),
	// so that the check costs no scan: a caller refused with ErrSessionsFull may
	// purge and try again.
	Total int
}

// OAuthClient is a client of the reference server's token endpoint (SPEC section 3).
// Only a hash of its secret is kept.
type OAuthClient struct {
	ID          string
	SecretHash  []byte
	Tenant      string
	Permissions []string
	// TokenTTL is the lifetime of the client's access tokens; zero means the
	// server's default. A short one gives a conformance suite a token it can wait
	// out (SPEC section 3, role `expired`).
	TokenTTL time.Duration
}

// HashSecret returns the hash under which an OAuth client's secret is stored. Client
// secrets are high-entropy machine secrets, so an unsalted SHA-256 suffices.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CheckSecret reports, in constant time, whether secret is the client's secret.
func (c OAuthClient) CheckSecret(secret string) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), c.SecretHash) == 1
}

// Store is the reference server's storage. Records go through transactions; sessions
// go through Sessions, whose calls are atomic on their own. Update runs its function
// alone (Updates serialize), so a function that reads a record and writes it back is
// a compare-and-set; when the function returns an error (or panics) none of its
// writes remain. A request that must change something even when it fails (a wrong
// proof counts toward lockout, SPEC section 9) returns nil from Update after making
// exactly those writes, and reports the failure to its caller by other means. fn
// must not call View or Update of the same Store: the in-memory and
// single-connection stores would deadlock. Sessions may be called from inside fn.
type Store interface {
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction: all of fn's writes, or none.
	Update(ctx context.Context, fn func(Tx) error) error
	// Sessions returns the store's sessions. They are not part of any transaction:
	// an Update that fails undoes none of the session calls made while it ran.
	Sessions() Sessions
	// Ping reports whether the storage is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the storage; the Store, and its Sessions, are unusable
	// afterwards.
	Close() error
}

// Sessions holds a store's sessions (SPEC section 7), what the handlers do with
// them and no more: a start puts one within the limits, a completion takes one,
// once, and a timer purges the expired ones. Each call is atomic: of concurrent
// calls, each sees the others' effects entirely or not at all. Sessions are values:
// changing a returned one changes nothing in the store.
type Sessions interface {
	// Put stores a new session within lim at now; ErrSessionExists if its ID is in
	// use. It first removes the user's sessions expired at now, then, while the user
	// has lim.PerUser open sessions or more, the oldest of them (Session.Older), and
	// returns how many open ones it dropped. Then, if the store would hold more than
	// lim.Total sessions, it fails with ErrSessionsFull and changes nothing.
	Put(ctx context.Context, s Session, lim SessionLimits, now time.Time) (dropped int, err error)
	// Take removes the session ref names and returns it: of any number of
	// concurrent takers exactly one gets it. A session of another flow, tenant or
	// store than ref's is ErrSessionNotFound and stays, so that a caller who may
	// use one store cannot burn another store's sessions; an expired one is
	// removed and ErrSessionNotFound.
	Take(ctx context.Context, ref SessionRef, now time.Time) (Session, error)
	// Get returns a session unexpired at now without taking it, or
	// ErrSessionNotFound. The server never peeks; tests and tools do.
	Get(ctx context.Context, id string, now time.Time) (Session, error)
	// Purge removes the sessions expired at now and returns how many.
	Purge(ctx context.Context, now time.Time) (int, error)
	// Count returns the number of sessions unexpired at now (for metrics).
	Count(ctx context.Context, now time.Time) (int, error)
}

// SessionRef is what a completion's path names of its session: the ID, and the
// flow, tenant and store the session must belong to.
type SessionRef struct {
	ID     string
	Flow   Flow
	Tenant string
	Store  string
}

// RefOf returns the SessionRef that names s.
func RefOf(s Session) SessionRef {
	return SessionRef{ID: s.ID, Flow: s.Flow, Tenant: s.Tenant, Store: s.Store}
}

// Names reports whether ref names s: same ID, flow, tenant and store.
func (ref SessionRef) Names(s Session) bool {
	return ref == RefOf(s)
}

// Tx is one transaction. It is valid only inside the function given to View or
// Update and must not be shared between goroutines. Records are values: changing a
// returned record (or its slices) changes nothing in the store until it is written.
// Each method is atomic: one that fails has made no change, so fn may handle the
// error (ErrVersionConflict, say) and still commit its other writes.
type Tx interface {
	// Tenant returns the tenant id, or ErrTenantNotFound.
	Tenant(ctx context.Context, id string) (Tenant, error)
	// PutTenant creates or replaces a tenant.
	PutTenant(ctx context.Context, t Tenant) error

	// IdentityStore returns a tenant's store, or ErrTenantNotFound / ErrStoreNotFound.
	IdentityStore(ctx context.Context, tenant, name string) (IdentityStore, error)
	// PutIdentityStore creates or replaces a store; ErrTenantNotFound without its tenant.
	PutIdentityStore(ctx context.Context, s IdentityStore) error

	// Policy returns a policy, or ErrTenantNotFound / ErrStoreNotFound / ErrPolicyNotFound.
	Policy(ctx context.Context, tenant, store, name string) (Policy, error)
	// Policies returns a store's policies ordered by name.
	Policies(ctx context.Context, tenant, store string) ([]Policy, error)
	// CreatePolicy adds a policy; ErrPolicyExists if the name is taken.
	CreatePolicy(ctx context.Context, p Policy) error
	// UpdatePolicy replaces a policy; ErrPolicyNotFound if there is none by that name.
	UpdatePolicy(ctx context.Context, p Policy) error
	// DeletePolicy removes a policy; ErrPolicyNotFound if there is none.
	DeletePolicy(ctx context.Context, tenant, store, name string) error

	// User returns a user by ID, or ErrTenantNotFound / ErrStoreNotFound / ErrUserNotFound.
	User(ctx context.Context, tenant, store, id string) (User, error)
	// UserByExternalID returns a user by external ID, with the errors of User.
	UserByExternalID(ctx context.Context, tenant, store, externalID string) (User, error)
	// CreateUser adds a user; ErrUserExists or ErrExternalIDTaken on a clash.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces a user found by ID; ErrUserNotFound if absent,
	// ErrExternalIDTaken if a changed external ID clashes.
	UpdateUser(ctx context.Context, u User) error

	// Credential returns a user's credential, or ErrCredentialNotFound (after the
	// errors of User when the user itself is missing).
	Credential(ctx context.Context, tenant, store, userID string) (Credential, error)
	// CreateCredential adds a user's first credential (any Version >= 1);
	// ErrCredentialExists if the user has one, ErrUserNotFound if there is no user.
	CreateCredential(ctx context.Context, c Credential) error
	// UpdateCredential replaces a user's credential, compare-and-set on the version:
	// the stored credential must have the same Identity and Version c.Version-1, else
	// ErrVersionConflict; ErrCredentialNotFound if there is none.
	UpdateCredential(ctx context.Context, c Credential) error
	// DeleteCredential removes a user's credential; ErrCredentialNotFound if none.
	DeleteCredential(ctx context.Context, tenant, store, userID string) error

	// ReserveAttempt reserves one lockout attempt of a user for a completion about to
	// evaluate its public value and proof (SPEC section 9). It reserves only when
	// User.AttemptError(attempts in flight, limit, now) is nil, and otherwise returns
	// that error (ErrAttemptsExhausted or ErrAttemptsBusy) and reserves nothing; so
	// of any number of completions of one user, at most limit less the counted
	// failures are evaluated at once, and no more are let in until those have ended.
	// ErrInvalid for a limit below 1; the errors of User. Reservations are not
	// durable: a new Store (a restart) has none, as it has no completion in flight.
	ReserveAttempt(ctx context.Context, tenant, store, userID string, limit int, now time.Time) error
	// ReleaseAttempt ends one of the user's reservations, whatever the completion's
	// outcome: the caller records a counted failure (User.WithFailure) or a success
	// (User.WithSuccess) in the same Update, so the count and the attempts in flight
	// change together. ErrNoAttempt when the user has none.
	ReleaseAttempt(ctx context.Context, tenant, store, userID string) error
	// Attempts returns the number of the user's reservations in flight, with the
	// errors of User.
	Attempts(ctx context.Context, tenant, store, userID string) (int, error)

	// OAuthClient returns a client, or ErrClientNotFound.
	OAuthClient(ctx context.Context, id string) (OAuthClient, error)
	// PutOAuthClient creates or replaces a client; ErrTenantNotFound without its tenant.
	PutOAuthClient(ctx context.Context, c OAuthClient) error
}
