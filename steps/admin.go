package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
)

// adminState is what the admin steps keep between steps.
type adminState struct {
	deleted *credentialRef // the credential before an admin deletion (ADM-005)
}

// adminSteps registers the steps of features/admin.feature.
func adminSteps(c *godog.ScenarioContext) {
	newState[adminState](c)
	c.Step(stepRE(`^the client creates a user with a fresh external id$`), createUserFreshExternalID)
	c.Step(stepRE(`^the client creates a user with the same external id$`), createUserSameExternalID)
	c.Step(stepRE(`^the client reads that policy$`), readPolicy)
	c.Step(stepRE(`^the answer is that policy with the requirements (\{.*\})$`), answerPolicyRequirements)
	c.Step(stepRE(`^the client updates that policy to the requirements (\{.*\})$`), updatePolicyRequirements)
	c.Step(stepRE(`^the client deletes that policy$`), deletePolicy)
	c.Step(stepRE(`^the client deletes the user's credential$`), deleteUserCredential)
	c.Step(stepRE(`^the identity i and the salt differ from those of the deleted credential$`), credentialDiffersFromDeleted)
}

func createUserFreshExternalID(ctx context.Context) error {
	s := sc(ctx)
	s.user = &user{ext: freshExternalID(), tenant: s.tenant, store: s.store}
	_, err := s.send(ctx, http.MethodPost, s.paths().Users(s.store), mustJSON(api.CreateUserRequest{ExternalID: s.user.ext}))
	return err
}

func createUserSameExternalID(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	_, err = s.send(ctx, http.MethodPost, s.paths().Users(s.store), mustJSON(api.CreateUserRequest{ExternalID: u.ext}))
	return err
}

func readPolicy(ctx context.Context) error {
	s := sc(ctx)
	_, err := s.send(ctx, http.MethodGet, s.paths().Policy(s.store, s.policy), nil)
	return err
}

func answerPolicyRequirements(ctx context.Context, raw string) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	want, err := parseRequirements(raw)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	var p api.Policy
	if err := json.Unmarshal(ex.ResponseBody, &p); err != nil {
		return s.fail(ex, "the answer is not a policy: %v", err)
	}
	if p.Name != s.policy || !passcode.Equal(p.Requirements, want) {
		return s.fail(ex, "the policy read back is not the one created (name %q, requirements %s)", s.policy, raw)
	}
	return nil
}

func updatePolicyRequirements(ctx context.Context, raw string) error {
	s := sc(ctx)
	req, err := parseRequirements(raw)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	ex, err := s.send(ctx, http.MethodPost, s.paths().Policy(s.store, s.policy), mustJSON(api.PolicyRequest{Name: s.policy, Requirements: req}))
	if err != nil {
		return err
	}
	if ex.Status/100 != 2 {
		return s.fail(ex, "updating the policy answered %d, want 2xx", ex.Status)
	}
	return nil
}

func deletePolicy(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.send(ctx, http.MethodDelete, s.paths().Policy(s.store, s.policy), nil)
	if err != nil {
		return err
	}
	if ex.Status/100 != 2 {
		return s.fail(ex, "deleting the policy answered %d, want 2xx", ex.Status)
	}
	return nil
}

func deleteUserCredential(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	if u.cred == nil {
		return s.fail(nil, "the harness does not know the user's credential")
	}
	state[adminState](ctx).deleted = u.cred
	ex, err := s.send(ctx, http.MethodDelete, s.paths().Credential(s.store, u.id), nil)
	if err != nil {
		return err
	}
	if ex.Status/100 != 2 {
		return s.fail(ex, "deleting the credential answered %d, want 2xx", ex.Status)
	}
	u.pass, u.old, u.cred = "", nil, nil
	return nil
}

func credentialDiffersFromDeleted(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	sp, err := s.usable(sess)
	if err != nil {
		return err
	}
	if state[adminState](ctx).deleted == nil {
		return s.fail(nil, "no credential was deleted")
	}
	if sess.start.AlgorithmInfo.Parameters.I == state[adminState](ctx).deleted.identity || bytes.Equal(sp.Salt, state[adminState](ctx).deleted.salt) {
		return s.fail(sess.startEx, "the new registration reuses the deleted credential's i or salt: a new credential gets a new i and salt")
	}
	return nil
}
