package mutant

import (
	"context"
	"math"
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

// faultyStore is a store.Store whose transactions make the faults of f. refserver
// takes it through Config.Store.
type faultyStore struct {
	store.Store
	f storeFaults
}

// View runs fn over a faulty transaction.
func (s *faultyStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(&faultyTx{Tx: tx, f: &s.f}) })
}

// Update runs fn over a faulty transaction.
func (s *faultyStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(&faultyTx{Tx: tx, f: &s.f}) })
}

// faultyTx is one transaction. A transaction that takes a session is the first step
// of a completion (refserver's consume): the faults that concern completions apply
// only to the reads that follow the take in the same transaction.
type faultyTx struct {
	store.Tx
	f *storeFaults
	// taken is the session this transaction took, if any.
	taken *store.Session
	// oldVerifier is the verifier the taken session started on, when acceptStale
	// found the credential moved past it.
	oldVerifier []byte
}

// sessionClock is the time the store compares expiry with: the zero time never
// passes an expiry.
func (t *faultyTx) sessionClock(now time.Time) time.Time {
	if t.f.neverExpire {
		return time.Time{}
	}
	return now
}

func (t *faultyTx) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	return t.Tx.Session(ctx, id, t.sessionClock(now))
}

func (t *faultyTx) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	if t.f.neverExpire {
		return 0, nil
	}
	return t.Tx.PurgeExpiredSessions(ctx, now)
}

func (t *faultyTx) TakeSession(ctx context.Context, id string, now time.Time) (store.Session, error) {
	sess, err := t.Tx.TakeSession(ctx, id, t.sessionClock(now))
	if err != nil {
		return sess, err
	}
	if t.f.reuseSessions {
		// Put it straight back: the take "consumed" nothing.
		if err := t.Tx.PutSession(ctx, sess); err != nil {
			return store.Session{}, err
		}
	}
	if t.f.acceptStale {
		cur, err := t.Tx.Credential(ctx, sess.Tenant, sess.Store, sess.UserID)
		if err == nil && cur.Identity == sess.Identity && cur.Version > sess.CredentialVersion {
			// History holds the replaced verifiers, most recent first: the one this
			// session started on is Version - CredentialVersion renewals back.
			if back := cur.Version - sess.CredentialVersion; back <= int64(len(cur.History)) {
				t.oldVerifier = cur.History[back-1]
				sess.CredentialVersion = cur.Version
			}
		}
	}
	t.taken = &sess
	return sess, nil
}

func (t *faultyTx) Policy(ctx context.Context, tenant, storeName, name string) (store.Policy, error) {
	p, err := t.Tx.Policy(ctx, tenant, storeName, name)
	if err == nil && t.f.noHistory && t.taken != nil {
		p.Requirements.PasscodeHistory = 0
	}
	return p, err
}

func (t *faultyTx) Credential(ctx context.Context, tenant, storeName, userID string) (store.Credential, error) {
	c, err := t.Tx.Credential(ctx, tenant, storeName, userID)
	if err == nil && t.oldVerifier != nil && t.taken.UserID == userID &&
		t.taken.Tenant == tenant && t.taken.Store == storeName {
		c.Verifier = t.oldVerifier
	}
	return c, err
}

func (t *faultyTx) IdentityStore(ctx context.Context, tenant, name string) (store.IdentityStore, error) {
	is, err := t.Tx.IdentityStore(ctx, tenant, name)
	if err != nil {
		return is, err
	}
	switch {
	case t.f.noLockout:
		is.Lock.MaxFailedAttempts = math.MaxInt32
	case t.f.lockForever:
		is.Lock.LockDuration = 100 * 365 * 24 * time.Hour
	case t.f.defaultLock:
		is.Lock = store.LockConfig{MaxFailedAttempts: store.DefaultMaxFailedAttempts, LockDuration: store.DefaultLockDuration}
	}
	return is, err
}
