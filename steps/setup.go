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

// setupSteps registers the Given steps many features share: the users, policies,
// sessions and identities a scenario starts from.
func setupSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^a user with a registered passcode$`), userRegistered)
	c.Step(stepRE(`^a user with a registered passcode under the "(standard|pin6|nohistory)" policy$`), userRegisteredUnderPolicy)
	c.Step(stepRE(`^a user without a passcode$`), userWithoutPasscode)
	c.Step(stepRE(`^a user ready for the (registration|authentication|renewal)$`), userReady)
	c.Step(stepRE(`^the user has renewed the passcode$`), userRenewedPasscode)
	c.Step(stepRE(`^the user has started an? (registration|authentication|renewal) session "(\w+)"$`), userStartedNamedSession)
	c.Step(stepRE(`^a policy with the requirements (\{.*\})$`), policyRequirements)
	c.Step(stepRE(`^the client uses (no token|an empty bearer token|a token that is not a JWT|a token with a broken signature|an unsigned token with alg none|a token signed by a key it carries|the full token under Basic|the full token|the renewal-only token|the no-permission token|the other tenant's token|the expired token)$`), useToken)
	c.Step(stepRE(`^the client uses the host form$`), useHostForm)
}

func userRegistered(ctx context.Context) error {
	return sc(ctx).givenUser(ctx, true, sut.PolicyStandard)
}

func userRegisteredUnderPolicy(ctx context.Context, role string) error {
	return sc(ctx).givenUser(ctx, true, role)
}

func userWithoutPasscode(ctx context.Context) error {
	return sc(ctx).givenUser(ctx, false, sut.PolicyStandard)
}

func userReady(ctx context.Context, flow string) error {
	return sc(ctx).givenUser(ctx, api.Flow(flow) != api.FlowRegistration, sut.PolicyStandard)
}

func userRenewedPasscode(ctx context.Context) error {
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
}

func userStartedNamedSession(ctx context.Context, flow, name string) error {
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
}

func policyRequirements(ctx context.Context, raw string) error {
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
}

func useToken(ctx context.Context, what string) error {
	return sc(ctx).useCredential(ctx, what)
}

func useHostForm(ctx context.Context) error {
	s := sc(ctx)
	s.host = true
	return nil
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
