package steps

import (
	"context"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
)

// errorsSteps registers the steps of features/errors.feature.
func errorsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the answer's message holds no internal detail$`), answerMessageHasNoInternals)
}

func answerMessageHasNoInternals(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	e, err := api.DecodeError(ex.ResponseBody)
	if err != nil {
		return s.fail(ex, "%v", err)
	}
	msgs := []string{e.Message}
	for _, d := range e.ProcessingDetails {
		msgs = append(msgs, d.Message)
	}
	for _, m := range msgs {
		if loc := internalDetail().FindString(m); loc != "" {
			return s.fail(ex, "the message %q holds what looks like internal detail (%q): messages are for people", m, loc)
		}
	}
	return nil
}
