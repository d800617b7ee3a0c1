package steps

import (
	"context"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
)

// registrationSteps registers the steps of features/registration.feature.
func registrationSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the session id is a 26-character ID$`), sessionIDIsAnID)
	c.Step(stepRE(`^the user id in the answer is a 26-character ID$`), answerUserIDIsAnID)
}

func sessionIDIsAnID(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if !api.ValidID(sess.id) {
		return s.fail(sess.startEx, "sessionId %q is not a 26-character ID (base32 of 16 bytes, upper case, no padding)", sess.id)
	}
	return nil
}

func answerUserIDIsAnID(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	cr, err := completeResponse(ex)
	if err != nil {
		return s.fail(ex, "%v", err)
	}
	if !api.ValidID(cr.User.ID) {
		return s.fail(ex, "user id %q is not a 26-character ID (base32 of 16 bytes, upper case, no padding)", cr.User.ID)
	}
	return nil
}
