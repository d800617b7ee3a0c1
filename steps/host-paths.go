package steps

import (
	"context"

	"github.com/cucumber/godog"
)

// hostPathsSteps registers the steps of features/host-paths.feature.
func hostPathsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client uses the host form of the other tenant$`), useHostFormOtherTenant)
}

func useHostFormOtherTenant(ctx context.Context) error {
	s := sc(ctx)
	s.host, s.hostTenant = true, s.w.tgt.OtherTenantID
	return nil
}
