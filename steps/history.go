package steps

import (
	"context"
	"net/http"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
)

// historySteps registers the steps of features/history.feature.
func historySteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client renews the passcode back to (the current passcode|the passcode from (\d+) renewals? before)$`), renewPasscodeBack)
	c.Step(stepRE(`^the user's passcode has been renewed (\d+) times?$`), userRenewedTimes)
}

func renewPasscodeBack(ctx context.Context, which, back string) error {
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
	_, err = s.complete(ctx, sess, toPasscode(target))
	return err
}

func userRenewedTimes(ctx context.Context, n int) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	pol, err := s.w.policy(u.policyRole)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	for range n {
		p, err := s.freshPasscode(u, *pol.Requirements)
		if err != nil {
			return err
		}
		if err := s.renewQuiet(ctx, u, p); err != nil {
			return err
		}
	}
	return nil
}
