package steps

import (
	"context"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
)

// requirementsSteps registers the steps of features/requirements.feature.
func requirementsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the passcode "([^"]*)" meets them and "([^"]*)" breaks (\S+)$`), passcodeMeetsAndBreaks)
	c.Step(stepRE(`^the client starts `+flowPattern+` for the user by `+formPattern+` under the "(standard|pin6|nohistory)" policy$`), startUnderRolePolicy)
	c.Step(stepRE(`^the client completes the registration with the verifier of "([^"]*)"$`), completeRegistrationWithPasscode)
}

func passcodeMeetsAndBreaks(ctx context.Context, good, bad, rule string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.start == nil || sess.start.PasscodeRequirements == nil {
		return s.fail(sess.startEx, "the start answer has no passcodeRequirements")
	}
	r := *sess.start.PasscodeRequirements
	if v := r.Validate(good); len(v) > 0 {
		return s.fail(sess.startEx, "the client-side check refuses %q under the returned requirements: %v", good, v)
	}
	for _, v := range r.Validate(bad) {
		if v.Rule == rule {
			return nil
		}
	}
	return s.fail(sess.startEx, "the client-side check does not refuse %q for %s under the returned requirements (violations: %v)", bad, rule, r.Validate(bad))
}

func startUnderRolePolicy(ctx context.Context, flow, form, role string) error {
	s := sc(ctx)
	_, err := s.startSession(ctx, api.Flow(flow), form, s.policyName(role), emptyObject())
	return err
}

func completeRegistrationWithPasscode(ctx context.Context, pass string) error {
	s := sc(ctx)
	sess, err := s.needFlow(api.FlowRegistration)
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess, toPasscode(pass))
	return err
}
