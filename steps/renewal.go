package steps

import (
	"context"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
)

// renewalSteps registers the steps of features/renewal.feature.
func renewalSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the requirements have every member of the guide's example with its JSON type$`), requirementsHaveGuideMembers)
	c.Step(stepRE(`^the refused new passcode does not authenticate$`), refusedNewPasscodeDoesNotAuthenticate)
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

func refusedNewPasscodeDoesNotAuthenticate(ctx context.Context) error {
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
	_, err = s.complete(ctx, sess, completion{pass: wrongPasscode(), newPass: sess.user.pass})
	return err
}

func usersRenewInARow(ctx context.Context, users, n int) error {
	return sc(ctx).property(ctx, users, n)
}

func everyLastPasscodeAuthenticates(ctx context.Context) error {
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
}

func everyRenewalVerified(ctx context.Context) error {
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
}

func leadingZerosOccurred(ctx context.Context) error {
	s := sc(ctx)
	p := s.prop
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
	_, err = s.complete(ctx, sess, completion{newPass: pass})
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
	var o completion
	switch {
	case defect == "the verifier v+N":
		pass, v, err := s.verifierBelowLimit(sess)
		if err != nil {
			return err
		}
		sess.newPass = pass
		o.verifier = srpclient.PlusN(s.w.params, v, 1)
	case back != "":
		u := sess.user
		k := atoi(back)
		if k < 1 || k > len(u.old) {
			return s.fail(nil, "the user has %d previous passcodes, not %d", len(u.old), k)
		}
		o.newPass = u.old[len(u.old)-k]
	default:
		if o.newPass, err = s.freshPasscode(sess.user, reqs); err != nil {
			return err
		}
		if defect == "a wrong proof" {
			o.pass = wrongPasscode()
		} else {
			o.encV = notBase64
		}
	}
	_, err = s.complete(ctx, sess, o)
	return err
}
