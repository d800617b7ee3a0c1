package mutant

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// storeFaults are the faults a variant makes in what the server remembers. The zero
// value is a faithful store.
type storeFaults struct {
	// reuseSessions: taking a session does not remove it (SPEC.md section 7, single
	// use).
	reuseSessions bool
	// neverExpire: a session outlives its TTL (section 7).
	neverExpire bool
	// noHistory: the history rule is not applied at completion; the start answer
	// still shows the policy's passcodeHistory (section 8).
	noHistory bool
	// acceptStale: a completion is checked against the verifier its session started
	// on, so a session the credential has moved past still succeeds (section 7).
	acceptStale bool
	// noLockout: failed proofs are counted but never lock the user (section 9).
	noLockout bool
	// lockForever: a lock lasts a century, not the store's lockDurationSeconds
	// (section 9: TEMP_LOCKED until the duration ends).
	lockForever bool
	// defaultLock: every store locks by the defaults, 5 attempts for 900 s, not by
	// its own lock configuration (section 9: the store's lock configuration).
	defaultLock bool
}

// faultyStore is a store.Store whose sessions and transactions make the faults of f.
// refserver takes it through Config.Store.
type faultyStore struct {
	store.Store
	f storeFaults

	// taken holds, per user, the sessions faultySessions.Take handed out that no
	// Update has claimed yet, oldest first (faultyTx.User).
	mu    sync.Mutex
	taken map[userKey][]takenSession
}

// takenSession is a session a completion took, with the verifier acceptStale found
// it started on (nil when the credential had not moved past it).
type takenSession struct {
	sess        store.Session
	oldVerifier []byte
}

// View runs fn over a faulty transaction.
func (s *faultyStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(&faultyTx{Tx: tx, s: s}) })
}

// Update runs fn over a faulty transaction.
func (s *faultyStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(&faultyTx{Tx: tx, s: s, write: true}) })
}

// Sessions returns the faulty sessions.
func (s *faultyStore) Sessions() store.Sessions {
	return &faultySessions{Sessions: s.Store.Sessions(), s: s}
}

// claim returns and forgets the oldest session taken for the user that no Update
// has claimed yet.
func (s *faultyStore) claim(k userKey) (takenSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.taken[k]
	if len(q) == 0 {
		return takenSession{}, false
	}
	if len(q) == 1 {
		delete(s.taken, k)
	} else {
		s.taken[k] = q[1:]
	}
	return q[0], true
}

// faultySessions are the sessions of a faultyStore.
type faultySessions struct {
	store.Sessions
	s *faultyStore
}

// sessionClock is the time the store compares expiry with: the zero time never
// passes an expiry.
func (ss *faultySessions) sessionClock(now time.Time) time.Time {
	if ss.s.f.neverExpire {
		return time.Time{}
	}
	return now
}

func (ss *faultySessions) Get(ctx context.Context, id string, now time.Time) (store.Session, error) {
	return ss.Sessions.Get(ctx, id, ss.sessionClock(now))
}

func (ss *faultySessions) Purge(ctx context.Context, now time.Time) (int, error) {
	if ss.s.f.neverExpire {
		return 0, nil
	}
	return ss.Sessions.Purge(ctx, now)
}

// Take is the first step of a completion (refserver's consume): the faults that
// concern completions apply to the reads of the Update that follows it, which
// claims the taken session by reading its user (faultyTx.User).
func (ss *faultySessions) Take(ctx context.Context, ref store.SessionRef, now time.Time) (store.Session, error) {
	sess, err := ss.Sessions.Take(ctx, ref, ss.sessionClock(now))
	if err != nil {
		return sess, err
	}
	f := &ss.s.f
	if f.reuseSessions {
		// Put it straight back: the take "consumed" nothing.
		if _, err := ss.Sessions.Put(ctx, sess, store.SessionLimits{}, time.Time{}); err != nil {
			return store.Session{}, err
		}
	}
	taken := takenSession{sess: sess}
	if f.acceptStale {
		err := ss.s.Store.View(ctx, func(tx store.Tx) error {
			cur, err := tx.Credential(ctx, sess.Tenant, sess.Store, sess.UserID)
			if err == nil && cur.Identity == sess.Identity && cur.Version > sess.CredentialVersion {
				// History holds the replaced verifiers, most recent first: the one this
				// session started on is Version - CredentialVersion renewals back.
				if back := cur.Version - sess.CredentialVersion; back <= int64(len(cur.History)) {
					taken.oldVerifier = cur.History[back-1]
					sess.CredentialVersion = cur.Version
				}
			}
			return nil
		})
		if err != nil {
			return store.Session{}, err
		}
	}
	if f.noHistory || taken.oldVerifier != nil {
		k := userKey{sess.Tenant, sess.Store, sess.UserID}
		ss.s.mu.Lock()
		if ss.s.taken == nil {
			ss.s.taken = map[userKey][]takenSession{}
		}
		ss.s.taken[k] = append(ss.s.taken[k], taken)
		ss.s.mu.Unlock()
	}
	return sess, nil
}

// faultyTx is one transaction. An Update that reads the user of a session just
// taken is the consume step of that session's completion: the faults that concern
// completions apply only to the reads that follow in the same transaction.
type faultyTx struct {
	store.Tx
	s     *faultyStore
	write bool
	// taken is the session this transaction's completion took, if any.
	taken *takenSession
}

func (t *faultyTx) User(ctx context.Context, tenant, storeName, id string) (store.User, error) {
	if t.write && t.taken == nil {
		if ts, ok := t.s.claim(userKey{tenant, storeName, id}); ok {
			t.taken = &ts
		}
	}
	return t.Tx.User(ctx, tenant, storeName, id)
}

func (t *faultyTx) Policy(ctx context.Context, tenant, storeName, name string) (store.Policy, error) {
	p, err := t.Tx.Policy(ctx, tenant, storeName, name)
	if err == nil && t.s.f.noHistory && t.taken != nil {
		p.Requirements.PasscodeHistory = 0
	}
	return p, err
}

func (t *faultyTx) Credential(ctx context.Context, tenant, storeName, userID string) (store.Credential, error) {
	c, err := t.Tx.Credential(ctx, tenant, storeName, userID)
	if err == nil && t.taken != nil && t.taken.oldVerifier != nil && t.taken.sess.UserID == userID &&
		t.taken.sess.Tenant == tenant && t.taken.sess.Store == storeName {
		c.Verifier = t.taken.oldVerifier
	}
	return c, err
}

func (t *faultyTx) IdentityStore(ctx context.Context, tenant, name string) (store.IdentityStore, error) {
	is, err := t.Tx.IdentityStore(ctx, tenant, name)
	if err != nil {
		return is, err
	}
	switch f := &t.s.f; {
	case f.noLockout:
		is.Lock.MaxFailedAttempts = math.MaxInt32
	case f.lockForever:
		is.Lock.LockDuration = 100 * 365 * 24 * time.Hour
	case f.defaultLock:
		is.Lock = store.LockConfig{MaxFailedAttempts: store.DefaultMaxFailedAttempts, LockDuration: store.DefaultLockDuration}
	}
	return is, err
}
