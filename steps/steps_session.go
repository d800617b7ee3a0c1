package steps

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/target"
)

// sessionSteps are the steps of concurrency, history, lockout and the property
// scenario: those that send many requests.
func sessionSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the session's lifetime passes$`), func(ctx context.Context) error {
		return sc(ctx).sessionLifetimePasses(ctx)
	})
	c.Step(stepRE(`^the client sends (\d+) correct completions of the session at once$`), func(ctx context.Context, n int) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		if sess.id == "" {
			return s.fail(sess.startEx, "the session cannot be completed: %v", sess.parseErr)
		}
		body, err := s.body(sess, completion{})
		if err != nil {
			return err
		}
		sessions, bodies := make([]*session, n), make([][]byte, n)
		for i := range sessions {
			sessions[i], bodies[i] = sess, body
		}
		answers, err := s.completeBatch(ctx, sessions, bodies)
		if err != nil {
			return err
		}
		for _, ex := range answers {
			if ex.Status == http.StatusOK {
				sess.completeEx = ex
				s.accepted(sess)
				s.winner = sess
				break
			}
		}
		return nil
	})
	c.Step(stepRE(`^the client completes all of them at once, each with its own new passcode$`), func(ctx context.Context) error {
		s := sc(ctx)
		if len(s.batch) == 0 {
			return s.fail(nil, "no sessions were started")
		}
		bodies := make([][]byte, len(s.batch))
		for i, sess := range s.batch {
			b, err := s.body(sess, completion{})
			if err != nil {
				return err
			}
			bodies[i] = b
		}
		answers, err := s.completeBatch(ctx, s.batch, bodies)
		if err != nil {
			return err
		}
		for i, ex := range answers {
			s.batch[i].completeEx = ex
			if ex.Status == http.StatusOK && s.winner == nil {
				s.accepted(s.batch[i])
				s.winner = s.batch[i]
			}
		}
		return nil
	})
	c.Step(stepRE(`^at most one answer is 200 and the others are (\d{3}) ([A-Z_]+)$`), func(ctx context.Context, status int, code string) error {
		s := sc(ctx)
		if len(s.answers) == 0 {
			return s.fail(nil, "no batch of completions was sent")
		}
		ok := 0
		for _, ex := range s.answers {
			if ex.Status == http.StatusOK {
				ok++
			}
		}
		if ok > 1 {
			return s.fail(s.answers[0], "%d of %d concurrent completions answered 200; at most one may", ok, len(s.answers))
		}
		for _, ex := range s.answers {
			if ex.Status == http.StatusOK {
				continue
			}
			if ex.Status != status {
				return s.fail(ex, "a losing completion answered %d, want %d %s", ex.Status, status, code)
			}
			if got := errorCode(ex); got != api.Code(code) {
				s.soft(ex, "a losing completion answered code %q, want %q", got, code)
			} else {
				s.rec.codeChecked()
			}
		}
		return nil
	})
	c.Step(stepRE(`^the passcode of the winning completion authenticates$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		if u.pass == "" {
			// Nobody won a registration: the user must still have no passcode.
			return s.expectNoPasscode(ctx, u)
		}
		// u.pass is the winner's passcode, or the passcode from before when nobody
		// won: either way it is the one that must work now.
		return s.expectAuth(ctx, u, u.pass, "the passcode of the acknowledged completion (or, with no winner, the previous one)")
	})

	c.Step(stepRE(`^the client renews the passcode back to (the current passcode|the passcode from (\d+) renewals? before)$`), func(ctx context.Context, which, back string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		target := u.pass
		if back != "" {
			k := atoi(back)
			if k < 1 || k > len(u.old) {
				return s.fail(nil, "the user has %d previous passcodes, not %d", len(u.old), k)
			}
			target = u.old[len(u.old)-k]
		}
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "the renewal start answered %d, want 200", sess.startEx.Status)
		}
		_, err = s.complete(ctx, sess, completion{newPass: target})
		return err
	})

	c.Step(stepRE(`^(\d+) users each renew their passcode (\d+) times in a row, steering values with leading zero bytes$`), func(ctx context.Context, users, n int) error {
		return sc(ctx).property(ctx, users, n)
	})
	c.Step(stepRE(`^every user's last passcode authenticates$`), func(ctx context.Context) error {
		s := sc(ctx)
		if len(s.batchUsers) == 0 {
			return s.fail(nil, "no users renewed")
		}
		for _, u := range s.batchUsers {
			if err := s.expectAuth(ctx, u, u.pass, "the last passcode of user "+u.ext); err != nil {
				return err
			}
		}
		return nil
	})
	c.Step(stepRE(`^every renewal answered 200 with an m2 that verifies$`), func(ctx context.Context) error {
		s := sc(ctx)
		p := s.prop
		if p == nil {
			return s.fail(nil, "no renewals were run")
		}
		if p.failure != nil {
			return s.failDiag(p.failure.ex, p.failure.diag, "renewal %d of a user's row (%d of %d done): %s", p.failedAt+1, p.done, p.want, p.failure.msg)
		}
		if p.done != p.want {
			return s.fail(nil, "%d of %d renewals ran", p.done, p.want)
		}
		return nil
	})
	c.Step(stepRE(`^values with leading zero bytes occurred in A, the verifier, M1 and M2$`), func(ctx context.Context) error {
		s := sc(ctx)
		p := s.prop
		if p == nil {
			return s.fail(nil, "no renewals were run")
		}
		if p.zeroA == 0 || p.zeroV == 0 || p.zeroM1 == 0 || p.zeroM2 == 0 {
			return s.fail(nil, "leading zero bytes: %s; every one of A, the verifier, M1 and M2 must have occurred", p)
		}
		return nil
	})

	c.Step(stepRE(`^the client fails the authentication as often as the store allows$`), func(ctx context.Context) error {
		s := sc(ctx)
		return s.failAuth(ctx, s.w.tgt.Lock.MaxFailedAttempts)
	})
	c.Step(stepRE(`^the client fails the authentication one time less than the store allows$`), func(ctx context.Context) error {
		s := sc(ctx)
		return s.failAuth(ctx, s.w.tgt.Lock.MaxFailedAttempts-1)
	})
	c.Step(stepRE(`^the client authenticates the user with the passcode$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		return s.expectAuth(ctx, u, u.pass, "the registered passcode")
	})
	c.Step(stepRE(`^the client sends A = 0 in as many renewals as the store allows$`), func(ctx context.Context) error {
		s := sc(ctx)
		for i := range s.w.tgt.Lock.MaxFailedAttempts {
			sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
			if err != nil {
				return err
			}
			sp, err := s.usable(sess)
			if err != nil {
				return err
			}
			vd, err := srpclient.Forged(sp.Params, sp, sess.pass, "0")
			if err != nil {
				return s.fail(sess.startEx, "cannot forge the proof: %v", err)
			}
			ex, err := s.complete(ctx, sess, completion{vd: vd})
			if err != nil {
				return err
			}
			if ex.Status != http.StatusBadRequest {
				return s.fail(ex, "completion %d with A = 0 answered %d, want 400 INVALID_PUBLIC_VALUE", i+1, ex.Status)
			}
		}
		return nil
	})
}

// failAuth sends n authentications with a wrong passcode; each must be refused
// with 400 INVALID_PROOF (a lock reached early shows as USER_LOCKED and fails).
func (s *scenario) failAuth(ctx context.Context, n int) error {
	for i := range n {
		sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "authentication start %d of %d answered %d, want 200 (the user is locked too early?)", i+1, n, sess.startEx.Status)
		}
		ex, err := s.complete(ctx, sess, completion{pass: wrongPasscode()})
		if err != nil {
			return err
		}
		if ex.Status != http.StatusBadRequest || errorCode(ex) == api.CodeUserLocked {
			return s.fail(ex, "wrong proof %d of %d answered %d %s, want 400 INVALID_PROOF", i+1, n, ex.Status, errorCode(ex))
		}
	}
	return nil
}

// propertyStats counts what RNW-007 saw, over all its users.
type propertyStats struct {
	mu                                         sync.Mutex
	want, done                                 int
	zeroA, zeroV, zeroM1, zeroM2, zeroB, zeroS int
	failure                                    *failure
	failedAt                                   int
}

func (p *propertyStats) String() string {
	return fmt.Sprintf("A %d, verifier %d, M1 %d, M2 %d (and, unsteered, B %d, S %d) of %d renewals",
		p.zeroA, p.zeroV, p.zeroM1, p.zeroM2, p.zeroB, p.zeroS, p.done)
}

// fail records the first failure.
func (p *propertyStats) fail(at int, f failure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failure == nil {
		p.failure, p.failedAt = &f, at
	}
}

// property runs perUser renewals in a row for each of users users at once. Each
// user steers one value to a leading zero byte in each of its first renewals, in
// turn A (cheap: the grinder walks a), the verifier (by drawing passcodes), M1 and
// M2 (by walking a, a few hundred steps each); B and S fall where they fall. Every
// m2 must verify. Renewals of one user are in a row, as a user's would be; users run
// side by side, which keeps this, the longest scenario, off the suite's critical path.
func (s *scenario) property(ctx context.Context, users, perUser int) error {
	first, err := s.needUser()
	if err != nil {
		return err
	}
	all := []*user{first}
	for len(all) < users {
		u, err := s.newUser(ctx, true, first.policyRole)
		if err != nil {
			return err
		}
		all = append(all, u)
	}
	p := &propertyStats{want: users * perUser}
	s.prop = p
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, u := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.renewInARow(ctx, u, perUser, p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	s.batchUsers = all
	return nil
}

// renewInARow renews u's passcode n times, steering its first four renewals. It runs
// beside other users' and touches only u, p and its own requests.
func (s *scenario) renewInARow(ctx context.Context, u *user, n int, p *propertyStats) error {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return err
	}
	policy := s.policyName(u.policyRole)
	steered := map[int]string{0: "A", 1: "verifier", 2: "M1", 3: "M2"}
	// prev is the last start's parameters: i and the salt are the credential's, so
	// the verifier can be steered from them before the next session starts, rather
	// than while it ticks (up to 4096 verifier computations).
	var prev *api.StartParams
	var prevReqs *passcode.Requirements
	for i := range n {
		steeredPass, steeredFrom := "", prev
		if steered[i] == "verifier" && prev != nil {
			np, _, err := steerVerifier(s.w, prev, prevReqs, func(v []byte) bool { return v[0] == 0 }, 4096)
			if err != nil {
				return s.fail(nil, "%v", err)
			}
			steeredPass = np
		}
		sr, ex, err := c.Start(ctx, api.FlowRenewal, u.store, api.ByID(u.id), policy)
		if err != nil {
			p.fail(i, failure{msg: fmt.Sprintf("the start answered %d %s", statusOf(ex), api.ErrorCode(err)), ex: ex})
			return nil
		}
		sess := &session{flow: api.FlowRenewal, user: u, startEx: ex, start: sr, id: sr.SessionID, pass: u.pass}
		if sess.sp, err = api.ParseStart(sr, s.w.params.Profile(), true); err != nil {
			p.fail(i, failure{msg: err.Error(), ex: ex})
			return nil
		}
		prev, prevReqs = sess.sp, sr.PasscodeRequirements
		if prevReqs == nil {
			prevReqs = &passcode.Requirements{}
		}
		o := completion{}
		switch steered[i] {
		case "A":
			o.keep, o.tries = func(pr *srpclient.Proof) bool { return pr.A[0] == 0 }, 4096
		case "M1":
			o.keep, o.tries = func(pr *srpclient.Proof) bool { return pr.M1[0] == 0 }, 4096
		case "M2":
			o.keep, o.tries = func(pr *srpclient.Proof) bool { return pr.M2[0] == 0 }, 4096
		case "verifier":
			if steeredPass != "" && bytes.Equal(sess.sp.Identity, steeredFrom.Identity) && bytes.Equal(sess.sp.Salt, steeredFrom.Salt) {
				o.newPass = steeredPass
				break
			}
			reqs := sr.PasscodeRequirements
			if reqs == nil {
				reqs = &passcode.Requirements{}
			}
			np, _, err := steerVerifier(s.w, sess.sp, reqs, func(v []byte) bool { return v[0] == 0 }, 4096)
			if err != nil {
				return s.fail(ex, "%v", err)
			}
			o.newPass = np
		}
		body, err := s.body(sess, o)
		if err != nil {
			return err
		}
		cex, err := c.Do(ctx, http.MethodPost, c.Paths().Complete(api.FlowRenewal, u.store, sess.id), body, nil)
		if err != nil {
			return s.fail(cex, "no answer from the server: %v", err)
		}
		if cex.Status != http.StatusOK {
			f := failure{msg: fmt.Sprintf("the completion answered %s, want 200", statusCode(cex.Status, errorCode(cex))), ex: cex}
			if errorCode(cex) == api.CodeInvalidProof {
				f.diag = s.diagnoseRejected(ctx, u)
			}
			p.fail(i, f)
			return nil
		}
		cr, err := completeResponse(cex)
		if err != nil || cr.AlgorithmInfo == nil {
			p.fail(i, failure{msg: "the 200 answer has no algorithmInfo.parameters.m2", ex: cex})
			return nil
		}
		pr := sess.proof
		if err := pr.CheckM2(cr.AlgorithmInfo.Parameters.M2); err != nil {
			p.fail(i, failure{msg: err.Error(), ex: cex, diag: srpclient.DiagnoseM2(pr, cr.AlgorithmInfo.Parameters.M2)})
			return nil
		}
		s.accepted(sess)
		v := sess.sp.Params.Verifier(sess.sp.Identity, []byte(passcode.Normalize(sess.newPass)), sess.sp.Salt)
		p.mu.Lock()
		for _, z := range []struct {
			b []byte
			n *int
		}{{pr.A, &p.zeroA}, {v, &p.zeroV}, {pr.M1, &p.zeroM1}, {pr.M2, &p.zeroM2}, {s.w.params.Pad(pr.B), &p.zeroB}, {pr.S, &p.zeroS}} {
			if z.b[0] == 0 {
				*z.n++
			}
		}
		p.done++
		p.mu.Unlock()
	}
	return nil
}

// sessionLifetimePasses waits out the lifetime of the scenario's current session
// (SES-004). The target declares a short lifetime for one store
// (target.SessionExpiryStore, the fixtures' "ephemeral" on the reference server);
// a session started in another store is started again there, the same flow by the
// same form and policy, for a user of that store made through the admin API, and
// the scenario goes on in that store. The wait, from now, is the lifetime plus
// waitMargin of the start: the server started the session before its answer
// arrived, so the lifetime has passed by the margin when the next request leaves.
func (s *scenario) sessionLifetimePasses(ctx context.Context) error {
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	t := s.w.tgt
	if st := t.SessionExpiryStore(); st != s.store {
		if sess, err = s.restartIn(ctx, sess, st); err != nil {
			return err
		}
		if sess.parseErr != nil {
			return s.fail(sess.startEx, "setup: the %s start in store %s, whose sessions live %v, failed: %v",
				sess.flow, st, time.Duration(t.SessionTTL), sess.parseErr)
		}
	}
	timer := time.NewTimer(time.Duration(t.SessionTTL) + waitMargin(sess.startEx, s.last))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restartIn starts old's flow again in storeName, for a new user of that store in
// the state old's user was in (a registered passcode unless old is a registration),
// and makes that store, user and session the scenario's.
func (s *scenario) restartIn(ctx context.Context, old *session, storeName string) (*session, error) {
	t := s.w.tgt
	if !t.Has(target.Admin) {
		return nil, notApplicable{fmt.Sprintf("the short session lifetime is declared for store %s (sessionTTLStore), "+
			"and without the admin API no user of that store can be made", storeName)}
	}
	u, err := s.createUser(ctx, t.Tenant, storeName, freshExternalID(), "")
	if err != nil {
		return nil, err
	}
	if old.flow != api.FlowRegistration {
		role := old.user.policyRole
		if role == "" {
			role = target.PolicyStandard
		}
		if err := s.register(ctx, u, role, ""); err != nil {
			return nil, err
		}
	}
	s.user, s.store = u, storeName
	return s.startSession(ctx, old.flow, old.form, old.policy, emptyObject())
}
