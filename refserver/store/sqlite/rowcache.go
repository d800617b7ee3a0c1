package sqlite

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// rowCacheSize bounds each kind of row the row cache keeps; a full kind evicts an
// arbitrary entry. 4096 users, policies and credential rows (with 256-byte
// verifiers) are well under 10 MiB.
const rowCacheSize = 4096

// rowKey names an identity store, a user, a policy or a credential: tenant, store and
// the user id or the policy name (empty for the store itself).
type rowKey struct {
	tenant, store, name string
}

// credentialRow is a credentials row: what Credential and UpdateCredential read of it.
// Its byte slices are never changed once built: callers copy before they hand them
// out.
type credentialRow struct {
	identity string
	salt     []byte
	verifier []byte
	version  int64
	nonce    []byte
}

// rowSet holds rows by kind: the row cache's contents, and an Update's pending rows.
type rowSet struct {
	stores      map[rowKey]store.IdentityStore
	users       map[rowKey]store.User
	policies    map[rowKey]store.Policy
	credentials map[rowKey]credentialRow
}

func newRowSet() *rowSet {
	return &rowSet{
		stores:      make(map[rowKey]store.IdentityStore),
		users:       make(map[rowKey]store.User),
		policies:    make(map[rowKey]store.Policy),
		credentials: make(map[rowKey]credentialRow),
	}
}

// The row kinds, as selectors of a rowSet's map: the generic functions below and in
// tx.go take one.
func storeRows(s *rowSet) map[rowKey]store.IdentityStore { return s.stores }
func userRows(s *rowSet) map[rowKey]store.User           { return s.users }
func policyRows(s *rowSet) map[rowKey]store.Policy       { return s.policies }
func credentialRows(s *rowSet) map[rowKey]credentialRow  { return s.credentials }

// rowCache holds the latest committed identity stores, users (by id), policies and
// credential rows, so that the keyed reads of a renewal do not go to the database
// (see Row cache in the package comment). It is read and changed only by a holder of the writer slot: an
// Update, or a View on the writer connection. Entries are put only for committed
// data: a writer View's reads, and an Update's reads and tracked writes once it has
// committed (tx.pendingRows); an Update with any other write clears it when it
// commits. mu makes that independent of the slot's happens-before edges.
type rowCache struct {
	mu sync.Mutex
	rowSet
}

func newRowCache() *rowCache {
	c := &rowCache{}
	c.clear()
	return c
}

// clear drops every entry.
func (c *rowCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rowSet = *newRowSet()
}

// getRow returns the cached row of kind at k.
func getRow[V any](c *rowCache, k rowKey, kind func(*rowSet) map[rowKey]V) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := kind(&c.rowSet)[k]
	return v, ok
}

// putRow caches one row of kind.
func putRow[V any](c *rowCache, k rowKey, v V, kind func(*rowSet) map[rowKey]V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	putBounded(kind(&c.rowSet), k, v)
}

// apply puts every row of p.
func (c *rowCache) apply(p *rowSet) {
	if p == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, is := range p.stores {
		putBounded(c.stores, k, is)
	}
	for k, u := range p.users {
		putBounded(c.users, k, u)
	}
	for k, pol := range p.policies {
		putBounded(c.policies, k, pol)
	}
	for k, r := range p.credentials {
		putBounded(c.credentials, k, r)
	}
}

// putBounded sets m[k] = v, evicting an arbitrary entry when m is full.
func putBounded[V any](m map[rowKey]V, k rowKey, v V) {
	if _, ok := m[k]; !ok && len(m) >= rowCacheSize {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}

// clonePolicy copies p's slices, so that neither the cache nor a caller shares them
// with the other. A nil slice stays nil and an empty one empty, as JSON decodes them.
func clonePolicy(p store.Policy) store.Policy {
	r := &p.Requirements
	r.RequiredRegExes = cloneRegexes(r.RequiredRegExes)
	r.AllowedRegExes = cloneRegexes(r.AllowedRegExes)
	r.DisallowedRegExes = cloneRegexes(r.DisallowedRegExes)
	return p
}

func cloneRegexes(rs []passcode.Regex) []passcode.Regex {
	if rs == nil {
		return nil
	}
	return slices.Clone(rs)
}

// cloneCredentialRow copies r's byte slices.
func cloneCredentialRow(r credentialRow) credentialRow {
	r.salt, r.verifier, r.nonce = cloneBytes(r.salt), cloneBytes(r.verifier), cloneBytes(r.nonce)
	return r
}

// cloneBytes copies b, keeping nil and empty apart.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// storedUser returns u as the users table gives it back: times in UTC to the
// nanosecond without a monotonic reading, the zero time as the zero time.
func storedUser(u store.User) store.User {
	u.DateCreated, u.LockedUntil = fromNanos(nanos(u.DateCreated)), fromNanos(nanos(u.LockedUntil))
	return u
}

// testCounters counts, for tests only, the SQL statements transactions run and the
// SQL transactions they begin.
type testCounters struct {
	statements, begins atomic.Int64
}
