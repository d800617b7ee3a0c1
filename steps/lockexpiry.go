package steps

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// The lock of SPEC.md section 9 as a store configures it: a user of a store whose
// lock differs from the target's main store (sut.ShortLockStore, the reference
// fixtures' "brief": 2 failures, 4 s) locks after that store's maxFailedAttempts,
// and is TEMP_LOCKED only until its lockDurationSeconds have passed
// (features/lockout.feature, LCK-014 and LCK-015).

// lockSpan is when a lock began: not before from (the first of the wrong proofs that
// locked the user was sent after it) and not after to (the last one's answer).
type lockSpan struct{ from, to time.Time }

type lockSpanKey struct{}

// lockExpirySteps are the steps of the store's own lock.
func lockExpirySteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^a user with a registered passcode in the store with a short lock$`), givenShortLockUser)
	c.Step(stepRE(`^the client locks the user with wrong proofs$`), lockUser)
	c.Step(stepRE(`^the user is still locked$`), expectStillLocked)
	c.Step(stepRE(`^the lock's duration passes$`), waitLockOut)
}

// lock is the lock configuration of the scenario's store, as the target declares
// it: ShortLock in ShortLockStore, Lock elsewhere.
func (s *scenario) lock() sut.Lock {
	if t := s.w.tgt; t.ShortLockStore != "" && s.store == t.ShortLockStore {
		return t.ShortLock
	}
	return s.w.tgt.Lock
}

// givenShortLockUser makes a user of the short-lock store with a passcode, through
// the admin API, and moves the scenario to that store.
func givenShortLockUser(ctx context.Context) error {
	s := sc(ctx)
	t := s.w.tgt
	if !t.Has(sut.LockExpiry) {
		return notApplicable{reason: "the target names no store with a lock of at most " + sut.MaxLockToWait.String() + " (shortLockStore, shortLock)", optional: true}
	}
	c, err := s.adminClient(ctx, t.Tenant)
	if err != nil {
		return err
	}
	au, ex, err := c.CreateUser(ctx, t.ShortLockStore, api.CreateUserRequest{ExternalID: freshExternalID()})
	if api.ErrorCode(err) == api.CodeStoreNotFound {
		// A deployment seeded from older reference fixtures lacks the store; it
		// need not have one (SPEC.md section 3 does not ask for it).
		return notApplicable{reason: fmt.Sprintf("the server has no store %s, the target's shortLockStore", t.ShortLockStore), optional: true}
	}
	if err != nil {
		return s.fail(ex, "setup: creating a user of store %s through the admin API failed: %v", t.ShortLockStore, err)
	}
	u := &user{id: au.ID, ext: au.ExternalID, tenant: t.Tenant, store: t.ShortLockStore}
	if err := s.register(ctx, u, sut.PolicyStandard, ""); err != nil {
		return err
	}
	u.policyRole = sut.PolicyStandard
	s.user, s.store = u, t.ShortLockStore
	return nil
}

// lockUser fails the user's authentication as often as its store allows and
// remembers when the lock began.
func lockUser(ctx context.Context) (context.Context, error) {
	s := sc(ctx)
	from := time.Now()
	if err := s.failAuth(ctx, s.lock().MaxFailedAttempts); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, lockSpanKey{}, lockSpan{from: from, to: time.Now()}), nil
}

func lockSpanOf(ctx context.Context) (lockSpan, error) {
	if sp, ok := ctx.Value(lockSpanKey{}).(lockSpan); ok {
		return sp, nil
	}
	return lockSpan{}, sc(ctx).fail(nil, "the scenario has not locked the user (the client locks the user with wrong proofs)")
}

// expectStillLocked checks that an authentication start made within the lock's
// duration is USER_LOCKED. An answer that arrives after the earliest moment the
// lock may have ended proves nothing either way: the check then did not run.
func expectStillLocked(ctx context.Context) error {
	s := sc(ctx)
	span, err := lockSpanOf(ctx)
	if err != nil {
		return err
	}
	sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	ex := sess.startEx
	if ex.Status == http.StatusBadRequest && errorCode(ex) == api.CodeUserLocked {
		return nil
	}
	d := time.Duration(s.lock().LockDurationSeconds) * time.Second
	if elapsed := time.Since(span.from); elapsed >= d {
		return notApplicable{reason: fmt.Sprintf("the authentication start after the lock was answered %v after the first wrong proof was sent, "+
			"no sooner than the store's lock of %v may have ended: the machine is too slow for this check", elapsed.Round(time.Millisecond), d)}
	}
	return s.fail(ex, "an authentication start %v after the first of %d wrong proofs answered %s, want 400 USER_LOCKED: the store %s locks for %v",
		time.Since(span.from).Round(time.Millisecond), s.lock().MaxFailedAttempts, statusCode(ex.Status, errorCode(ex)), s.store, d)
}

// waitLockOut waits until the lock has ended for sure: its duration after the
// lock's latest possible start, and waitMargin more, so that the next request
// reaches the server after the end.
func waitLockOut(ctx context.Context) error {
	s := sc(ctx)
	span, err := lockSpanOf(ctx)
	if err != nil {
		return err
	}
	end := span.to.Add(time.Duration(s.lock().LockDurationSeconds)*time.Second + waitMargin(s.last))
	return sleep(ctx, time.Until(end))
}
