package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/process"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// processScenario is the state of one process scenario, kept in its context.
type processScenario struct {
	// t is the server under test: its fixtures hold the guide's flow
	// ("passcodeRenewal" over its store and standard policy); admin is a client of
	// its tenant with the full role's token, which grants TNT#{tenant}#*.
	t     *sut.Target
	admin *api.Client
	// slowest is the longest exchange so far: time-limited tokens live that much
	// longer, so that a correct server with slow answers still passes PRC-004.
	slowest time.Duration
	ext     string // the process user's external id
	pass    string // its current passcode
	newPass string
	token   process.Token
	secret  string
	// The last instance opened through the token, its access key and view.
	instanceID string
	key        string
	view       process.View
	proof      *srp.Client
	hashSize   int
	deployed   process.Definition
	last       *api.Exchange
	answers    []*api.Exchange
}

type processKey struct{}

func ps(ctx context.Context) *processScenario {
	s, _ := ctx.Value(processKey{}).(*processScenario)
	return s
}

// InitializeProcessScenario registers the steps of features/process*.feature for
// the server under test t, whose full role's token tokens gives. Each scenario gets
// fresh state in its context.
func InitializeProcessScenario(sc *godog.ScenarioContext, t *sut.Target, tokens *sut.TokenSource) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		admin, err := tokens.Client(ctx, t.Tenant, sut.RoleFull)
		if err != nil {
			return ctx, fmt.Errorf("process steps: a client of tenant %s: %w", t.Tenant, err)
		}
		return context.WithValue(ctx, processKey{}, &processScenario{t: t, admin: admin}), nil
	})
	sc.Step(stepRE(`^a process user with a registered passcode$`), processUser)
	sc.Step(stepRE(`^a process token of "([^"]*)" of type "(UNLIMITED)" for that user$`), processTokenUnlimited)
	sc.Step(stepRE(`^a process token of "([^"]*)" of type "(MULTI_USE_COUNT_LIMITED)" with (\d+) uses for that user$`), processTokenCount)
	sc.Step(stepRE(`^a process token of "([^"]*)" of type "(MULTI_USE_TIME_LIMITED)" expiring in (\d+) seconds for that user$`), processTokenTime)
	sc.Step(stepRE(`^the end user opens the token$`), openToken)
	sc.Step(stepRE(`^the end user opens the token (\d+) times$`), openTokenTimes)
	sc.Step(stepRE(`^the token has expired$`), tokenExpired)
	sc.Step(stepRE(`^the token is made "(ACTIVE|INACTIVE)"$`), tokenStatus)
	sc.Step(stepRE(`^the answer status is (\d+)$`), answerStatus)
	sc.Step(stepRE(`^every answer status is (\d+)$`), everyAnswerStatus)
	sc.Step(stepRE(`^the answer code is "([^"]*)"$`), answerCode)
	sc.Step(stepRE(`^the answer message names node "([^"]*)" and parameter "([^"]*)"$`), answerNames)
	sc.Step(stepRE(`^the instance waits at "([^"]*)" with starting component "([^"]*)" and UI component "([^"]*)"$`), instanceWaits)
	sc.Step(stepRE(`^the browser answers the form with the existing passcode and a new passcode$`), func(ctx context.Context) error {
		return answerForm(ctx, false)
	})
	sc.Step(stepRE(`^the browser answers the form with a wrong existing passcode and a new passcode$`), func(ctx context.Context) error {
		return answerForm(ctx, true)
	})
	sc.Step(stepRE(`^the instance is "([^"]*)" with decision "([^"]*)"$`), instanceDecision)
	sc.Step(stepRE(`^the instance result's error code is "([^"]*)"$`), resultCode)
	sc.Step(stepRE(`^the server's m2 verifies$`), m2Verifies)
	sc.Step(stepRE(`^the instance history is "([^"]*)"$`), historyNodes)
	sc.Step(stepRE(`^the instance history outcomes are "([^"]*)"$`), historyOutcomes)
	sc.Step(stepRE(`^the new passcode of the process user authenticates$`), func(ctx context.Context) error {
		s := ps(ctx)
		return s.authenticates(ctx, s.newPass)
	})
	sc.Step(stepRE(`^the existing passcode of the process user still authenticates$`), func(ctx context.Context) error {
		s := ps(ctx)
		return s.authenticates(ctx, s.pass)
	})
	sc.Step(stepRE(`^the token counts (\d+) uses$`), tokenUses)
	sc.Step(stepRE(`^the guide's renewal definition is deployed with (.+)$`), deployBroken)
	sc.Step(stepRE(`^the guide's renewal definition is deployed without its defaulted parameters$`), deployWithoutDefaults)
	sc.Step(stepRE(`^the deployed definition's version is greater than 1$`), deployedVersion)
	sc.Step(stepRE(`^the deployed node "([^"]*)" has parameter "([^"]*)" "([^"]*)"$`), deployedParam)
	processBranchSteps(sc) // process_branches.go: the more complex flow
}

// endUser as send's bearer sends no Authorization header: the end user has none.
const endUser = "\x00end-user"

// send sends a JSON request to a path under the tenant's process endpoints, with
// the admin's token, none (endUser), or bearer as the token.
func (s *processScenario) send(ctx context.Context, method, p string, in any, bearer string) (*api.Exchange, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	h := http.Header{"Content-Type": {"application/json"}}
	c := s.admin
	switch bearer {
	case "":
	case endUser:
		c = s.admin.WithToken("")
	default:
		c = s.admin.WithToken(bearer)
	}
	if ws := sc(ctx); ws != nil {
		// In a conformance run the invariants hold for these exchanges too.
		observed := *c
		observed.Observe = ws.observe
		c = &observed
	}
	ex, err := c.Do(ctx, method, api.DefaultPrefix+"/tenants/"+url.PathEscape(s.t.Tenant)+p, body, h)
	if err != nil {
		return ex, fmt.Errorf("%s %s: %w", method, p, err)
	}
	s.last = ex
	s.slowest = max(s.slowest, ex.Duration)
	return ex, nil
}

func decodeInto(ex *api.Exchange, out any) error {
	if err := json.Unmarshal(ex.ResponseBody, out); err != nil {
		return fmt.Errorf("the answer does not decode: %v\n%s", err, ex)
	}
	return nil
}

func processUser(ctx context.Context) error {
	s := ps(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	s.ext = "prc-" + hex.EncodeToString(b[:])
	s.pass = "Correct-Horse-" + strconv.Itoa(int(b[0])%10)
	if _, _, err := s.admin.CreateUser(ctx, s.t.Store, api.CreateUserRequest{ExternalID: s.ext}); err != nil {
		return err
	}
	_, err := api.SRPFlow{Client: s.admin, Profile: srp.Profile(s.t.SRP.Profile)}.Register(ctx, s.t.Store, api.ByExternalID(s.ext), s.t.Policies[sut.PolicyStandard].Name, s.pass)
	return err
}

func (s *processScenario) createToken(ctx context.Context, r process.TokenRequest) error {
	r.Name = "prc"
	r.Parameters = map[string]string{"userExternalId": s.ext}
	ex, err := s.send(ctx, http.MethodPost, "/processTokens", r, "")
	if err != nil {
		return err
	}
	if ex.Status != http.StatusCreated {
		return fmt.Errorf("creating the token: status %d\n%s", ex.Status, ex)
	}
	if err := decodeInto(ex, &s.token); err != nil {
		return err
	}
	u, err := url.Parse(s.token.URL)
	if err != nil || s.token.URL == "" {
		return fmt.Errorf("the token's url %q does not parse", s.token.URL)
	}
	s.secret = path.Base(u.Path)
	return nil
}

func processTokenUnlimited(ctx context.Context, defn, typ string) error {
	return ps(ctx).createToken(ctx, process.TokenRequest{ProcessDefnName: defn, Type: process.TokenType(typ)})
}

func processTokenCount(ctx context.Context, defn, typ string, n int) error {
	return ps(ctx).createToken(ctx, process.TokenRequest{ProcessDefnName: defn, Type: process.TokenType(typ), MaxUses: n})
}

// processTokenTime makes a token that lives secs, plus room for the creation and
// the first opening to cross the wire: four times the slowest exchange so far.
func processTokenTime(ctx context.Context, defn, typ string, secs int) error {
	s := ps(ctx)
	// One read first, so that the latency is measured on this very server.
	if _, err := s.send(ctx, http.MethodGet, "/processActivities", nil, ""); err != nil {
		return err
	}
	life := time.Duration(secs)*time.Second + 4*s.slowest
	return s.createToken(ctx, process.TokenRequest{ProcessDefnName: defn, Type: process.TokenType(typ),
		ExpiresAt: time.Now().Add(life).Truncate(time.Millisecond)})
}

// open starts an instance through the token, as the page's script does.
func (s *processScenario) open(ctx context.Context) (*api.Exchange, error) {
	ex, err := s.send(ctx, http.MethodPost, "/processFlows", map[string]string{"processToken": s.secret}, endUser)
	if err != nil {
		return nil, err
	}
	if ex.Status == http.StatusCreated {
		var started struct {
			AccessKey string `json:"accessKey"`
			process.View
		}
		if err := decodeInto(ex, &started); err != nil {
			return nil, err
		}
		s.instanceID, s.key, s.view = started.InstanceID, started.AccessKey, started.View
	}
	return ex, nil
}

func openToken(ctx context.Context) error {
	_, err := ps(ctx).open(ctx)
	return err
}

func openTokenTimes(ctx context.Context, n int) error {
	s := ps(ctx)
	s.answers = nil
	for range n {
		ex, err := s.open(ctx)
		if err != nil {
			return err
		}
		s.answers = append(s.answers, ex)
	}
	return nil
}

func tokenExpired(ctx context.Context) error {
	s := ps(ctx)
	d := time.Until(s.token.ExpiresAt)
	if d > 30*time.Second {
		return fmt.Errorf("the token expires in %s: too long to wait", d)
	}
	return sleep(ctx, d+max(50*time.Millisecond, s.slowest))
}

func tokenStatus(ctx context.Context, status string) error {
	s := ps(ctx)
	ex, err := s.send(ctx, http.MethodPost, "/processTokens/"+url.PathEscape(s.token.ID), process.TokenUpdate{Status: process.TokenStatus(status)}, "")
	if err != nil {
		return err
	}
	if ex.Status != http.StatusOK {
		return fmt.Errorf("updating the token: status %d\n%s", ex.Status, ex)
	}
	return nil
}

func answerStatus(ctx context.Context, want int) error {
	s := ps(ctx)
	if s.last == nil {
		return errors.New("no answer yet")
	}
	if s.last.Status != want {
		return fmt.Errorf("status %d, want %d\n%s", s.last.Status, want, s.last)
	}
	return nil
}

func everyAnswerStatus(ctx context.Context, want int) error {
	for i, ex := range ps(ctx).answers {
		if ex.Status != want {
			return fmt.Errorf("answer %d: status %d, want %d\n%s", i+1, ex.Status, want, ex)
		}
	}
	return nil
}

func answerCode(ctx context.Context, want string) error {
	s := ps(ctx)
	var e api.Error
	if err := decodeInto(s.last, &e); err != nil {
		return err
	}
	if string(e.Code) != want {
		return fmt.Errorf("code %q, want %q\n%s", e.Code, want, s.last)
	}
	if e.ProcessingDetails == nil || e.Message == "" {
		return fmt.Errorf("the error body lacks the section 10 shape\n%s", s.last)
	}
	return nil
}

func answerNames(ctx context.Context, node, param string) error {
	s := ps(ctx)
	var e api.Error
	if err := decodeInto(s.last, &e); err != nil {
		return err
	}
	texts := []string{e.Message}
	for _, d := range e.ProcessingDetails {
		texts = append(texts, d.Message)
	}
	for _, m := range texts {
		if strings.Contains(m, strconv.Quote(node)) && (param == "" || strings.Contains(m, "parameter "+strconv.Quote(param))) {
			return nil
		}
	}
	return fmt.Errorf("no message names node %q and parameter %q: %q", node, param, texts)
}

func instanceWaits(ctx context.Context, node, starting, ui string) error {
	v := ps(ctx).view
	if v.Status != process.StatusWaiting || v.Step == nil {
		return fmt.Errorf("the instance is %s, not waiting at a form", v.Status)
	}
	if v.Step.NodeID != node || v.Step.StartingComponentID != starting || v.Step.UIComponentID != ui {
		return fmt.Errorf("the instance waits at %q (%q, %q), want %q (%q, %q)",
			v.Step.NodeID, v.Step.StartingComponentID, v.Step.UIComponentID, node, starting, ui)
	}
	if v.Step.PasscodeRequirements == nil || v.Step.AlgorithmInfo.Parameters.ServerPublicKey == "" || len(v.Step.Form.Components) == 0 {
		return errors.New("the form step lacks the requirements, the SRP parameters or the form")
	}
	return nil
}

// answerForm does what the page does: SRP on the step's parameters, then the
// browser response to the form's step.
func answerForm(ctx context.Context, wrong bool) error {
	s := ps(ctx)
	prove := s.pass
	if wrong {
		prove = s.pass + "x"
	}
	return answerRenewal(ctx, prove, "Fresh-Lemon-"+strconv.Itoa(len(s.ext)))
}

// answerRenewal answers the renewal form the instance waits at, proving prove and
// choosing newPass.
func answerRenewal(ctx context.Context, prove, newPass string) error {
	s := ps(ctx)
	step := s.view.Step
	if step == nil {
		return errors.New("the instance is not waiting at a form")
	}
	sp, err := api.ParseStart(&api.StartResponse{PasscodeRequirements: step.PasscodeRequirements, AlgorithmInfo: step.AlgorithmInfo}, srp.Profile(s.t.SRP.Profile), true)
	if err != nil {
		return err
	}
	vd, client, err := sp.Prove(prove)
	if err != nil {
		return err
	}
	s.proof, s.hashSize = client, sp.Params.Hash().Size()
	s.newPass = newPass
	resp := api.CompleteRequest{
		SRPRegistrationData: &api.SRPRegistrationData{Verifier: sp.Verifier(s.newPass)},
		SRPVerificationData: vd,
	}
	ex, err := s.send(ctx, http.MethodPost, "/processFlows/"+url.PathEscape(s.instanceID)+"/steps/"+url.PathEscape(step.NodeID),
		map[string]any{"browserResponse": resp}, s.key)
	if err != nil {
		return err
	}
	if ex.Status == http.StatusOK {
		s.view = process.View{} // a fresh view: the next step may lack this one's fields
		return decodeInto(ex, &s.view)
	}
	return nil
}

func instanceDecision(ctx context.Context, status, decision string) error {
	v := ps(ctx).view
	if string(v.Status) != status || string(v.Decision) != decision {
		return fmt.Errorf("the instance is %s with decision %q, want %s with %q", v.Status, v.Decision, status, decision)
	}
	return nil
}

func resultCode(ctx context.Context, want string) error {
	r := ps(ctx).view.Result
	if r == nil || r.Error == nil || string(r.Error.Code) != want {
		return fmt.Errorf("result %+v, want the error %s", r, want)
	}
	return nil
}

func m2Verifies(ctx context.Context) error {
	s := ps(ctx)
	r := s.view.Result
	if r == nil || r.AlgorithmInfo == nil || s.proof == nil {
		return errors.New("no m2 in the instance's result")
	}
	m2, err := srp.DecodeProof(r.AlgorithmInfo.Parameters.M2, s.hashSize)
	if err != nil {
		return fmt.Errorf("m2 does not decode: %v", err)
	}
	return s.proof.VerifyServer(m2)
}

// instance reads the administrator's view of the last instance.
func (s *processScenario) instance(ctx context.Context) (process.Instance, error) {
	var in process.Instance
	ex, err := s.send(ctx, http.MethodGet, "/processInstances/"+url.PathEscape(s.instanceID), nil, "")
	if err != nil {
		return in, err
	}
	if ex.Status != http.StatusOK {
		return in, fmt.Errorf("reading the instance: status %d\n%s", ex.Status, ex)
	}
	return in, decodeInto(ex, &in)
}

func historyNodes(ctx context.Context, want string) error {
	in, err := ps(ctx).instance(ctx)
	if err != nil {
		return err
	}
	var got []string
	for _, h := range in.History {
		got = append(got, h.NodeID)
	}
	if strings.Join(got, ", ") != want {
		return fmt.Errorf("history %q, want %q", strings.Join(got, ", "), want)
	}
	return nil
}

func historyOutcomes(ctx context.Context, want string) error {
	in, err := ps(ctx).instance(ctx)
	if err != nil {
		return err
	}
	var got []string
	for _, h := range in.History {
		got = append(got, h.Outcome)
	}
	if strings.Join(got, ", ") != want {
		return fmt.Errorf("outcomes %q, want %q", strings.Join(got, ", "), want)
	}
	return nil
}

func (s *processScenario) authenticates(ctx context.Context, pass string) error {
	_, err := api.SRPFlow{Client: s.admin, Profile: srp.Profile(s.t.SRP.Profile)}.Authenticate(ctx, s.t.Store, api.ByExternalID(s.ext), s.t.Policies[sut.PolicyStandard].Name, pass)
	return err
}

func tokenUses(ctx context.Context, want int) error {
	s := ps(ctx)
	var t process.Token
	ex, err := s.send(ctx, http.MethodGet, "/processTokens/"+url.PathEscape(s.token.ID), nil, "")
	if err != nil {
		return err
	}
	if err := decodeInto(ex, &t); err != nil {
		return err
	}
	if t.Uses != want {
		return fmt.Errorf("the token counts %d uses, want %d", t.Uses, want)
	}
	return nil
}

// renewalDefinition reads the deployed guide's flow, to change and deploy again.
func (s *processScenario) renewalDefinition(ctx context.Context) (process.Definition, error) {
	var d process.Definition
	ex, err := s.send(ctx, http.MethodGet, "/processDefinitions/passcodeRenewal/versions/1", nil, "")
	if err != nil {
		return d, err
	}
	if ex.Status != http.StatusOK {
		return d, fmt.Errorf("reading the guide's definition: status %d\n%s", ex.Status, ex)
	}
	return d, decodeInto(ex, &d)
}

func node(d *process.Definition, id string) (*process.Node, error) {
	for i := range d.Nodes {
		if d.Nodes[i].ID == id {
			return &d.Nodes[i], nil
		}
	}
	return nil, fmt.Errorf("the definition has no node %q", id)
}

func deployBroken(ctx context.Context, change string) error {
	s := ps(ctx)
	d, err := s.renewalDefinition(ctx)
	if err != nil {
		return err
	}
	d.Version, d.DeployedAt = 0, time.Time{}
	switch change {
	case "no passcodePolicy on startPasscodeRenewal":
		n, err := node(&d, "startPasscodeRenewal")
		if err != nil {
			return err
		}
		delete(n.Parameters, "passcodePolicy")
	case "an unknown activity type on simpleDecider":
		n, err := node(&d, "simpleDecider")
		if err != nil {
			return err
		}
		n.Type = "complexDecider"
	case "a dataFormVersion of 9 on passcodeRenewalForm":
		n, err := node(&d, "passcodeRenewalForm")
		if err != nil {
			return err
		}
		n.Parameters["dataFormVersion"] = 9
	case "an extra unconnected node lonely":
		d.Nodes = append(d.Nodes, process.Node{ID: "lonely", Type: process.TypeSimpleDecider})
	case "a flow from simpleDecider back to the form":
		for i, f := range d.Flows {
			if f.From == "simpleDecider" {
				d.Flows[i].To = "passcodeRenewalForm"
			}
		}
	default:
		return godog.ErrPending
	}
	_, err = s.send(ctx, http.MethodPost, "/processDefinitions", d, "")
	return err
}

func deployWithoutDefaults(ctx context.Context) error {
	s := ps(ctx)
	d, err := s.renewalDefinition(ctx)
	if err != nil {
		return err
	}
	d.Version, d.DeployedAt = 0, time.Time{}
	for i, n := range d.Nodes {
		spec, _ := process.ActivityByType(n.Type)
		for _, p := range spec.Params {
			if p.Default != nil {
				delete(d.Nodes[i].Parameters, p.Name)
			}
		}
	}
	ex, err := s.send(ctx, http.MethodPost, "/processDefinitions", d, "")
	if err != nil {
		return err
	}
	if ex.Status == http.StatusCreated {
		return decodeInto(ex, &s.deployed)
	}
	return nil
}

func deployedVersion(ctx context.Context) error {
	if v := ps(ctx).deployed.Version; v <= 1 {
		return fmt.Errorf("version %d", v)
	}
	return nil
}

func deployedParam(ctx context.Context, id, param, want string) error {
	d := ps(ctx).deployed
	n, err := node(&d, id)
	if err != nil {
		return err
	}
	if got := fmt.Sprint(n.Parameters[param]); got != want {
		return fmt.Errorf("%s.%s = %q, want %q", id, param, got, want)
	}
	return nil
}
