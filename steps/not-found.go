package steps

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// notFoundSteps registers the steps of features/not-found.feature.
func notFoundSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client starts `+flowPattern+` naming an unknown (store|policy|user|tenant) by `+formPattern+`$`), startNamingUnknown)
	c.Step(stepRE(`^the client starts `+flowPattern+` naming the (store|policy|user) in another case by `+formPattern+`$`), startNamingOtherCase)
	c.Step(stepRE(`^the client starts `+flowPattern+` for the user by `+formPattern+` through the second store$`), startThroughSecondStore)
	c.Step(stepRE(`^the client completes the (registration|authentication|renewal) of a session that does not exist$`), completeUnknownSession)
}

func startNamingUnknown(ctx context.Context, flow, what, form string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	t := s.w.tgt
	p := s.paths()
	store, policy, ref := s.store, s.defaultPolicy(), u.ref(form)
	switch what {
	case "store":
		store = "rk-no-store-" + randomHex(4)
	case "policy":
		policy = "rk-no-policy-" + randomHex(4)
	case "user":
		if form == formExternal {
			ref = api.ByExternalID(freshExternalID())
		} else {
			ref = api.ByID(unknownID())
		}
	case "tenant":
		s.role = sut.RoleUnknownTenant
		p.Tenant = t.UnknownTenantID
		if p.HostForm {
			s.hostTenant = t.UnknownTenantID
		}
	}
	_, err = s.send(ctx, http.MethodPost, p.Start(api.Flow(flow), store, ref, policy), emptyObject())
	return err
}

func startNamingOtherCase(ctx context.Context, flow, what, form string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	store, policy, ref := s.store, s.defaultPolicy(), u.ref(form)
	var same bool
	switch what {
	case "store":
		store, same = otherCase(store)
	case "policy":
		policy, same = otherCase(policy)
	case "user":
		if form == formExternal {
			return s.fail(nil, "the user in another case is its user id: the feature names it by user id")
		}
		var id string
		id, same = otherCase(u.id)
		ref = api.ByID(id)
	}
	if same {
		return notApplicable{reason: fmt.Sprintf("the %s's name has no letters, so it has no case variant", what)}
	}
	_, err = s.send(ctx, http.MethodPost, s.paths().Start(api.Flow(flow), store, ref, policy), emptyObject())
	return err
}

func startThroughSecondStore(ctx context.Context, flow, form string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	_, err = s.send(ctx, http.MethodPost, s.paths().Start(api.Flow(flow), s.w.tgt.SecondStoreName, u.ref(form), s.defaultPolicy()), emptyObject())
	return err
}

func completeUnknownSession(ctx context.Context, flow string) error {
	s := sc(ctx)
	body := []byte(`{"srpRegistrationData":{"verifier":"AAEC"}}`)
	switch api.Flow(flow) {
	case api.FlowAuthentication:
		body = []byte(`{"srpVerificationData":{"a":"AAEC","m1":"AAEC"}}`)
	case api.FlowRenewal:
		body = []byte(`{"srpRegistrationData":{"verifier":"AAEC"},"srpVerificationData":{"a":"AAEC","m1":"AAEC"}}`)
	}
	_, err := s.send(ctx, http.MethodPost, s.paths().Complete(api.Flow(flow), s.store, unknownID()), body)
	return err
}
