package sqlite

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// sessions holds the Store's committed sessions in memory, not in the database (see
// Durability in the package comment). Only a committing Update changes the map, and
// it holds the writer connection while it does, so an Update reads the map knowing
// that nothing else changes it meanwhile; mu lets Views read it at the same time.
type sessions struct {
	mu sync.RWMutex
	m  map[string]store.Session
	// byUser indexes m by user, (tenant, store, user ID) -> session IDs, for
	// PutSessionWithin's per-user limit; a user with none has no entry.
	byUser map[rowKey]map[string]struct{}
}

func newSessions() *sessions {
	return &sessions{m: make(map[string]store.Session), byUser: make(map[rowKey]map[string]struct{})}
}

// userOf is the byUser key of s.
func userOf(s store.Session) rowKey { return rowKey{s.Tenant, s.Store, s.UserID} }

// remove deletes session id from m and byUser; ss.mu is held for writing.
func (ss *sessions) remove(id string) {
	old, ok := ss.m[id]
	if !ok {
		return
	}
	delete(ss.m, id)
	k := userOf(old)
	ids := ss.byUser[k]
	delete(ids, id)
	if len(ids) == 0 {
		delete(ss.byUser, k)
	}
}

// get returns the committed session id, expired or not.
func (ss *sessions) get(id string) (store.Session, bool) {
	ss.mu.RLock()
	s, ok := ss.m[id]
	ss.mu.RUnlock()
	return s, ok
}

// apply makes an Update's session changes the committed ones.
func (ss *sessions) apply(changed map[string]sessionChange) {
	if len(changed) == 0 {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, c := range changed {
		ss.remove(id)
		if c.gone {
			continue
		}
		ss.m[id] = c.s
		k := userOf(c.s)
		ids, ok := ss.byUser[k]
		if !ok {
			ids = make(map[string]struct{})
			ss.byUser[k] = ids
		}
		ids[id] = struct{}{}
	}
}

// sessionChange is an Update's change to one session, in effect for the rest of the
// Update and, once it commits, for everyone: its new value, or its removal.
type sessionChange struct {
	s    store.Session
	gone bool
}

// stored returns s as the sessions table gives a session back, so that keeping
// sessions in memory changes nothing a caller can see: times in UTC to the
// nanosecond without a monotonic reading, byte slices copied and empty ones nil.
func stored(s store.Session) store.Session {
	s.Salt, s.ServerSecret, s.ServerPublic = cloneBlob(s.Salt), cloneBlob(s.ServerSecret), cloneBlob(s.ServerPublic)
	s.CreatedAt, s.ExpiresAt = fromNanos(nanos(s.CreatedAt)), fromNanos(nanos(s.ExpiresAt))
	return s
}

// cloneSession copies a stored session's byte slices, for a caller to own.
func cloneSession(s store.Session) store.Session {
	s.Salt, s.ServerSecret, s.ServerPublic = cloneBlob(s.Salt), cloneBlob(s.ServerSecret), cloneBlob(s.ServerPublic)
	return s
}

// cloneBlob copies b, giving nil for an empty b as a BLOB column does.
func cloneBlob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// checkSession guards the session methods as check guards the others, except that
// they never make an Update durable: they never touch the database.
func (t *tx) checkSession(write bool) error {
	if t.done {
		return store.ErrTxDone
	}
	if write && !t.write {
		return store.ErrReadOnly
	}
	return nil
}

// live refuses, as a statement would, once the method's or the transaction's context
// has ended.
func (t *tx) live(ctx context.Context, op string) error {
	if err := cmp.Or(ctx.Err(), t.ctx.Err()); err != nil {
		return wrap(op, err)
	}
	return nil
}

// session returns session id as this transaction sees it, expired or not: an
// Update's own changes first, then the committed sessions.
func (t *tx) session(id string) (store.Session, bool) {
	if c, ok := t.changed[id]; ok {
		return c.s, !c.gone
	}
	return t.sessions.get(id)
}

// change records a session change of an Update.
func (t *tx) change(id string, c sessionChange) {
	if t.changed == nil {
		t.changed = make(map[string]sessionChange)
	}
	t.changed[id] = c
}

func (t *tx) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	if err := t.checkSession(false); err != nil {
		return store.Session{}, err
	}
	if err := t.live(ctx, "get session"); err != nil {
		return store.Session{}, err
	}
	s, ok := t.session(id)
	if !ok || s.ExpiredAt(now) {
		return store.Session{}, store.ErrSessionNotFound
	}
	return cloneSession(s), nil
}

func (t *tx) PutSession(ctx context.Context, s store.Session) error {
	if err := t.checkSession(true); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if err := t.live(ctx, "put session"); err != nil {
		return err
	}
	if _, ok := t.session(s.ID); ok {
		return store.ErrSessionExists
	}
	t.change(s.ID, sessionChange{s: stored(s)})
	return nil
}

func (t *tx) PutSessionWithin(ctx context.Context, s store.Session, lim store.SessionLimits, now time.Time) (int, error) {
	if err := t.checkSession(true); err != nil {
		return 0, err
	}
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if err := t.live(ctx, "put session"); err != nil {
		return 0, err
	}
	if _, ok := t.session(s.ID); ok {
		return 0, store.ErrSessionExists
	}
	mine := t.userSessions(userOf(s))
	var expired []store.Session
	open := make([]store.Session, 0, len(mine))
	for _, o := range mine {
		if o.ExpiredAt(now) {
			expired = append(expired, o)
		} else {
			open = append(open, o)
		}
	}
	drop := store.SessionsToDrop(open, lim.PerUser)
	if lim.Total > 0 && t.heldSessions()-len(expired)-len(drop)+1 > lim.Total {
		return 0, store.ErrSessionsFull
	}
	for _, o := range append(expired, drop...) {
		t.change(o.ID, sessionChange{gone: true})
	}
	t.change(s.ID, sessionChange{s: stored(s)})
	return len(drop), nil
}

// userSessions returns the sessions of user k as this transaction sees them,
// expired or not: the committed ones it has not changed, then those it put.
func (t *tx) userSessions(k rowKey) []store.Session {
	t.sessions.mu.RLock()
	out := make([]store.Session, 0, len(t.sessions.byUser[k])+1)
	for id := range t.sessions.byUser[k] {
		if _, ok := t.changed[id]; !ok {
			out = append(out, t.sessions.m[id])
		}
	}
	t.sessions.mu.RUnlock()
	for _, c := range t.changed {
		if !c.gone && userOf(c.s) == k {
			out = append(out, c.s)
		}
	}
	return out
}

// heldSessions returns how many sessions the store holds as this transaction sees
// them, expired or not.
func (t *tx) heldSessions() int {
	t.sessions.mu.RLock()
	defer t.sessions.mu.RUnlock()
	n := len(t.sessions.m)
	for id, c := range t.changed {
		_, committed := t.sessions.m[id]
		switch {
		case c.gone && committed:
			n--
		case !c.gone && !committed:
			n++
		}
	}
	return n
}

func (t *tx) TakeSession(ctx context.Context, id string, now time.Time) (store.Session, error) {
	if err := t.checkSession(true); err != nil {
		return store.Session{}, err
	}
	if err := t.live(ctx, "take session"); err != nil {
		return store.Session{}, err
	}
	// Updates run one at a time and see each other's commits, so the first to
	// commit a take is the only taker.
	s, ok := t.session(id)
	if !ok {
		return store.Session{}, store.ErrSessionNotFound
	}
	t.change(id, sessionChange{gone: true})
	if s.ExpiredAt(now) {
		return store.Session{}, store.ErrSessionNotFound
	}
	// A rollback keeps the stored session, so the caller gets its own copy.
	return cloneSession(s), nil
}

func (t *tx) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	if err := t.checkSession(true); err != nil {
		return 0, err
	}
	if err := t.live(ctx, "purge sessions"); err != nil {
		return 0, err
	}
	var expired []string
	t.eachSession(func(s store.Session) {
		if s.ExpiredAt(now) {
			expired = append(expired, s.ID)
		}
	})
	for _, id := range expired {
		t.change(id, sessionChange{gone: true})
	}
	return len(expired), nil
}

func (t *tx) CountSessions(ctx context.Context, now time.Time) (int, error) {
	if err := t.checkSession(false); err != nil {
		return 0, err
	}
	if err := t.live(ctx, "count sessions"); err != nil {
		return 0, err
	}
	n := 0
	t.eachSession(func(s store.Session) {
		if !s.ExpiredAt(now) {
			n++
		}
	})
	return n, nil
}

// eachSession calls fn with every session as this transaction sees it: the committed
// ones it has not changed, then those it put. fn must not change the sessions.
func (t *tx) eachSession(fn func(store.Session)) {
	t.sessions.mu.RLock()
	for id, s := range t.sessions.m {
		if _, ok := t.changed[id]; !ok {
			fn(s)
		}
	}
	t.sessions.mu.RUnlock()
	for _, c := range t.changed {
		if !c.gone {
			fn(c.s)
		}
	}
}

// scanSession reads one session row selected with sessionColumns.
func scanSession(rows interface{ Scan(...any) error }) (store.Session, error) {
	var s store.Session
	var created, expires int64
	err := rows.Scan(
		&s.ID, &s.Flow, &s.Tenant, &s.Store, &s.UserID, &s.Policy, &s.Identity, &s.Salt, &s.CredentialVersion,
		&s.ServerSecret, &s.ServerPublic, &created, &expires)
	if err != nil {
		return store.Session{}, err
	}
	s.CreatedAt, s.ExpiresAt = fromNanos(created), fromNanos(expires)
	return s, nil
}
