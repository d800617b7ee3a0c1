package steps

import (
	"context"
	"net/http"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// tenantsState holds the other tenant's user (TEN-004).
type tenantsState struct {
	other *user
}

// tenantsSteps registers the steps of features/tenants.feature.
func tenantsSteps(c *godog.ScenarioContext) {
	newState[tenantsState](c)
	c.Step(stepRE(`^the client sends (an admin user read|an admin credential deletion) for the user by user id$`), sendAdminRequestForUser)
	c.Step(stepRE(`^the client renews the passcode of the user of this tenant$`), renewThisTenantsUser)
	c.Step(stepRE(`^the passcode of the other tenant's user still authenticates there$`), otherTenantPasscodeStillAuthenticates)
	c.Step(stepRE(`^a user of the other tenant with the same external id and a registered passcode$`), otherTenantUserSameExternalID)
	c.Step(stepRE(`^the client acts as the other tenant$`), actOtherTenant)
}

func sendAdminRequestForUser(ctx context.Context, request string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	method, path := http.MethodGet, s.paths().User(s.store, api.ByID(u.id))
	if request == "an admin credential deletion" {
		method, path = http.MethodDelete, s.paths().Credential(s.store, u.id)
	}
	_, err = s.send(ctx, method, path, nil)
	return err
}

func renewThisTenantsUser(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.startSession(ctx, api.FlowRenewal, formExternal, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	if sess.startEx.Status != http.StatusOK {
		return nil // the answer step reports it
	}
	_, err = s.complete(ctx, sess)
	return err
}

func otherTenantPasscodeStillAuthenticates(ctx context.Context) error {
	s := sc(ctx)
	if state[tenantsState](ctx).other == nil {
		return s.fail(nil, "the scenario has no user of the other tenant")
	}
	return s.expectAuth(ctx, state[tenantsState](ctx).other, state[tenantsState](ctx).other.pass, "the other tenant's user's passcode")
}

func otherTenantUserSameExternalID(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	t := s.w.tgt
	o, err := s.createUser(ctx, t.OtherTenantID, t.OtherTenantStore, u.ext, "")
	if err != nil {
		return err
	}
	// The other tenant's policies are named like this tenant's in the fixtures;
	// a pass that meets the standard policy is registered under it.
	if err := s.register(ctx, o, sut.PolicyStandard, ""); err != nil {
		return err
	}
	state[tenantsState](ctx).other = o
	return nil
}

func actOtherTenant(ctx context.Context) error {
	s := sc(ctx)
	t := s.w.tgt
	s.role, s.tenant, s.store, s.auth = sut.RoleOtherTenant, t.OtherTenantID, t.OtherTenantStore, nil
	return nil
}
