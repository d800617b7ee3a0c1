package refserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// Lockout under concurrency (SPEC section 9): the completions of one user are
// counted as if they ran one at a time.
//
// Every authentication or renewal completion with a well-formed request reserves one
// of its user's lockout attempts (store.Tx.ReserveAttempt) in the Update that
// follows the take of its session, before its public value or proof is looked at,
// and settles it in the Update that writes its outcome: a counted failure
// (countFailure), a success (commit) or an uncounted failure (releaseAttempt). The store lets a reservation in only while
// the counted failures and the attempts in flight stay below maxFailedAttempts, so
// each attempt in flight is taken to fail until it has ended:
//
//   - once the counted failures reach the limit (the user is TEMP_LOCKED), every
//     further completion is USER_LOCKED, from the status or the reservation, before
//     its request is evaluated: the answer depends on the user's lockout state alone,
//     so a right proof refused then is answered exactly as a wrong one;
//   - while the attempts in flight make up the rest of the limit, a further
//     completion waits (awaitAttempt) until one of them has ended, then tries again:
//     it is evaluated if they did not all fail, and USER_LOCKED if they did. Refusing
//     it at once instead would answer USER_LOCKED for a user whom a serial order never
//     locks (N concurrent renewals with right proofs must give one 200 and STALE_SESSION
//     for the rest, SPEC section 7).
//
// So of any number of concurrent completions with wrong proofs, at most the limit
// less the failures already counted are evaluated and answered INVALID_PROOF (or
// INVALID_PUBLIC_VALUE); the rest are USER_LOCKED. A counted failure changes nothing
// but the user's count and status: the user's other sessions stay open.

// Bounds of awaitAttempt.
const (
	// attemptWaitLimit bounds how long a completion waits for an attempt. Attempts in
	// flight end within one completion's work; one that has not after this long is
	// held by a completion whose outcome could not be written (a failing store), and
	// the waiter is answered USER_LOCKED: its user has no attempt it could use.
	attemptWaitLimit = 30 * time.Second
	// attemptPoll is how often a waiter tries again even when no completion of this
	// server has signalled that an attempt ended: another server sharing the store
	// does not signal this one.
	attemptPoll = time.Second
)

// attemptKey names a user: tenant, store and user id.
type attemptKey struct{ tenant, store, user string }

func attemptKeyOf(sess store.Session) attemptKey {
	return attemptKey{sess.Tenant, sess.Store, sess.UserID}
}

// attemptGates holds a gate for each user that has completions waiting for an
// attempt (awaitAttempt). A user with no waiter has no gate, so the map holds only
// users with completions in flight.
type attemptGates struct {
	// wait and poll are attemptWaitLimit and attemptPoll (tests shorten them).
	wait, poll time.Duration

	mu sync.Mutex
	m  map[attemptKey]*attemptGate
}

// attemptGate queues the waiting completions of one user. Only the one holding turn
// tries to reserve and waits for settled; the others queue on turn, so an attempt
// that ends wakes one waiter, not all of them, and a crowd of waiting completions
// costs one try per ended attempt.
type attemptGate struct {
	turn chan struct{} // capacity 1: held by the waiter whose turn it is
	// joined and settled are guarded by attemptGates.mu. settled is closed, and
	// replaced, whenever an attempt of the user ends.
	joined  int
	settled chan struct{}
}

func newAttemptGates() *attemptGates {
	return &attemptGates{wait: attemptWaitLimit, poll: attemptPoll, m: map[attemptKey]*attemptGate{}}
}

// join returns k's gate, making it if need be; leave it with leave.
func (gs *attemptGates) join(k attemptKey) *attemptGate {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	g := gs.m[k]
	if g == nil {
		g = &attemptGate{turn: make(chan struct{}, 1), settled: make(chan struct{})}
		gs.m[k] = g
	}
	g.joined++
	return g
}

// leave undoes one join; the last to leave drops the gate.
func (gs *attemptGates) leave(k attemptKey, g *attemptGate) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if g.joined--; g.joined == 0 {
		delete(gs.m, k)
	}
}

// next returns the channel that the next end of one of g's user's attempts closes.
func (gs *attemptGates) next(g *attemptGate) <-chan struct{} {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	return g.settled
}

// settle signals that an attempt of k's user has ended: the waiter whose turn it is
// tries again.
func (gs *attemptGates) settle(k attemptKey) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if g := gs.m[k]; g != nil {
		close(g.settled)
		g.settled = make(chan struct{})
	}
}

// reserveAttempt reserves one of the session's user's lockout attempts under the
// store's lock configuration, inside an Update. It answers USER_LOCKED when the
// counted failures have reached maxFailedAttempts, and store.ErrAttemptsBusy when
// the attempts in flight make up the rest.
func reserveAttempt(ctx context.Context, tx store.Tx, sess store.Session, now time.Time) error {
	is, err := tx.IdentityStore(ctx, sess.Tenant, sess.Store)
	if err != nil {
		return err
	}
	err = tx.ReserveAttempt(ctx, sess.Tenant, sess.Store, sess.UserID, is.Lock.OrDefault().MaxFailedAttempts, now)
	if errors.Is(err, store.ErrAttemptsExhausted) {
		return errUserLocked
	}
	return err
}

// awaitAttempt waits, for a completion of flow whose user's attempts were all in
// flight, until it can reserve one, and then reads again what the completion needs
// (prepare). It returns USER_LOCKED when the attempts in flight failed and locked
// the user, or when none has ended within attemptWaitLimit, an answer that does not
// depend on the completion's proof either.
func (s *Server) awaitAttempt(ctx context.Context, flow api.Flow, found *completion) error {
	k := attemptKeyOf(found.sess)
	g := s.gates.join(k)
	defer s.gates.leave(k, g)
	give := time.NewTimer(s.gates.wait)
	defer give.Stop()
	select {
	case g.turn <- struct{}{}:
		defer func() { <-g.turn }()
	case <-give.C:
		return errUserLocked
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		// The channel is taken before the try, so an attempt that ends after the
		// try saw it in flight wakes this waiter.
		settled := s.gates.next(g)
		var p prepared
		err := s.store.Update(ctx, func(tx store.Tx) error {
			p = prepare(ctx, tx, flow, found, s.now(), true)
			return nil
		})
		if err != nil {
			return err
		}
		found.reserved, found.busy = p.reserved, p.busy
		if !p.busy {
			return p.err
		}
		select {
		case <-settled:
		case <-time.After(s.gates.poll):
		case <-give.C:
			return errUserLocked
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// releaseAttempt releases the completion's reservation, uncounted, if it still holds
// one: its request failed for a reason that does not count toward lockout, or it
// failed before its outcome could be written. It runs detached from ctx: a client
// that hangs up must not leave its reservation behind, which would hold one of its
// user's attempts until the server restarts.
func (s *Server) releaseAttempt(ctx context.Context, found *completion) {
	if !found.reserved {
		return
	}
	ctx = context.WithoutCancel(ctx)
	sess := found.sess
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return tx.ReleaseAttempt(ctx, sess.Tenant, sess.Store, sess.UserID)
	})
	if err != nil {
		s.log.Warn("releasing a lockout attempt failed", slog.String("error", err.Error()))
		return
	}
	found.reserved = false
	s.gates.settle(attemptKeyOf(sess))
}

// countFailure records a failed proof (or a refused public value) toward the user's
// lockout, releasing its reservation in the same Update, and returns cause, the error
// to report. If the count cannot be written, the request fails as an internal error
// instead: answering INVALID_PROOF without counting would give an attacker free
// guesses while the store misbehaves (and the reservation stays held, so the attempt
// still counts). The Update runs detached from ctx, so that a client that hangs up
// after sending a wrong proof still has it counted.
func (s *Server) countFailure(ctx context.Context, found *completion, now time.Time, cause error) error {
	ctx = context.WithoutCancel(ctx)
	sess := found.sess
	answer := cause
	err := s.store.Update(ctx, func(tx store.Tx) error {
		is, err := tx.IdentityStore(ctx, sess.Tenant, sess.Store)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, sess.Tenant, sess.Store, sess.UserID)
		if err != nil {
			return err
		}
		if found.reserved {
			if err := tx.ReleaseAttempt(ctx, sess.Tenant, sess.Store, sess.UserID); err != nil {
				return err
			}
		}
		// Locked or disabled meanwhile by something other than the count (an
		// operator): a right proof would now be refused at its commit, so a wrong
		// one gets the same answer, or the difference would name the right one.
		if serr := statusError(u, now); serr != nil {
			answer = serr
		}
		return tx.UpdateUser(ctx, u.WithFailure(is.Lock, now))
	})
	if err != nil {
		return fmt.Errorf("refserver: counting a failed proof: %v", err)
	}
	if found.reserved {
		found.reserved = false
		s.gates.settle(attemptKeyOf(sess))
	}
	return answer
}
