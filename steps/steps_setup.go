package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/sut"
)

// setupSteps are the Given steps: users, their passcodes, sessions started ahead,
// policies, and who the client is.
func setupSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^a user with a registered passcode$`), func(ctx context.Context) error {
		return sc(ctx).givenUser(ctx, true, sut.PolicyStandard)
	})
	c.Step(stepRE(`^a user with a registered passcode under the "(standard|pin6|nohistory)" policy$`), func(ctx context.Context, role string) error {
		return sc(ctx).givenUser(ctx, true, role)
	})
	c.Step(stepRE(`^a user without a passcode$`), func(ctx context.Context) error {
		return sc(ctx).givenUser(ctx, false, sut.PolicyStandard)
	})
	c.Step(stepRE(`^a user ready for the (registration|authentication|renewal)$`), func(ctx context.Context, flow string) error {
		return sc(ctx).givenUser(ctx, api.Flow(flow) != api.FlowRegistration, sut.PolicyStandard)
	})
	c.Step(stepRE(`^a user with the external id "([^"]*)" and a registered passcode$`), func(ctx context.Context, ext string) error {
		s := sc(ctx)
		u, err := s.createUser(ctx, s.w.tgt.Tenant, s.w.tgt.Store, ext+" "+freshExternalID(), "")
		if err != nil {
			return err
		}
		s.user = u
		return s.register(ctx, u, sut.PolicyStandard, "")
	})
	c.Step(stepRE(`^a user created with the status (LOCKED|TEMP_LOCKED|DISABLED)$`), func(ctx context.Context, status string) error {
		s := sc(ctx)
		u, err := s.createUser(ctx, s.w.tgt.Tenant, s.w.tgt.Store, freshExternalID(), api.UserStatus(status))
		if err != nil {
			return err
		}
		s.user = u
		return nil
	})
	c.Step(stepRE(`^a pre-provisioned (locked|disabled) user$`), func(ctx context.Context, kind string) error {
		s := sc(ctx)
		pu, ok := s.w.pool.take(kind)
		if !ok {
			return notApplicable{reason: fmt.Sprintf("the target lists no %s user with a passcode (users.%s)", kind, kind)}
		}
		s.user = &user{id: pu.ID, ext: pu.ExternalID, tenant: s.w.tgt.Tenant, store: s.w.tgt.Store, pass: pu.Passcode, pooled: true}
		return nil
	})
	c.Step(stepRE(`^the user's passcode has been renewed (\d+) times?$`), func(ctx context.Context, n int) error {
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
	})
	c.Step(stepRE(`^the user has renewed the passcode$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		pol, err := s.w.policy(u.policyRole)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		p, err := s.freshPasscode(u, *pol.Requirements)
		if err != nil {
			return err
		}
		return s.renewQuiet(ctx, u, p)
	})
	c.Step(stepRE(`^the user has started an? (registration|authentication|renewal) session "(\w+)"$`), func(ctx context.Context, flow, name string) error {
		s := sc(ctx)
		sess, err := s.startSession(ctx, api.Flow(flow), formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != 200 {
			return s.fail(sess.startEx, "setup: the %s start answered %d, want 200", flow, sess.startEx.Status)
		}
		s.named[name] = sess
		return nil
	})
	c.Step(stepRE(`^the user has started (\d+) renewal sessions$`), func(ctx context.Context, n int) error {
		s := sc(ctx)
		for range n {
			sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
			if err != nil {
				return err
			}
			if sess.startEx.Status != 200 {
				return s.fail(sess.startEx, "setup: the renewal start answered %d, want 200", sess.startEx.Status)
			}
			s.batch = append(s.batch, sess)
		}
		return nil
	})
	c.Step(stepRE(`^the user's credential has been deleted and registered again$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		c, err := s.adminClient(ctx, u.tenant)
		if err != nil {
			return err
		}
		if ex, err := c.DeleteCredential(ctx, u.store, u.id); err != nil {
			return s.fail(ex, "setup: deleting the credential failed: %v", err)
		}
		// The same passcode again: only the credential (its i and salt) changes.
		return s.register(ctx, u, u.policyRole, u.pass)
	})
	c.Step(stepRE(`^a policy with the requirements (\{.*\})$`), func(ctx context.Context, raw string) error {
		s := sc(ctx)
		req, err := parseRequirements(raw)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		c, err := s.adminClient(ctx, s.w.tgt.Tenant)
		if err != nil {
			return err
		}
		name := "rk-policy-" + randomHex(6)
		if _, ex, err := c.CreatePolicy(ctx, s.w.tgt.Store, api.PolicyRequest{Name: name, Requirements: req}); err != nil {
			return s.fail(ex, "setup: creating a policy through the admin API failed: %v", err)
		} else {
			s.last = ex
		}
		s.policy, s.policyReqs = name, &req
		s.cleanups = append(s.cleanups, func(ctx context.Context) { _, _ = c.DeletePolicy(ctx, s.w.tgt.Store, name) })
		return nil
	})
	c.Step(stepRE(`^a user of the other tenant with the same external id and a registered passcode$`), func(ctx context.Context) error {
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
		s.other = o
		return nil
	})
	c.Step(stepRE(`^the client uses (no token|an empty bearer token|a token that is not a JWT|a token with a broken signature|an unsigned token with alg none|a token signed by a key it carries|the full token under Basic|the full token|the renewal-only token|the no-permission token|the other tenant's token|the expired token)$`), func(ctx context.Context, what string) error {
		return sc(ctx).useCredential(ctx, what)
	})
	c.Step(stepRE(`^the client uses the host form$`), func(ctx context.Context) error {
		s := sc(ctx)
		s.host = true
		return nil
	})
	c.Step(stepRE(`^the client uses the host form of the other tenant$`), func(ctx context.Context) error {
		s := sc(ctx)
		s.host, s.hostTenant = true, s.w.tgt.OtherTenantID
		return nil
	})
	c.Step(stepRE(`^the client acts as the other tenant$`), func(ctx context.Context) error {
		s := sc(ctx)
		t := s.w.tgt
		s.role, s.tenant, s.store, s.auth = sut.RoleOtherTenant, t.OtherTenantID, t.OtherTenantStore, nil
		return nil
	})
}

// givenUser makes the scenario's user.
func (s *scenario) givenUser(ctx context.Context, registered bool, policyRole string) error {
	u, err := s.newUser(ctx, registered, policyRole)
	if err != nil {
		return err
	}
	if u.policyRole == "" {
		u.policyRole = policyRole
	}
	s.user = u
	return nil
}

// defaultPolicy is the policy a start names when the step names none: the one the
// user's passcode was registered under.
func (s *scenario) defaultPolicy() string {
	role := sut.PolicyStandard
	if s.user != nil && s.user.policyRole != "" {
		role = s.user.policyRole
	}
	return s.policyName(role)
}

// freshPasscode returns a passcode for r that u has never had.
func (s *scenario) freshPasscode(u *user, r passcode.Requirements) (string, error) {
	for range 16 {
		p, err := s.w.generate(r)
		if err != nil {
			return "", s.fail(nil, "setup: %v", err)
		}
		if p != u.pass && !contains(u.old, p) {
			return p, nil
		}
	}
	return "", s.fail(nil, "setup: cannot draw a passcode the user never had")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parseRequirements decodes the JSON requirements of a feature.
func parseRequirements(raw string) (passcode.Requirements, error) {
	var r passcode.Requirements
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("the feature's requirements %s are not JSON: %v", raw, err)
	}
	return r, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// emptyObject is the body of a start call (SPEC section 4).
func emptyObject() []byte { return []byte("{}") }

// atoi reads a number the step regexp already matched as digits.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
