package steps

import (
	"context"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// bindingSteps are the steps of the binding checks of features/sessions.feature
// (SPEC.md section 7: "A session is bound to its flow, tenant and store"): one step
// sends a correct completion of the current session through a path that is not its
// own, in whichever path form the scenario uses.
func bindingSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client sends the session's completion to (the registration flow's path|the authentication flow's path|the renewal flow's path|the second store's path|the other tenant's path)$`), completeElsewhere)
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
	var o completion
	switch route {
	case "the second store's path":
		o.store = s.w.tgt.SecondStoreName
	case "the other tenant's path":
		t := s.w.tgt
		s.role, s.tenant, s.store, s.auth = sut.RoleOtherTenant, t.OtherTenantID, t.OtherTenantStore, nil
	default:
		o.flow = api.Flow(strings.Fields(route)[1])
		if o.flow == sess.flow {
			return s.fail(nil, "the feature completes a %s session through its own flow's path", sess.flow)
		}
	}
	_, err = s.complete(ctx, sess, o)
	return err
}
