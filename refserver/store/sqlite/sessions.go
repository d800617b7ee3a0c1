package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
)

// sessionStore is the Store's store.Sessions: the sessions live in a
// memory.Sessions (see Durability in the package comment), which makes each call
// atomic. What the Store adds: no call runs once Close has begun (whose snapshot of
// the sessions is the last word), none that changes a session runs after a failed
// sync (the store takes no writes then), and a put is acknowledged only once every
// commit made before it is on disk, as an Update's would be: a start's session is
// built on what its View read.
type sessionStore struct{ s *Store }

var _ store.Sessions = sessionStore{}

// guard refuses a call that changes sessions after a failed sync.
func (ss sessionStore) guard(write bool) error {
	if write {
		return ss.s.failedSync()
	}
	return nil
}

// closed turns the memory.Sessions' refusal after Close into the Store's.
func closed(err error) error {
	if errors.Is(err, memory.ErrClosed) {
		return errClosed
	}
	return err
}

func (ss sessionStore) Put(ctx context.Context, sess store.Session, lim store.SessionLimits, now time.Time) (int, error) {
	if err := ss.guard(true); err != nil {
		return 0, err
	}
	seq := ss.s.group.last()
	dropped, err := ss.s.sessions.Put(ctx, stored(sess), lim, now)
	if err != nil {
		return 0, closed(err)
	}
	return dropped, ss.s.durable(seq)
}

func (ss sessionStore) Take(ctx context.Context, ref store.SessionRef, now time.Time) (store.Session, error) {
	if err := ss.guard(true); err != nil {
		return store.Session{}, err
	}
	sess, err := ss.s.sessions.Take(ctx, ref, now)
	return sess, closed(err)
}

func (ss sessionStore) Get(ctx context.Context, id string, now time.Time) (store.Session, error) {
	sess, err := ss.s.sessions.Get(ctx, id, now)
	return sess, closed(err)
}

func (ss sessionStore) Purge(ctx context.Context, now time.Time) (int, error) {
	if err := ss.guard(true); err != nil {
		return 0, err
	}
	n, err := ss.s.sessions.Purge(ctx, now)
	return n, closed(err)
}

func (ss sessionStore) Count(ctx context.Context, now time.Time) (int, error) {
	n, err := ss.s.sessions.Count(ctx, now)
	return n, closed(err)
}

// stored returns s as the sessions table gives a session back, so that a clean
// restart changes nothing a caller can see: times in UTC to the nanosecond without
// a monotonic reading, empty byte slices nil. The slices are still s's: the
// memory.Sessions copies them.
func stored(s store.Session) store.Session {
	s.Salt, s.ServerSecret, s.ServerPublic = blob(s.Salt), blob(s.ServerSecret), blob(s.ServerPublic)
	s.CreatedAt, s.ExpiresAt = fromNanos(nanos(s.CreatedAt)), fromNanos(nanos(s.ExpiresAt))
	return s
}

// blob is b as a BLOB column gives it back: nil when empty.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
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
