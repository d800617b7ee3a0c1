package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/process"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// The steps of the guide's "more complex flow" (features/process.feature, PRC-009
// on): the fixture "passcodeRenewalFull" (fixtures/processes/renewal-full.yaml) with
// Get User, conditional sequence flows, error forms, a retry and the fall-through to
// registration. They share the process scenario's state (ps) for the instance and
// keep their own in branchScenario.

// fullDefinition is the name of the more complex flow in the target's fixtures.
const fullDefinition = "passcodeRenewalFull"

// branchScenario is the branch steps' own state of one scenario.
type branchScenario struct {
	// before is the answer to GET the full definition before a deploy that must be
	// refused: the same answer after it shows that nothing changed.
	before []byte
}

type branchKey struct{}

func bs(ctx context.Context) *branchScenario {
	s, _ := ctx.Value(branchKey{}).(*branchScenario)
	return s
}

// processBranchSteps registers the branch steps; InitializeProcessScenario calls it.
func processBranchSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, branchKey{}, &branchScenario{}), nil
	})
	sc.Step(stepRE(`^a process user without a passcode$`), processUserWithoutPasscode)
	sc.Step(stepRE(`^a process user locked out by failed authentications$`), processUserLockedOut)
	sc.Step(stepRE(`^a process token of "([^"]*)" of type "(UNLIMITED)" for an unknown user$`), processTokenUnknownUser)
	sc.Step(stepRE(`^the instance shows the error form "([^"]*)" for the error "([^"]*)"$`), errorFormShown)
	sc.Step(stepRE(`^the end user continues past the error form$`), continuePastErrorForm)
	sc.Step(stepRE(`^the instance waits at the registration form "([^"]*)"$`), registrationFormWaits)
	sc.Step(stepRE(`^the browser answers the registration form with a new passcode$`), answerRegistrationForm)
	sc.Step(stepRE(`^the browser answers the form with the existing passcode as the new passcode$`), func(ctx context.Context) error {
		s := ps(ctx)
		return answerRenewal(ctx, s.pass, s.pass)
	})
	sc.Step(stepRE(`^the process user's passcode is renewed over the API meanwhile$`), renewedMeanwhile)
	sc.Step(stepRE(`^the instance took the branches "([^"]*)"$`), branchesTaken)
	sc.Step(stepRE(`^the process activities list "([^"]*)" with the parameters "([^"]*)" and the branches "([^"]*)"$`), activityListed)
	sc.Step(stepRE(`^the full renewal definition is deployed with (.+)$`), deployBrokenFull)
	sc.Step(stepRE(`^the answer message names node "([^"]*)"$`), answerNamesNode)
	sc.Step(stepRE(`^no new version of the full renewal definition was deployed$`), fullUnchanged)
}

// newProcessExt is a fresh external id for a process user.
func newProcessExt() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "prc-" + hex.EncodeToString(b[:])
}

func processUserWithoutPasscode(ctx context.Context) error {
	s := ps(ctx)
	s.ext, s.pass = newProcessExt(), ""
	_, _, err := s.admin.CreateUser(ctx, s.t.Store, api.CreateUserRequest{ExternalID: s.ext})
	return err
}

// processUserLockedOut registers a process user and fails its authentication until
// the server answers USER_LOCKED: black-box, whatever the store's lock settings.
func processUserLockedOut(ctx context.Context) error {
	if err := processUser(ctx); err != nil {
		return err
	}
	s := ps(ctx)
	flow := api.SRPFlow{Client: s.admin, Profile: srp.Profile(s.t.SRP.Profile)}
	for range 50 {
		_, err := flow.Authenticate(ctx, s.t.Store, api.ByExternalID(s.ext), s.t.Policies[sut.PolicyStandard].Name, s.pass+"-wrong")
		switch api.ErrorCode(err) {
		case api.CodeUserLocked:
			return nil
		case api.CodeInvalidProof:
		default:
			return fmt.Errorf("a wrong authentication: %v, want INVALID_PROOF or USER_LOCKED", err)
		}
	}
	return errors.New("50 wrong authentications did not lock the user")
}

func processTokenUnknownUser(ctx context.Context, defn, typ string) error {
	s := ps(ctx)
	s.ext = newProcessExt() + "-absent"
	return s.createToken(ctx, process.TokenRequest{ProcessDefnName: defn, Type: process.TokenType(typ)})
}

// errorFormShown checks the error form the instance waits at: its node, the failure
// it tells of, text to show, and no SRP values (an error form runs no attempt).
func errorFormShown(ctx context.Context, node, code string) error {
	v := ps(ctx).view
	if v.Status != process.StatusWaiting || v.Step == nil {
		return fmt.Errorf("the instance is %s (decision %q), not waiting at a form", v.Status, v.Decision)
	}
	st := v.Step
	if st.Type != process.TypeErrorForm || st.NodeID != node {
		return fmt.Errorf("the instance waits at %s %q, want the error form %q", st.Type, st.NodeID, node)
	}
	if st.Error == nil || string(st.Error.Code) != code {
		return fmt.Errorf("the error form tells of %+v, want the error %s", st.Error, code)
	}
	if st.PasscodeRequirements != nil || st.AlgorithmInfo.Parameters.Salt != "" || st.AlgorithmInfo.Parameters.ServerPublicKey != "" {
		return errors.New("the error form carries a policy or SRP values")
	}
	if !slices.ContainsFunc(st.Form.Components, func(c process.Component) bool { return c.Type == process.ComponentContent && c.Text != "" }) {
		return errors.New("the error form has no text to show")
	}
	return nil
}

// submitStep sends the browser response to the step the instance waits at and
// keeps the new view.
func (s *processScenario) submitStep(ctx context.Context, resp any) error {
	step := s.view.Step
	if step == nil {
		return errors.New("the instance is not waiting at a form")
	}
	ex, err := s.send(ctx, http.MethodPost, "/processFlows/"+url.PathEscape(s.instanceID)+"/steps/"+url.PathEscape(step.NodeID),
		map[string]any{"browserResponse": resp}, s.key)
	if err != nil {
		return err
	}
	if ex.Status != http.StatusOK {
		return fmt.Errorf("answering %s: status %d\n%s", step.NodeID, ex.Status, ex)
	}
	s.view = process.View{} // a fresh view: the next step may lack this one's fields
	return decodeInto(ex, &s.view)
}

func continuePastErrorForm(ctx context.Context) error {
	return ps(ctx).submitStep(ctx, map[string]any{})
}

func registrationFormWaits(ctx context.Context, node string) error {
	v := ps(ctx).view
	if v.Status != process.StatusWaiting || v.Step == nil {
		return fmt.Errorf("the instance is %s (decision %q), not waiting at a form", v.Status, v.Decision)
	}
	st := v.Step
	if st.NodeID != node || st.Flow != api.FlowRegistration {
		return fmt.Errorf("the instance waits at %q of flow %q, want the registration form %q", st.NodeID, st.Flow, node)
	}
	p := st.AlgorithmInfo.Parameters
	if st.PasscodeRequirements == nil || p.I == "" || p.Salt == "" || p.ServerPublicKey != "" {
		return errors.New("the registration step lacks the requirements, i or the salt, or carries a serverPublicKey")
	}
	return nil
}

// answerRegistrationForm does what the page does on a registration form: the
// verifier of a new passcode, from the step's i and salt.
func answerRegistrationForm(ctx context.Context) error {
	s := ps(ctx)
	step := s.view.Step
	if step == nil {
		return errors.New("the instance is not waiting at a form")
	}
	sp, err := api.ParseStart(&api.StartResponse{PasscodeRequirements: step.PasscodeRequirements, AlgorithmInfo: step.AlgorithmInfo}, srp.Profile(s.t.SRP.Profile), false)
	if err != nil {
		return err
	}
	s.newPass, s.proof = "First-Plum-7"+s.ext[len(s.ext)-4:], nil
	return s.submitStep(ctx, api.CompleteRequest{SRPRegistrationData: &api.SRPRegistrationData{Verifier: sp.Verifier(s.newPass)}})
}

// renewedMeanwhile renews the process user's passcode over the API while the
// instance's renewal session is open, so that the session is stale.
func renewedMeanwhile(ctx context.Context) error {
	s := ps(ctx)
	next := "Meanwhile-Pear-9" + s.ext[len(s.ext)-4:]
	if _, err := (api.SRPFlow{Client: s.admin, Profile: srp.Profile(s.t.SRP.Profile)}).Renew(ctx, s.t.Store, api.ByExternalID(s.ext), s.t.Policies[sut.PolicyStandard].Name, s.pass, next); err != nil {
		return fmt.Errorf("renewing over the API: %v", err)
	}
	s.pass = next
	return nil
}

// branchesTaken lists, in the order the instance passed them, the nodes where the
// definition branches (more than one outgoing flow) and the flow taken: its
// condition, or "default".
func branchesTaken(ctx context.Context, want string) error {
	s := ps(ctx)
	in, err := s.instance(ctx)
	if err != nil {
		return err
	}
	var d process.Definition
	ex, err := s.send(ctx, http.MethodGet, fmt.Sprintf("/processDefinitions/%s/versions/%d", url.PathEscape(in.ProcessDefnName), in.ProcessDefnVersion), nil, "")
	if err != nil {
		return err
	}
	if err := decodeInto(ex, &d); err != nil {
		return err
	}
	outs := map[string]int{}
	for _, f := range d.Flows {
		outs[f.From]++
	}
	var got []string
	for _, h := range in.History {
		switch {
		case outs[h.NodeID] < 2:
		case h.Condition != nil:
			got = append(got, h.NodeID+": "+h.Condition.String())
		default:
			got = append(got, h.NodeID+": default")
		}
	}
	if strings.Join(got, ", ") != want {
		return fmt.Errorf("branches taken %q, want %q", strings.Join(got, ", "), want)
	}
	return nil
}

// activityListed checks GET .../processActivities for a node type, its parameters
// and what its flows may test.
func activityListed(ctx context.Context, typ, params, branches string) error {
	s := ps(ctx)
	ex, err := s.send(ctx, http.MethodGet, "/processActivities", nil, "")
	if err != nil {
		return err
	}
	var list struct {
		Activities []process.ActivitySpec `json:"activities"`
	}
	if err := decodeInto(ex, &list); err != nil {
		return err
	}
	i := slices.IndexFunc(list.Activities, func(a process.ActivitySpec) bool { return a.Type == typ })
	if i < 0 {
		return fmt.Errorf("no activity %q is listed", typ)
	}
	a := list.Activities[i]
	var names, fields []string
	for _, p := range a.Params {
		names = append(names, p.Name)
	}
	for _, b := range a.Branches {
		fields = append(fields, b.Field)
	}
	slices.Sort(names)
	if strings.Join(names, ", ") != params || strings.Join(fields, ", ") != branches {
		return fmt.Errorf("%s has the parameters %q and the branches %q, want %q and %q", typ, strings.Join(names, ", "), strings.Join(fields, ", "), params, branches)
	}
	return nil
}

// answerNamesNode checks that a problem of the refusal is about the node: its text
// (the message, or one of the processingDetails) starts `node "<id>"`.
func answerNamesNode(ctx context.Context, node string) error {
	var e api.Error
	if err := decodeInto(ps(ctx).last, &e); err != nil {
		return err
	}
	texts := []string{e.Message}
	for _, d := range e.ProcessingDetails {
		texts = append(texts, d.Message)
	}
	prefix := "node " + strconv.Quote(node)
	for _, m := range texts {
		if strings.HasPrefix(m, prefix+" ") || strings.HasPrefix(m, prefix+":") {
			return nil
		}
	}
	return fmt.Errorf("no problem is about node %q: %q", node, texts)
}

// fullAnswer reads the latest version of the full definition.
func (s *processScenario) fullAnswer(ctx context.Context) (*api.Exchange, error) {
	ex, err := s.send(ctx, http.MethodGet, "/processDefinitions/"+fullDefinition, nil, "")
	if err != nil {
		return nil, err
	}
	if ex.Status != http.StatusOK {
		return nil, fmt.Errorf("reading %s: status %d\n%s", fullDefinition, ex.Status, ex)
	}
	return ex, nil
}

// deployBrokenFull deploys the full definition with one change that breaks a
// branch rule (fullChanges).
func deployBrokenFull(ctx context.Context, change string) error {
	s := ps(ctx)
	ex, err := s.fullAnswer(ctx)
	if err != nil {
		return err
	}
	bs(ctx).before = ex.ResponseBody
	var d process.Definition
	if err := decodeInto(ex, &d); err != nil {
		return err
	}
	d.Version, d.DeployedAt = 0, time.Time{}
	mutate, ok := fullChanges()[change]
	if !ok {
		return godog.ErrPending
	}
	if err := mutate(&d); err != nil {
		return err
	}
	_, err = s.send(ctx, http.MethodPost, "/processDefinitions", d, "")
	return err
}

func fullUnchanged(ctx context.Context) error {
	s := ps(ctx)
	last := s.last // the refusal, for the steps that follow
	ex, err := s.fullAnswer(ctx)
	s.last = last
	if err != nil {
		return err
	}
	if !bytes.Equal(ex.ResponseBody, bs(ctx).before) {
		return fmt.Errorf("the latest %s changed after a refused deploy:\nbefore %s\nafter  %s", fullDefinition, bs(ctx).before, ex.ResponseBody)
	}
	return nil
}

// flowOf returns the flow from -> to of d.
func flowOf(d *process.Definition, from, to string) (*process.Flow, error) {
	for i := range d.Flows {
		if d.Flows[i].From == from && d.Flows[i].To == to {
			return &d.Flows[i], nil
		}
	}
	return nil, fmt.Errorf("the definition has no flow %s -> %s", from, to)
}

// setFlow changes the flow from -> to of d.
func setFlow(from, to string, change func(f *process.Flow)) func(d *process.Definition) error {
	return func(d *process.Definition) error {
		f, err := flowOf(d, from, to)
		if err == nil {
			change(f)
		}
		return err
	}
}

// fullChanges are the changes deployBrokenFull knows, by the feature's words: each
// breaks one rule of docs/process.md's branches.
func fullChanges() map[string]func(d *process.Definition) error {
	cond := func(c process.Condition) *process.Condition { return &c }
	return map[string]func(d *process.Definition) error{
		"no default flow out of getUser": setFlow("getUser", "startPasscodeRenewal", func(f *process.Flow) {
			f.Default, f.Condition = false, cond(process.Condition{UserStatus: api.StatusActive})
		}),
		"two default flows out of simpleDecider": setFlow("simpleDecider", "endFail", func(f *process.Flow) {
			f.Default, f.Condition = true, nil
		}),
		"a flow out of simpleDecider with neither condition nor default": setFlow("simpleDecider", "endFail", func(f *process.Flow) {
			f.Condition = nil
		}),
		"a condition on the default flow out of simpleDecider": setFlow("simpleDecider", "endReview", func(f *process.Flow) {
			f.Condition = cond(process.Condition{Decision: process.DecisionReview})
		}),
		"the decision MAYBE on a flow out of simpleDecider": setFlow("simpleDecider", "endFail", func(f *process.Flow) {
			f.Condition = cond(process.Condition{Decision: "MAYBE"})
		}),
		"the error code WRONG_PASSCODE on a flow out of completePasscodeRenewal": setFlow("completePasscodeRenewal", "wrongPasscode", func(f *process.Flow) {
			f.Condition = cond(process.Condition{ErrorCode: "WRONG_PASSCODE"})
		}),
		"the user status ASLEEP on a flow out of getUser": setFlow("getUser", "unknownUser", func(f *process.Flow) {
			f.Condition = cond(process.Condition{UserStatus: "ASLEEP"})
		}),
		"a decision on a flow out of startPasscodeRenewal": setFlow("startPasscodeRenewal", "lockedUser", func(f *process.Flow) {
			f.Condition = cond(process.Condition{Decision: process.DecisionFail})
		}),
		"a condition on the flow out of the error form wrongPasscode": setFlow("wrongPasscode", "startPasscodeRenewalRetry", func(f *process.Flow) {
			f.Condition = cond(process.Condition{ErrorCode: api.CodeInvalidProof})
		}),
		"two flows testing PASSCODE_NOT_REGISTERED out of startPasscodeRenewal": setFlow("startPasscodeRenewal", "lockedUser", func(f *process.Flow) {
			f.Condition = cond(process.Condition{ErrorCode: api.CodePasscodeNotRegistered})
		}),
		"a retry that loops back to passcodeRenewalForm": setFlow("wrongPasscode", "startPasscodeRenewalRetry", func(f *process.Flow) {
			f.To = "passcodeRenewalForm"
		}),
		"no flow into the error form noPasscode": func(d *process.Definition) error {
			if _, err := flowOf(d, "startPasscodeRenewal", "noPasscode"); err != nil {
				return err
			}
			d.Flows = slices.DeleteFunc(d.Flows, func(f process.Flow) bool { return f.To == "noPasscode" })
			return nil
		},
		"two fields in the condition of a flow out of getUser": setFlow("getUser", "unknownUser", func(f *process.Flow) {
			f.Condition = cond(process.Condition{ErrorCode: api.CodeUserNotFound, UserStatus: api.StatusLocked})
		}),
		"a second flow out of the error form lockedUser": func(d *process.Definition) error {
			d.Flows = append(d.Flows, process.Flow{From: "lockedUser", To: "endFail"})
			return nil
		},
		"a retry whose user is stored on one path only": func(d *process.Definition) error {
			// A second Get User on the wrong-passcode path only; the retry, reached
			// from the reused-passcode path too, takes its user by that key.
			d.Nodes = append(d.Nodes, process.Node{ID: "getUser2", Type: process.TypeGetUser,
				Parameters: map[string]any{"storeName": "default", "userExternalId": "${token.userExternalId}", "userKey": "user2"}})
			d.Flows = append(d.Flows, process.Flow{From: "getUser2", To: "startPasscodeRenewalRetry"})
			n, err := node(d, "startPasscodeRenewalRetry")
			if err != nil {
				return err
			}
			n.Parameters["userKey"] = "user2"
			return setFlow("wrongPasscode", "startPasscodeRenewalRetry", func(f *process.Flow) { f.To = "getUser2" })(d)
		},
		"an error form lockedUser that shows the renewal form": func(d *process.Definition) error {
			n, err := node(d, "lockedUser")
			if err == nil {
				n.Parameters["dataFormName"] = "passcodeRenewalFullForm"
			}
			return err
		},
	}
}
