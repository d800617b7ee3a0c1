package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// Sessions is an in-memory store.Sessions. One lock guards it, so each call is
// atomic: of concurrent takers of a session exactly one finds it, and concurrent
// puts see each other's sessions when they apply the limits. The memory Store keeps
// its sessions in one; so does the sqlite Store, which writes them to its database
// only at a clean Close. Create it with NewSessions.
type Sessions struct {
	mu     sync.RWMutex
	closed bool
	m      map[string]store.Session
	// byUser indexes m by user, (tenant, store, user ID) -> session IDs, for Put's
	// per-user limit; a user with none has no entry.
	byUser map[key]map[string]struct{}
}

var _ store.Sessions = (*Sessions)(nil)

// NewSessions returns an empty Sessions. It cannot fail, so it returns no error.
func NewSessions() *Sessions {
	return &Sessions{m: map[string]store.Session{}, byUser: map[key]map[string]struct{}{}}
}

// check refuses a call with an ended context or after Close; ss.mu is held.
func (ss *Sessions) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ss.closed {
		return ErrClosed
	}
	return nil
}

// userOf is the byUser key of s.
func userOf(s store.Session) key { return key{s.Tenant, s.Store, s.UserID} }

// add stores s, which the caller no longer shares; ss.mu is held for writing.
func (ss *Sessions) add(s store.Session) {
	ss.m[s.ID] = s
	k := userOf(s)
	ids, ok := ss.byUser[k]
	if !ok {
		ids = map[string]struct{}{}
		ss.byUser[k] = ids
	}
	ids[s.ID] = struct{}{}
}

// remove deletes the stored session s; ss.mu is held for writing.
func (ss *Sessions) remove(s store.Session) {
	delete(ss.m, s.ID)
	k := userOf(s)
	ids := ss.byUser[k]
	delete(ids, s.ID)
	if len(ids) == 0 {
		delete(ss.byUser, k)
	}
}

// Put implements store.Sessions.
func (ss *Sessions) Put(ctx context.Context, s store.Session, lim store.SessionLimits, now time.Time) (int, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if err := ss.check(ctx); err != nil {
		return 0, err
	}
	if _, ok := ss.m[s.ID]; ok {
		return 0, store.ErrSessionExists
	}
	ids := ss.byUser[userOf(s)]
	var expired []store.Session
	open := make([]store.Session, 0, len(ids))
	for id := range ids {
		if o := ss.m[id]; o.ExpiredAt(now) {
			expired = append(expired, o)
		} else {
			open = append(open, o)
		}
	}
	drop := store.SessionsToDrop(open, lim.PerUser)
	if lim.Total > 0 && len(ss.m)-len(expired)-len(drop)+1 > lim.Total {
		return 0, store.ErrSessionsFull
	}
	for _, o := range append(expired, drop...) {
		ss.remove(o)
	}
	ss.add(cloneSession(s))
	return len(drop), nil
}

// Take implements store.Sessions.
func (ss *Sessions) Take(ctx context.Context, ref store.SessionRef, now time.Time) (store.Session, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if err := ss.check(ctx); err != nil {
		return store.Session{}, err
	}
	s, ok := ss.m[ref.ID]
	if !ok || !ref.Names(s) {
		return store.Session{}, store.ErrSessionNotFound
	}
	ss.remove(s)
	if s.ExpiredAt(now) {
		return store.Session{}, store.ErrSessionNotFound
	}
	// Removed, the stored copy is no one else's: the caller may have it.
	return s, nil
}

// Get implements store.Sessions.
func (ss *Sessions) Get(ctx context.Context, id string, now time.Time) (store.Session, error) {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if err := ss.check(ctx); err != nil {
		return store.Session{}, err
	}
	s, ok := ss.m[id]
	if !ok || s.ExpiredAt(now) {
		return store.Session{}, store.ErrSessionNotFound
	}
	return cloneSession(s), nil
}

// Purge implements store.Sessions.
func (ss *Sessions) Purge(ctx context.Context, now time.Time) (int, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if err := ss.check(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range ss.m {
		if s.ExpiredAt(now) {
			ss.remove(s)
			n++
		}
	}
	return n, nil
}

// Count implements store.Sessions.
func (ss *Sessions) Count(ctx context.Context, now time.Time) (int, error) {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if err := ss.check(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range ss.m {
		if !s.ExpiredAt(now) {
			n++
		}
	}
	return n, nil
}

// Close makes every later call fail and returns the sessions held, expired ones a
// purge has not removed included (Sessions has no clock: its callers judge expiry),
// in no particular order. Once closed, nothing can take or put a session, so a
// caller that saves what Close returns (the sqlite Store, at its own Close) saves
// exactly the sessions that are left. Closing twice returns nothing the second time.
func (ss *Sessions) Close() []store.Session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return nil
	}
	ss.closed = true
	held := make([]store.Session, 0, len(ss.m))
	for _, s := range ss.m {
		held = append(held, s)
	}
	ss.m, ss.byUser = nil, nil
	return held
}

// cloneSession copies s's byte slices, so that the store shares none with a caller.
func cloneSession(s store.Session) store.Session {
	s.Salt = slices.Clone(s.Salt)
	s.ServerSecret = slices.Clone(s.ServerSecret)
	s.ServerPublic = slices.Clone(s.ServerPublic)
	return s
}
