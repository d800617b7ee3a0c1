package steps

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
)

// renewalState is what the RNW-007 steps keep: the users that renewed in a row
// and what their renewals showed.
type renewalState struct {
	users []*user
	stats *propertyStats
}

// renewalSteps registers the steps of features/renewal.feature.
func renewalSteps(c *godog.ScenarioContext) {
	newState[renewalState](c)
	c.Step(stepRE(`^the requirements have every member of the guide's example with its JSON type$`), requirementsHaveGuideMembers)
	c.Step(stepRE(`^the refused new passcode does not authenticate$`), refusedPasscodeDoesNotAuthenticate)
	c.Step(stepRE(`^the client proves a wrong passcode and sends the verifier of a new passcode$`), proveWrongPasscode)
	c.Step(stepRE(`^the client proves a wrong passcode and sends the verifier of the current passcode$`), proveWrongWithCurrentVerifier)
	c.Step(stepRE(`^(\d+) users each renew their passcode (\d+) times in a row, steering values with leading zero bytes$`), usersRenewInARow)
	c.Step(stepRE(`^every user's last passcode authenticates$`), everyLastPasscodeAuthenticates)
	c.Step(stepRE(`^every renewal answered 200 with an m2 that verifies$`), everyRenewalVerified)
	c.Step(stepRE(`^values with leading zero bytes occurred in A, the verifier, M1 and M2$`), leadingZerosOccurred)
	c.Step(stepRE(`^the client proves the old passcode and sends the verifier of a passcode the user never had$`), renewToFreshPasscode)
	c.Step(stepRE(`^the client completes the renewal with (a wrong proof|the verifier v\+N|a verifier that is not base64|the passcode from (\d+) renewals? before as the new one)$`), completeRenewalRefused)
}

func requirementsHaveGuideMembers(ctx context.Context) error {
	s := sc(ctx)
	ex, m, err := s.answerObject()
	if err != nil {
		return err
	}
	if probs := requirementsShape(m["passcodeRequirements"]); len(probs) > 0 {
		return s.fail(ex, "passcodeRequirements differ from the guide's example: %s (an empty pattern list is [], as in the guide)", strings.Join(probs, "; "))
	}
	return nil
}

func refusedPasscodeDoesNotAuthenticate(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	return s.expectNoAuth(ctx, sess.user, sess.newPass, "the new passcode of the refused renewal")
}

func proveWrongWithCurrentVerifier(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needFlow(api.FlowRenewal)
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess, wrongProof(), toPasscode(sess.user.pass))
	return err
}

func usersRenewInARow(ctx context.Context, users, n int) error {
	return sc(ctx).property(ctx, users, n)
}

func everyLastPasscodeAuthenticates(ctx context.Context) error {
	s := sc(ctx)
	if len(state[renewalState](ctx).users) == 0 {
		return s.fail(nil, "no users renewed")
	}
	for _, u := range state[renewalState](ctx).users {
		if err := s.expectAuth(ctx, u, u.pass, "the last passcode of user "+u.ext); err != nil {
			return err
		}
	}
	return nil
}

func everyRenewalVerified(ctx context.Context) error {
	s := sc(ctx)
	p := state[renewalState](ctx).stats
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
}

func leadingZerosOccurred(ctx context.Context) error {
	s := sc(ctx)
	p := state[renewalState](ctx).stats
	if p == nil {
		return s.fail(nil, "no renewals were run")
	}
	if p.zeroA == 0 || p.zeroV == 0 || p.zeroM1 == 0 || p.zeroM2 == 0 {
		return s.fail(nil, "leading zero bytes: %s; every one of A, the verifier, M1 and M2 must have occurred", p)
	}
	return nil
}

// renewToFreshPasscode completes the current renewal correctly with a new passcode
// that differs from every passcode the user had (a short pin6 passcode may repeat).
func renewToFreshPasscode(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needFlow(api.FlowRenewal)
	if err != nil {
		return err
	}
	reqs, err := s.requirementsOf(sess)
	if err != nil {
		return err
	}
	pass, err := s.freshPasscode(sess.user, reqs)
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess, toPasscode(pass))
	return err
}

// completeRenewalRefused completes the current renewal in a way the server must
// refuse, always naming a new passcode (sess.newPass) so that the scenario can
// check that it does not work afterwards.
func completeRenewalRefused(ctx context.Context, defect, back string) error {
	s := sc(ctx)
	sess, err := s.needFlow(api.FlowRenewal)
	if err != nil {
		return err
	}
	reqs, err := s.requirementsOf(sess)
	if err != nil {
		return err
	}
	var opts []completeOption
	switch {
	case defect == "the verifier v+N":
		pass, v, err := s.verifierBelowLimit(sess)
		if err != nil {
			return err
		}
		sess.newPass = pass
		opts = append(opts, withVerifier(srpclient.PlusN(s.w.params, v, 1)))
	case back != "":
		u := sess.user
		k := atoi(back)
		if k < 1 || k > len(u.old) {
			return s.fail(nil, "the user has %d previous passcodes, not %d", len(u.old), k)
		}
		opts = append(opts, toPasscode(u.old[len(u.old)-k]))
	default:
		pass, err := s.freshPasscode(sess.user, reqs)
		if err != nil {
			return err
		}
		opts = append(opts, toPasscode(pass))
		if defect == "a wrong proof" {
			opts = append(opts, wrongProof())
		} else {
			opts = append(opts, verifierEncoding(notBase64))
		}
	}
	_, err = s.complete(ctx, sess, opts...)
	return err
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
	state[renewalState](ctx).stats = p
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
	state[renewalState](ctx).users = all
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
		opts, err := s.steerRenewal(steered[i], sess, sr, ex, steeredPass, steeredFrom)
		if err != nil {
			return err
		}
		if ok, err := s.renewOnce(ctx, c, i, sess, p, opts); err != nil || !ok {
			return err
		}
	}
	return nil
}

// steerRenewal returns the options that steer one value of a renewal to a leading
// zero byte: A, M1 or M2 through the client secret, the verifier through the new
// passcode (steeredPass, drawn from the previous start's steeredFrom, when this
// session kept its i and salt).
func (s *scenario) steerRenewal(what string, sess *session, sr *api.StartResponse, ex *api.Exchange, steeredPass string, steeredFrom *api.StartParams) ([]completeOption, error) {
	var opts []completeOption
	switch what {
	case "A":
		opts = append(opts, steering(func(pr *srpclient.Proof) bool { return pr.A[0] == 0 }, 4096))
	case "M1":
		opts = append(opts, steering(func(pr *srpclient.Proof) bool { return pr.M1[0] == 0 }, 4096))
	case "M2":
		opts = append(opts, steering(func(pr *srpclient.Proof) bool { return pr.M2[0] == 0 }, 4096))
	case "verifier":
		if steeredPass != "" && bytes.Equal(sess.sp.Identity, steeredFrom.Identity) && bytes.Equal(sess.sp.Salt, steeredFrom.Salt) {
			opts = append(opts, toPasscode(steeredPass))
			break
		}
		reqs := sr.PasscodeRequirements
		if reqs == nil {
			reqs = &passcode.Requirements{}
		}
		np, _, err := steerVerifier(s.w, sess.sp, reqs, func(v []byte) bool { return v[0] == 0 }, 4096)
		if err != nil {
			return nil, s.fail(ex, "%v", err)
		}
		opts = append(opts, toPasscode(np))
	}
	return opts, nil
}

// renewOnce completes the i-th renewal of sess in a row and counts what it saw in
// p. ok is false when the renewal failed (p says how): the user's row ends there.
func (s *scenario) renewOnce(ctx context.Context, c *api.Client, i int, sess *session, p *propertyStats, opts []completeOption) (ok bool, err error) {
	u := sess.user
	body, err := s.body(sess, opts...)
	if err != nil {
		return false, err
	}
	cex, err := c.Do(ctx, http.MethodPost, c.Paths().Complete(api.FlowRenewal, u.store, sess.id), body, nil)
	if err != nil {
		return false, s.fail(cex, "no answer from the server: %v", err)
	}
	if cex.Status != http.StatusOK {
		f := failure{msg: fmt.Sprintf("the completion answered %s, want 200", statusCode(cex.Status, errorCode(cex))), ex: cex}
		if errorCode(cex) == api.CodeInvalidProof {
			f.diag = s.diagnoseRejected(ctx, u)
		}
		p.fail(i, f)
		return false, nil
	}
	cr, err := completeResponse(cex)
	if err != nil || cr.AlgorithmInfo == nil {
		p.fail(i, failure{msg: "the 200 answer has no algorithmInfo.parameters.m2", ex: cex})
		return false, nil
	}
	pr := sess.proof
	if err := pr.CheckM2(cr.AlgorithmInfo.Parameters.M2); err != nil {
		p.fail(i, failure{msg: err.Error(), ex: cex, diag: srpclient.DiagnoseM2(pr, cr.AlgorithmInfo.Parameters.M2)})
		return false, nil
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
	return true, nil
}
