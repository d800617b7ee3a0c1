package steps

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// sessionsState is a batch of sessions completed at once and the session whose
// completion won it, if any (SES-011).
type sessionsState struct {
	batch  []*session
	winner *session
}

// sessionsSteps registers the steps of features/sessions.feature.
func sessionsSteps(c *godog.ScenarioContext) {
	newState[sessionsState](c)
	c.Step(stepRE(`^the client sends the session's completion to (the registration flow's path|the authentication flow's path|the renewal flow's path|the second store's path|the other tenant's path)$`), completeElsewhere)
	c.Step(stepRE(`^the client starts (\d+) registration, (\d+) authentication and (\d+) renewal sessions$`), startManySessions)
	c.Step(stepRE(`^no two session ids are equal or within 2\^32 of each other$`), expectNoNearIDs)
	c.Step(stepRE(`^the bits of the session ids are balanced$`), expectBalancedIDs)
	c.Step(stepRE(`^the client completes the same session again correctly$`), completeCorrectly(""))
	c.Step(stepRE(`^the client completes the session through the (registration|authentication|renewal) endpoint$`), completeThroughOtherEndpoint)
	c.Step(stepRE(`^the client completes the session correctly through the second store$`), completeThroughSecondStore)
	c.Step(stepRE(`^nothing else happened$`), nothingElseHappened)
	c.Step(stepRE(`^the session's lifetime passes$`), sessionLifetimePasses2)
	c.Step(stepRE(`^the client sends (\d+) correct completions of the session at once$`), sendCorrectCompletionsAtOnce)
	c.Step(stepRE(`^the client completes all of them at once, each with its own new passcode$`), completeAllAtOnce)
	c.Step(stepRE(`^at most one answer is 200 and the others are (\d{3}) ([A-Z_]+)$`), atMostOneAnswer200)
	c.Step(stepRE(`^the passcode of the winning completion authenticates$`), winningPasscodeAuthenticates)
	c.Step(stepRE(`^the user has started (\d+) renewal sessions$`), userStartedRenewals)
	c.Step(stepRE(`^the user's credential has been deleted and registered again$`), credentialDeletedAndRegistered)
}

// completeElsewhere completes the current session correctly, but through another
// flow's endpoint (with that flow's body, so that only the binding is wrong), the
// tenant's second store, or the other tenant's store with the other tenant's token
// (so that the permission is right and only the binding is wrong).
func completeElsewhere(ctx context.Context, route string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	var opts []completeOption
	switch route {
	case "the second store's path":
		opts = append(opts, throughStore(s.w.tgt.SecondStoreName))
	case "the other tenant's path":
		t := s.w.tgt
		s.role, s.tenant, s.store, s.auth = sut.RoleOtherTenant, t.OtherTenantID, t.OtherTenantStore, nil
	default:
		flow := api.Flow(strings.Fields(route)[1])
		if flow == sess.flow {
			return s.fail(nil, "the feature completes a %s session through its own flow's path", sess.flow)
		}
		opts = append(opts, throughFlow(flow))
	}
	_, err = s.complete(ctx, sess, opts...)
	return err
}

// startManySessions starts sessions of each flow as the full role, eight at a
// time: registrations (the cheapest start: no B to compute) for a fresh user
// without a passcode, authentications and renewals for the scenario's user.
func startManySessions(ctx context.Context, regs, auths, renewals int) (context.Context, error) {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return ctx, err
	}
	fresh, err := s.newUser(ctx, false, sut.PolicyStandard)
	if err != nil {
		return ctx, err
	}
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return ctx, err
	}
	var flows []api.Flow
	for f, n := range map[api.Flow]int{api.FlowRegistration: regs, api.FlowAuthentication: auths, api.FlowRenewal: renewals} {
		flows = append(flows, slices.Repeat([]api.Flow{f}, n)...)
	}
	ids := make([]string, len(flows))
	exs := make([]*api.Exchange, len(ids))
	errs := make([]error, len(ids))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				who := u
				if flows[i] == api.FlowRegistration {
					who = fresh
				}
				var sr *api.StartResponse
				sr, exs[i], errs[i] = c.Start(ctx, flows[i], who.store, api.ByID(who.id), s.policyName(sut.PolicyStandard))
				if errs[i] == nil {
					ids[i] = sr.SessionID
				}
			}
		})
	}
	for i := range ids {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i, err := range errs {
		if err != nil || ids[i] == "" {
			return ctx, s.fail(exs[i], "start %d of %d (%s) gave no session id: %v", i+1, len(ids), flows[i], err)
		}
	}
	return context.WithValue(ctx, idKey{}, &idState{ids: ids}), nil
}

func expectNoNearIDs(ctx context.Context) error {
	s := sc(ctx)
	ids, err := sessionIDs(ctx)
	if err != nil {
		return err
	}
	vals, _ := idValues(ids)
	i, j, d := nearestPair(vals)
	if d.Cmp(idNear) < 0 {
		return s.fail(nil, "of %d session ids, %q and %q are %s apart as big-endian integers (less than 2^32): ids a small step apart can be derived from one another",
			len(ids), ids[i], ids[j], d)
	}
	return nil
}

func expectBalancedIDs(ctx context.Context) error {
	s := sc(ctx)
	ids, err := sessionIDs(ctx)
	if err != nil {
		return err
	}
	vals, decoded := idValues(ids)
	if !decoded {
		// Other forms (a SHOULD deviation, REG-005) carry their random bits in an
		// encoding the suite does not know, so their bits cannot be weighed; 128
		// bits need at least 16 bytes whatever the encoding.
		for i, v := range vals {
			if len(v) < 16 {
				return s.fail(nil, "session id %q is %d bytes long: it cannot hold the 128 random bits SPEC section 1 asks for", ids[i], len(v))
			}
		}
		return nil
	}
	if probs := bitImbalance(vals); len(probs) > 0 {
		return s.fail(nil, "the bits of %d session ids (26-character IDs, 16 bytes each) are not fair coins, as 16 random bytes from a CSPRNG would be:\n%s",
			len(ids), strings.Join(probs, "\n"))
	}
	return nil
}

func completeThroughOtherEndpoint(ctx context.Context, flow string) error {
	return completeCurrent(ctx, throughFlow(api.Flow(flow)))
}

func completeThroughSecondStore(ctx context.Context) error {
	return completeCurrent(ctx, throughStore(sc(ctx).w.tgt.SecondStoreName))
}

func nothingElseHappened(context.Context) error { return nil }

func sessionLifetimePasses2(ctx context.Context) error {
	return sc(ctx).sessionLifetimePasses(ctx)
}

func sendCorrectCompletionsAtOnce(ctx context.Context, n int) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.id == "" {
		return s.fail(sess.startEx, "the session cannot be completed: %v", sess.parseErr)
	}
	body, err := s.body(sess)
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
			state[sessionsState](ctx).winner = sess
			break
		}
	}
	return nil
}

func completeAllAtOnce(ctx context.Context) error {
	s := sc(ctx)
	if len(state[sessionsState](ctx).batch) == 0 {
		return s.fail(nil, "no sessions were started")
	}
	bodies := make([][]byte, len(state[sessionsState](ctx).batch))
	for i, sess := range state[sessionsState](ctx).batch {
		b, err := s.body(sess)
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	answers, err := s.completeBatch(ctx, state[sessionsState](ctx).batch, bodies)
	if err != nil {
		return err
	}
	for i, ex := range answers {
		state[sessionsState](ctx).batch[i].completeEx = ex
		if ex.Status == http.StatusOK && state[sessionsState](ctx).winner == nil {
			s.accepted(state[sessionsState](ctx).batch[i])
			state[sessionsState](ctx).winner = state[sessionsState](ctx).batch[i]
		}
	}
	return nil
}

func atMostOneAnswer200(ctx context.Context, status int, code string) error {
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
}

func winningPasscodeAuthenticates(ctx context.Context) error {
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
}

func userStartedRenewals(ctx context.Context, n int) error {
	s := sc(ctx)
	for range n {
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != 200 {
			return s.fail(sess.startEx, "setup: the renewal start answered %d, want 200", sess.startEx.Status)
		}
		state[sessionsState](ctx).batch = append(state[sessionsState](ctx).batch, sess)
	}
	return nil
}

func credentialDeletedAndRegistered(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return err
	}
	if ex, err := c.DeleteCredential(ctx, u.store, u.id); err != nil {
		return s.fail(ex, "setup: deleting the credential failed: %v", err)
	}
	// The same passcode again: only the credential (its i and salt) changes.
	return s.register(ctx, u, u.policyRole, u.pass)
}
