package steps

import (
	"context"

	"github.com/cucumber/godog"
)

// authenticationSteps registers the steps of features/authentication.feature.
func authenticationSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the completion answer has the proof shape$`), completionHasProofShape)
}

func completionHasProofShape(ctx context.Context) error {
	return sc(ctx).expectProofShape()
}
