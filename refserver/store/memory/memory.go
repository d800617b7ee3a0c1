// Package memory is an in-memory store.Store for tests and throwaway servers, and
// an in-memory store.Sessions (Sessions) for it and the sqlite store.
//
// One RWMutex guards the records: View holds the read lock, Update the write lock,
// so Updates run one at a time and read-modify-write inside one is a
// compare-and-set; the sessions have a lock of their own.
// Update journals an undo step for every write and replays the journal backwards when
// its function fails or panics, so a failed Update changes nothing. Records are deep
// copied in and out, so no caller shares a slice with the store.
package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// ErrClosed is returned by every call on a closed Store or Sessions.
var ErrClosed = errors.New("memory: store is closed")

// key names a record under its tenant and store: (tenant, store, name or id).
type key struct{ tenant, store, name string }

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu     sync.RWMutex
	closed bool

	tenants  map[string]store.Tenant
	stores   map[key]store.IdentityStore // name is empty
	policies map[key]store.Policy
	users    map[key]store.User
	external map[key]string // (tenant, store, external ID) -> user ID
	creds    map[key]store.Credential
	clients  map[string]store.OAuthClient
	// attempts holds each user's lockout attempts in flight (ReserveAttempt); a user
	// with none has no entry.
	attempts map[key]int
	// sessions has a lock of its own: it is no part of any transaction.
	sessions *Sessions
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store. It cannot fail, so unlike most constructors it returns
// no error.
func New() *Store {
	return &Store{
		tenants:  map[string]store.Tenant{},
		stores:   map[key]store.IdentityStore{},
		policies: map[key]store.Policy{},
		users:    map[key]store.User{},
		external: map[key]string{},
		creds:    map[key]store.Credential{},
		clients:  map[string]store.OAuthClient{},
		attempts: map[key]int{},
		sessions: NewSessions(),
	}
}

// Sessions implements store.Store.
func (s *Store) Sessions() store.Sessions { return s.sessions }

// View implements store.Store.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	t := &tx{s: s}
	defer func() { t.done = true }()
	return fn(t)
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	t := &tx{s: s, write: true}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			// Runs on error and on panic alike; the panic then goes on up.
			for i := len(t.undo) - 1; i >= 0; i-- {
				t.undo[i]()
			}
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	// A context that ended while fn ran fails the Update, as a database's commit
	// under that context would, even if fn ignored the error it was given.
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Close implements store.Store. It drops all data.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.sessions.Close()
	return nil
}

// tx is a transaction over the Store's maps, which the caller's lock protects.
type tx struct {
	s     *Store
	write bool
	done  bool
	undo  []func()
}

var _ store.Tx = (*tx)(nil)

// check guards every method: a finished transaction, a cancelled context and, for
// writes, a read-only transaction all refuse.
func (t *tx) check(ctx context.Context, write bool) error {
	if t.done {
		return store.ErrTxDone
	}
	if write && !t.write {
		return store.ErrReadOnly
	}
	return ctx.Err()
}

// set writes m[k] = v and journals how to undo it.
func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// del deletes m[k] and journals how to undo it.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { m[k] = old })
	delete(m, k)
}

func (t *tx) Tenant(ctx context.Context, id string) (store.Tenant, error) {
	if err := t.check(ctx, false); err != nil {
		return store.Tenant{}, err
	}
	tn, ok := t.s.tenants[id]
	if !ok {
		return store.Tenant{}, store.ErrTenantNotFound
	}
	return tn, nil
}

func (t *tx) PutTenant(ctx context.Context, tn store.Tenant) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := tn.Validate(); err != nil {
		return err
	}
	set(t, t.s.tenants, tn.ID, tn)
	return nil
}

func (t *tx) IdentityStore(ctx context.Context, tenant, name string) (store.IdentityStore, error) {
	if err := t.check(ctx, false); err != nil {
		return store.IdentityStore{}, err
	}
	return t.identityStore(tenant, name)
}

// identityStore finds a store, reporting the first missing link of tenant -> store.
func (t *tx) identityStore(tenant, name string) (store.IdentityStore, error) {
	is, ok := t.s.stores[key{tenant, name, ""}]
	if !ok {
		if _, ok := t.s.tenants[tenant]; !ok {
			return store.IdentityStore{}, store.ErrTenantNotFound
		}
		return store.IdentityStore{}, store.ErrStoreNotFound
	}
	return is, nil
}

func (t *tx) PutIdentityStore(ctx context.Context, is store.IdentityStore) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := is.Validate(); err != nil {
		return err
	}
	if _, ok := t.s.tenants[is.Tenant]; !ok {
		return store.ErrTenantNotFound
	}
	set(t, t.s.stores, key{is.Tenant, is.Name, ""}, is)
	return nil
}

func (t *tx) Policy(ctx context.Context, tenant, st, name string) (store.Policy, error) {
	if err := t.check(ctx, false); err != nil {
		return store.Policy{}, err
	}
	p, ok := t.s.policies[key{tenant, st, name}]
	if !ok {
		if _, err := t.identityStore(tenant, st); err != nil {
			return store.Policy{}, err
		}
		return store.Policy{}, store.ErrPolicyNotFound
	}
	return clonePolicy(p), nil
}

func (t *tx) Policies(ctx context.Context, tenant, st string) ([]store.Policy, error) {
	if err := t.check(ctx, false); err != nil {
		return nil, err
	}
	if _, err := t.identityStore(tenant, st); err != nil {
		return nil, err
	}
	var ps []store.Policy
	for k, p := range t.s.policies {
		if k.tenant == tenant && k.store == st {
			ps = append(ps, clonePolicy(p))
		}
	}
	slices.SortFunc(ps, func(a, b store.Policy) int { return cmp.Compare(a.Name, b.Name) })
	return ps, nil
}

func (t *tx) CreatePolicy(ctx context.Context, p store.Policy) error {
	return t.putPolicy(ctx, p, false)
}

func (t *tx) UpdatePolicy(ctx context.Context, p store.Policy) error {
	return t.putPolicy(ctx, p, true)
}

func (t *tx) putPolicy(ctx context.Context, p store.Policy, replace bool) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := t.identityStore(p.Tenant, p.Store); err != nil {
		return err
	}
	k := key{p.Tenant, p.Store, p.Name}
	_, exists := t.s.policies[k]
	switch {
	case replace && !exists:
		return store.ErrPolicyNotFound
	case !replace && exists:
		return store.ErrPolicyExists
	}
	set(t, t.s.policies, k, clonePolicy(p))
	return nil
}

func (t *tx) DeletePolicy(ctx context.Context, tenant, st, name string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	k := key{tenant, st, name}
	if _, ok := t.s.policies[k]; !ok {
		if _, err := t.identityStore(tenant, st); err != nil {
			return err
		}
		return store.ErrPolicyNotFound
	}
	del(t, t.s.policies, k)
	return nil
}

func (t *tx) User(ctx context.Context, tenant, st, id string) (store.User, error) {
	if err := t.check(ctx, false); err != nil {
		return store.User{}, err
	}
	return t.user(tenant, st, id)
}

// user finds a user, reporting the first missing link of tenant -> store -> user.
func (t *tx) user(tenant, st, id string) (store.User, error) {
	u, ok := t.s.users[key{tenant, st, id}]
	if !ok {
		if _, err := t.identityStore(tenant, st); err != nil {
			return store.User{}, err
		}
		return store.User{}, store.ErrUserNotFound
	}
	return u, nil
}

func (t *tx) UserByExternalID(ctx context.Context, tenant, st, externalID string) (store.User, error) {
	if err := t.check(ctx, false); err != nil {
		return store.User{}, err
	}
	id, ok := t.s.external[key{tenant, st, externalID}]
	if !ok {
		if _, err := t.identityStore(tenant, st); err != nil {
			return store.User{}, err
		}
		return store.User{}, store.ErrUserNotFound
	}
	return t.user(tenant, st, id)
}

func (t *tx) CreateUser(ctx context.Context, u store.User) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if _, err := t.identityStore(u.Tenant, u.Store); err != nil {
		return err
	}
	k := key{u.Tenant, u.Store, u.ID}
	if _, ok := t.s.users[k]; ok {
		return store.ErrUserExists
	}
	ek := key{u.Tenant, u.Store, u.ExternalID}
	if _, ok := t.s.external[ek]; ok {
		return store.ErrExternalIDTaken
	}
	set(t, t.s.users, k, u)
	set(t, t.s.external, ek, u.ID)
	return nil
}

func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	old, err := t.user(u.Tenant, u.Store, u.ID)
	if err != nil {
		return err
	}
	if old.ExternalID != u.ExternalID {
		ek := key{u.Tenant, u.Store, u.ExternalID}
		if _, ok := t.s.external[ek]; ok {
			return store.ErrExternalIDTaken
		}
		del(t, t.s.external, key{u.Tenant, u.Store, old.ExternalID})
		set(t, t.s.external, ek, u.ID)
	}
	set(t, t.s.users, key{u.Tenant, u.Store, u.ID}, u)
	return nil
}

func (t *tx) Credential(ctx context.Context, tenant, st, userID string) (store.Credential, error) {
	if err := t.check(ctx, false); err != nil {
		return store.Credential{}, err
	}
	c, ok := t.s.creds[key{tenant, st, userID}]
	if !ok {
		if _, err := t.user(tenant, st, userID); err != nil {
			return store.Credential{}, err
		}
		return store.Credential{}, store.ErrCredentialNotFound
	}
	return cloneCredential(c), nil
}

func (t *tx) CreateCredential(ctx context.Context, c store.Credential) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := t.user(c.Tenant, c.Store, c.UserID); err != nil {
		return err
	}
	k := key{c.Tenant, c.Store, c.UserID}
	if _, ok := t.s.creds[k]; ok {
		return store.ErrCredentialExists
	}
	set(t, t.s.creds, k, cloneCredential(c))
	return nil
}

func (t *tx) UpdateCredential(ctx context.Context, c store.Credential) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	k := key{c.Tenant, c.Store, c.UserID}
	old, ok := t.s.creds[k]
	if !ok {
		return store.ErrCredentialNotFound
	}
	if old.Identity != c.Identity || old.Version != c.Version-1 {
		return store.ErrVersionConflict
	}
	set(t, t.s.creds, k, cloneCredential(c))
	return nil
}

func (t *tx) DeleteCredential(ctx context.Context, tenant, st, userID string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	k := key{tenant, st, userID}
	if _, ok := t.s.creds[k]; !ok {
		return store.ErrCredentialNotFound
	}
	del(t, t.s.creds, k)
	return nil
}

func (t *tx) ReserveAttempt(ctx context.Context, tenant, st, userID string, limit int, now time.Time) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if limit < 1 {
		return fmt.Errorf("%w: attempt limit below 1", store.ErrInvalid)
	}
	u, err := t.user(tenant, st, userID)
	if err != nil {
		return err
	}
	k := key{tenant, st, userID}
	n := t.s.attempts[k]
	if err := u.AttemptError(n, limit, now); err != nil {
		return err
	}
	set(t, t.s.attempts, k, n+1)
	return nil
}

func (t *tx) ReleaseAttempt(ctx context.Context, tenant, st, userID string) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	k := key{tenant, st, userID}
	switch n := t.s.attempts[k]; n {
	case 0:
		return store.ErrNoAttempt
	case 1:
		del(t, t.s.attempts, k)
	default:
		set(t, t.s.attempts, k, n-1)
	}
	return nil
}

func (t *tx) Attempts(ctx context.Context, tenant, st, userID string) (int, error) {
	if err := t.check(ctx, false); err != nil {
		return 0, err
	}
	if _, err := t.user(tenant, st, userID); err != nil {
		return 0, err
	}
	return t.s.attempts[key{tenant, st, userID}], nil
}

func (t *tx) OAuthClient(ctx context.Context, id string) (store.OAuthClient, error) {
	if err := t.check(ctx, false); err != nil {
		return store.OAuthClient{}, err
	}
	c, ok := t.s.clients[id]
	if !ok {
		return store.OAuthClient{}, store.ErrClientNotFound
	}
	return cloneClient(c), nil
}

func (t *tx) PutOAuthClient(ctx context.Context, c store.OAuthClient) error {
	if err := t.check(ctx, true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if _, ok := t.s.tenants[c.Tenant]; !ok {
		return store.ErrTenantNotFound
	}
	set(t, t.s.clients, c.ID, cloneClient(c))
	return nil
}

func clonePolicy(p store.Policy) store.Policy {
	r := &p.Requirements
	r.RequiredRegExes = slices.Clone(r.RequiredRegExes)
	r.AllowedRegExes = slices.Clone(r.AllowedRegExes)
	r.DisallowedRegExes = slices.Clone(r.DisallowedRegExes)
	return p
}

// cloneCredential deep copies c, trimming History to store.MaxHistory.
func cloneCredential(c store.Credential) store.Credential {
	c.Salt = slices.Clone(c.Salt)
	c.Verifier = slices.Clone(c.Verifier)
	h := c.History[:min(len(c.History), store.MaxHistory)]
	c.History = nil
	for _, v := range h {
		c.History = append(c.History, slices.Clone(v))
	}
	return c
}

func cloneClient(c store.OAuthClient) store.OAuthClient {
	c.SecretHash = slices.Clone(c.SecretHash)
	c.Permissions = slices.Clone(c.Permissions)
	return c
}
