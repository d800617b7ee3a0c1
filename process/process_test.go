package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures/processes"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/process"
)

// fakePasscodes records the calls the engine makes and answers with the errors it
// is told to.
type fakePasscodes struct {
	mu          sync.Mutex
	startErr    error
	completeErr error
	getErr      error
	status      api.UserStatus // of the users GetUser finds; ACTIVE when empty
	starts      []string
	completes   []string // the bodies
	gets        []string
}

func (f *fakePasscodes) GetUser(_ context.Context, tenant, storeName string, user api.UserRef) (api.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, strings.Join([]string{tenant, storeName, user.String()}, "|"))
	if f.getErr != nil {
		return api.User{}, f.getErr
	}
	status := f.status
	if status == "" {
		status = api.StatusActive
	}
	return api.User{ID: "UID", ExternalID: user.ExternalID, Status: status}, nil
}

func (f *fakePasscodes) StartPasscode(_ context.Context, tenant string, flow api.Flow, storeName string, user api.UserRef, policy string) (*api.StartResponse, api.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, strings.Join([]string{tenant, string(flow), storeName, user.String(), policy}, "|"))
	if f.startErr != nil {
		return nil, api.User{}, f.startErr
	}
	req := passcode.Requirements{MinimumLength: 8}
	return &api.StartResponse{
		PasscodeRequirements: &req,
		AlgorithmInfo:        api.AlgorithmInfo{Type: api.AlgorithmSRP, Parameters: api.SRPParameters{I: "ID", G: 2}},
		SessionID:            "SESSION-" + user.String(),
	}, api.User{ID: "UID", ExternalID: user.ExternalID, Status: api.StatusActive}, nil
}

func (f *fakePasscodes) CompletePasscode(_ context.Context, tenant string, flow api.Flow, storeName, sessionID string, body []byte) (*api.CompleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completes = append(f.completes, sessionID+"|"+string(body))
	if f.completeErr != nil {
		return nil, f.completeErr
	}
	return &api.CompleteResponse{
		AlgorithmInfo: &api.AlgorithmInfo{Type: api.AlgorithmSRP, Parameters: api.SRPParameters{HashAlgorithm: "SHA-256", M2: "bTI="}},
		User:          api.User{ID: "UID"},
	}, nil
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEngine returns an engine with the shipped fixtures loaded.
func newEngine(tb testing.TB, pc process.Passcodes) (*process.Engine, *clock) {
	tb.Helper()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e, err := process.NewEngine(process.Config{Passcodes: pc, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	bundles, err := processes.Bundles()
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bundles {
		if err := e.Load(b); err != nil {
			tb.Fatal(err)
		}
	}
	return e, clk
}

func newToken(tb testing.TB, e *process.Engine, r process.TokenRequest) (process.Token, string) {
	tb.Helper()
	if r.Name == "" {
		r.Name = "t1"
	}
	if r.ProcessDefnName == "" {
		r.ProcessDefnName = "passcodeRenewal"
	}
	if r.Type == "" {
		r.Type = process.TokenUnlimited
	}
	if r.Parameters == nil {
		r.Parameters = map[string]string{"userExternalId": "alice"}
	}
	tok, secret, err := e.CreateToken("acme", r)
	if err != nil {
		tb.Fatal(err)
	}
	return tok, secret
}

const browserResponse = `{"srpRegistrationData":{"verifier":"dg=="},"srpVerificationData":{"a":"YQ==","m1":"bTE="}}`

func TestFixturesMatchTheGuide(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, &fakePasscodes{})
	d, err := e.Definition("acme", "passcodeRenewal", 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, n := range d.Nodes {
		types = append(types, n.Type)
	}
	want := "startEvent startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal simpleDecider endEvent"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("node types %q, want %q", got, want)
	}
	params := map[string]map[string]any{
		"startPasscodeRenewal": {"passcodeRenewalKey": "passcodeRenewal1", "userKey": "user1"},
		"passcodeRenewalForm": {"dataFormVersion": 1, "formDataKey": "passcodeRenewalForm1",
			"passcodeAuthenticationKey": "passcodeRenewal1", "startingComponentId": "passcode-renewal", "uiComponentId": "passcode-renewal"},
		"completePasscodeRenewal": {"passcodeRenewalKey": "passcodeRenewal1", "startingComponentId": "passcode-verify",
			"uiComponentId": "renewal", "passcodeRenewalBrowserResponse": "${passcodeRenewalForm1.browserResponse}"},
	}
	for _, n := range d.Nodes {
		for k, v := range params[n.Type] {
			if n.Parameters[k] != v {
				t.Errorf("%s.%s = %v, want %v", n.ID, k, n.Parameters[k], v)
			}
		}
	}
	// The guide's defaults are the catalogue's defaults too.
	for typ, ps := range params {
		spec, _ := process.ActivityByType(typ)
		for k, v := range ps {
			p, _ := spec.Param(k)
			if p.Default != nil && p.Default != v {
				t.Errorf("default of %s.%s = %v, want %v", typ, k, p.Default, v)
			}
		}
	}
	for _, name := range []string{"passcodeRegistration", "passcodeAuthentication"} {
		if _, err := e.Definition("acme", name, 1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// renewalDef returns the guide's renewal definition as a fresh value to mutate.
func renewalDef(tb testing.TB) process.Definition {
	tb.Helper()
	return shippedDef(tb, "passcodeRenewal")
}

// shippedDef returns a definition of the shipped fixtures as a fresh value.
func shippedDef(tb testing.TB, name string) process.Definition {
	tb.Helper()
	bundles, err := processes.Bundles()
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range bundles {
		for _, d := range b.Definitions {
			if d.Name == name {
				raw, _ := json.Marshal(d)
				var c process.Definition
				if err := json.Unmarshal(raw, &c); err != nil {
					tb.Fatal(err)
				}
				return c
			}
		}
	}
	tb.Fatalf("no definition %q in the fixtures", name)
	return process.Definition{}
}

// refused deploys d and returns the problems of the refusal; it fails the test if
// the deploy went through.
func refused(tb testing.TB, e *process.Engine, d process.Definition) []process.Problem {
	tb.Helper()
	_, err := e.Deploy("acme", d)
	var ve *process.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, process.ErrInvalid) {
		tb.Fatalf("Deploy: %v, want a *ValidationError", err)
	}
	return ve.Problems
}

func nodeIndex(d process.Definition, id string) int {
	for i, n := range d.Nodes {
		if n.ID == id {
			return i
		}
	}
	return -1
}

func TestDeployRefusesBadDefinitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		mutate        func(d *process.Definition)
		node, param   string
		messageHas    string
		wantAnotherOK bool
	}{
		{"unknown activity", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "simpleDecider")].Type = "complexDecider"
		}, "simpleDecider", "type", "unknown activity", false},
		{"missing required parameter", func(d *process.Definition) {
			delete(d.Nodes[nodeIndex(*d, "startPasscodeRenewal")].Parameters, "passcodePolicy")
		}, "startPasscodeRenewal", "passcodePolicy", "required", false},
		{"missing user", func(d *process.Definition) {
			delete(d.Nodes[nodeIndex(*d, "startPasscodeRenewal")].Parameters, "userExternalId")
		}, "startPasscodeRenewal", "userExternalId", "userId or userExternalId", false},
		{"unknown parameter", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "passcodeRenewalForm")].Parameters["colour"] = "blue"
		}, "passcodeRenewalForm", "colour", "unknown parameter", false},
		{"wrong type", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "passcodeRenewalForm")].Parameters["dataFormVersion"] = "one"
		}, "passcodeRenewalForm", "dataFormVersion", "Integer", false},
		{"unknown form version", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "passcodeRenewalForm")].Parameters["dataFormVersion"] = 7
		}, "passcodeRenewalForm", "dataFormName", "version 7", false},
		{"form of another flow", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "passcodeRenewalForm")].Parameters["dataFormName"] = "passcodeAuthenticationForm"
		}, "passcodeRenewalForm", "dataFormName", "newPasscode", false},
		{"unstarted attempt", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "completePasscodeRenewal")].Parameters["passcodeRenewalKey"] = "passcodeRenewal2"
		}, "completePasscodeRenewal", "passcodeRenewalKey", "no earlier", false},
		{"substitution of nothing", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "completePasscodeRenewal")].Parameters["passcodeRenewalBrowserResponse"] = "${otherForm.browserResponse}"
		}, "completePasscodeRenewal", "passcodeRenewalBrowserResponse", "no variable", false},
		{"unconnected node", func(d *process.Definition) {
			d.Nodes = append(d.Nodes, process.Node{ID: "lonely", Type: "simpleDecider"})
		}, "lonely", "", "not connected", false},
		{"unreachable node", func(d *process.Definition) {
			d.Nodes = append(d.Nodes, process.Node{ID: "island", Type: "simpleDecider"},
				process.Node{ID: "end2", Type: "endEvent", Name: "End 2"})
			d.Flows = append(d.Flows, process.Flow{From: "island", To: "end2"}, process.Flow{From: "end2", To: "island"})
		}, "end2", "flows[6]", "leave an end event", false},
		{"unreachable chain", func(d *process.Definition) {
			d.Nodes = append(d.Nodes, process.Node{ID: "a", Type: "simpleDecider"}, process.Node{ID: "b", Type: "simpleDecider"})
			d.Flows = append(d.Flows, process.Flow{From: "a", To: "b"}, process.Flow{From: "b", To: "a"})
		}, "a", "", "unreachable", false},
		{"cycle", func(d *process.Definition) {
			for i, f := range d.Flows {
				if f.From == "simpleDecider" {
					d.Flows[i].To = "passcodeRenewalForm"
				}
			}
		}, "passcodeRenewalForm", "", "cycle", false},
		{"dead end", func(d *process.Definition) {
			for i, f := range d.Flows {
				if f.From == "simpleDecider" {
					d.Flows = append(d.Flows[:i], d.Flows[i+1:]...)
					break
				}
			}
		}, "simpleDecider", "", "no sequence flow leaves it", false},
		{"no start event", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "start")].Type = "endEvent"
		}, "", "nodes", "start event", false},
		{"unnamed event", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "end")].Name = ""
		}, "end", "name", "needs a name", false},
		{"duplicate id", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "simpleDecider")].ID = "start"
		}, "start", "id", "twice", false},
		{"bad name", func(d *process.Definition) {
			d.Name = "../etc"
		}, "", "name", "definition name", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _ := newEngine(t, &fakePasscodes{})
			d := renewalDef(t)
			tt.mutate(&d)
			problems := refused(t, e, d)
			for _, p := range problems {
				if p.Node == tt.node && p.Parameter == tt.param && strings.Contains(p.Message, tt.messageHas) {
					return
				}
			}
			t.Fatalf("problems %v have none for node %q parameter %q with %q", problems, tt.node, tt.param, tt.messageHas)
		})
	}
}

func TestDeployVersionsAndDefaults(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, &fakePasscodes{})
	d := renewalDef(t)
	// Leave out every parameter with a default: deploy fills them in.
	for i, n := range d.Nodes {
		spec, _ := process.ActivityByType(n.Type)
		for _, p := range spec.Params {
			if p.Default != nil {
				delete(d.Nodes[i].Parameters, p.Name)
			}
		}
	}
	got, err := e.Deploy("acme", d)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("version %d, want 2 (the fixtures deployed 1)", got.Version)
	}
	form := got.Nodes[nodeIndex(got, "passcodeRenewalForm")]
	if form.Parameters["formDataKey"] != "passcodeRenewalForm1" || form.Parameters["dataFormVersion"] != 1 {
		t.Fatalf("defaults not filled in: %v", form.Parameters)
	}
	if latest, _ := e.Definition("acme", "passcodeRenewal", 0); latest.Version != 2 {
		t.Fatalf("latest version %d", latest.Version)
	}
	if _, err := e.Definition("acme", "passcodeRenewal", 3); !errors.Is(err, process.ErrDefinitionNotFound) {
		t.Fatalf("version 3: %v", err)
	}
	if _, err := e.Definition("globex", "passcodeRenewal", 0); !errors.Is(err, process.ErrDefinitionNotFound) {
		t.Fatalf("another tenant sees the definition: %v", err)
	}
}

func TestInstanceRunsEveryActivityInOrder(t *testing.T) {
	t.Parallel()
	pc := &fakePasscodes{}
	e, _ := newEngine(t, pc)
	_, secret := newToken(t, e, process.TokenRequest{})
	view, key, err := e.Start(context.Background(), "acme", secret)
	if err != nil {
		t.Fatal(err)
	}
	if view.Status != process.StatusWaiting || view.Step == nil || view.Step.NodeID != "passcodeRenewalForm" {
		t.Fatalf("after start: %+v", view)
	}
	if view.Step.StartingComponentID != "passcode-renewal" || view.Step.Form.Name != "passcodeRenewalForm" ||
		view.Step.PasscodeRequirements == nil || view.Step.AlgorithmInfo.Parameters.I != "ID" {
		t.Fatalf("form step: %+v", view.Step)
	}
	if want := "acme|renewal|default|ext:alice|standard"; len(pc.starts) != 1 || pc.starts[0] != want {
		t.Fatalf("starts %v, want %q", pc.starts, want)
	}
	if _, err := e.Submit(context.Background(), "acme", view.InstanceID, "wrong-key", "passcodeRenewalForm",
		process.Submission{BrowserResponse: json.RawMessage(browserResponse)}); !errors.Is(err, process.ErrInstanceNotFound) {
		t.Fatalf("wrong access key: %v", err)
	}
	if _, err := e.Submit(context.Background(), "acme", view.InstanceID, key, "completePasscodeRenewal",
		process.Submission{BrowserResponse: json.RawMessage(browserResponse)}); !errors.Is(err, process.ErrStepNotActive) {
		t.Fatalf("submission to another node: %v", err)
	}
	done, err := e.Submit(context.Background(), "acme", view.InstanceID, key, "passcodeRenewalForm",
		process.Submission{BrowserResponse: json.RawMessage(browserResponse)})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != process.StatusCompleted || done.Decision != process.DecisionPass || done.Result == nil ||
		done.Result.AlgorithmInfo == nil || done.Result.AlgorithmInfo.Parameters.M2 != "bTI=" {
		t.Fatalf("after submit: %+v", done)
	}
	// Variable substitution carried the browser response, byte for byte.
	if want := "SESSION-ext:alice|" + browserResponse; len(pc.completes) != 1 || pc.completes[0] != want {
		t.Fatalf("completes %v, want %q", pc.completes, want)
	}
	in, err := e.Instance("acme", view.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range in.History {
		if h.Outcome != process.OutcomeCompleted {
			t.Errorf("%s: outcome %s", h.NodeID, h.Outcome)
		}
		order = append(order, h.NodeID)
	}
	if got, want := strings.Join(order, ","), "start,startPasscodeRenewal,passcodeRenewalForm,completePasscodeRenewal,simpleDecider,end"; got != want {
		t.Fatalf("history %s, want %s", got, want)
	}
	if in.Decision != process.DecisionPass || in.CurrentStep != nil {
		t.Fatalf("instance %+v", in)
	}
	raw, _ := json.Marshal(in)
	if strings.Contains(string(raw), "srpVerificationData") || strings.Contains(string(raw), "SESSION-") {
		t.Fatalf("the admin view leaks the browser response or the session: %s", raw)
	}
	if _, err := e.Submit(context.Background(), "acme", view.InstanceID, key, "passcodeRenewalForm",
		process.Submission{BrowserResponse: json.RawMessage(browserResponse)}); !errors.Is(err, process.ErrStepNotActive) {
		t.Fatalf("second submission: %v", err)
	}
}

func TestDecider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		startErr    error
		completeErr error
		want        process.Decision
		outcomes    string
	}{
		{"pass", nil, nil, process.DecisionPass, "COMPLETED,COMPLETED,COMPLETED,COMPLETED,COMPLETED,COMPLETED"},
		{"wrong existing passcode", nil, api.NewError(api.CodeInvalidProof, "no"), process.DecisionFail,
			"COMPLETED,COMPLETED,COMPLETED,FAILED,COMPLETED,COMPLETED"},
		{"history violation", nil, api.NewError(api.CodePasscodeHistoryViolation, "no"), process.DecisionFail,
			"COMPLETED,COMPLETED,COMPLETED,FAILED,COMPLETED,COMPLETED"},
		{"stale session", nil, api.NewError(api.CodeStaleSession, "no"), process.DecisionReview,
			"COMPLETED,COMPLETED,COMPLETED,FAILED,COMPLETED,COMPLETED"},
		{"server failure", nil, errors.New("disk on fire"), process.DecisionReview,
			"COMPLETED,COMPLETED,COMPLETED,FAILED,COMPLETED,COMPLETED"},
		{"locked user", api.NewError(api.CodeUserLocked, "locked"), nil, process.DecisionFail,
			"COMPLETED,FAILED,SKIPPED,SKIPPED,COMPLETED,COMPLETED"},
		{"unknown store", api.NewError(api.CodeStoreNotFound, "no"), nil, process.DecisionReview,
			"COMPLETED,FAILED,SKIPPED,SKIPPED,COMPLETED,COMPLETED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pc := &fakePasscodes{startErr: tt.startErr, completeErr: tt.completeErr}
			e, _ := newEngine(t, pc)
			_, secret := newToken(t, e, process.TokenRequest{})
			view, key, err := e.Start(context.Background(), "acme", secret)
			if err != nil {
				t.Fatal(err)
			}
			if view.Status == process.StatusWaiting {
				view, err = e.Submit(context.Background(), "acme", view.InstanceID, key, view.Step.NodeID,
					process.Submission{BrowserResponse: json.RawMessage(browserResponse)})
				if err != nil {
					t.Fatal(err)
				}
			}
			if view.Decision != tt.want {
				t.Fatalf("decision %s, want %s", view.Decision, tt.want)
			}
			in, _ := e.Instance("acme", view.InstanceID)
			var outs []string
			for _, h := range in.History {
				outs = append(outs, h.Outcome)
			}
			if got := strings.Join(outs, ","); got != tt.outcomes {
				t.Fatalf("outcomes %s, want %s", got, tt.outcomes)
			}
			if tt.want != process.DecisionPass {
				if view.Result == nil || view.Result.Error == nil {
					t.Fatalf("no error in the result: %+v", view.Result)
				}
				if strings.Contains(view.Result.Error.Message, "disk") {
					t.Fatalf("internal error text reached the page: %q", view.Result.Error.Message)
				}
			}
		})
	}
}

func TestTokenLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("count limited", func(t *testing.T) {
		t.Parallel()
		e, _ := newEngine(t, &fakePasscodes{})
		tok, secret := newToken(t, e, process.TokenRequest{Type: process.TokenCountLimited, MaxUses: 2})
		for i := range 2 {
			if _, _, err := e.Start(ctx, "acme", secret); err != nil {
				t.Fatalf("use %d: %v", i+1, err)
			}
		}
		if _, _, err := e.Start(ctx, "acme", secret); !errors.Is(err, process.ErrTokenExhausted) {
			t.Fatalf("third use: %v", err)
		}
		if got, _ := e.Token("acme", tok.ID); got.Uses != 2 {
			t.Fatalf("uses %d", got.Uses)
		}
		if n := len(e.Instances("acme", process.InstanceFilter{ProcessTokenID: tok.ID})); n != 2 {
			t.Fatalf("%d instances", n)
		}
	})
	t.Run("time limited", func(t *testing.T) {
		t.Parallel()
		e, clk := newEngine(t, &fakePasscodes{})
		_, secret := newToken(t, e, process.TokenRequest{Type: process.TokenTimeLimited, ExpiresAt: clk.Now().Add(time.Minute)})
		if _, _, err := e.Start(ctx, "acme", secret); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if _, _, err := e.Start(ctx, "acme", secret); !errors.Is(err, process.ErrTokenExpired) {
			t.Fatalf("after expiry: %v", err)
		}
	})
	t.Run("inactive", func(t *testing.T) {
		t.Parallel()
		e, _ := newEngine(t, &fakePasscodes{})
		tok, secret := newToken(t, e, process.TokenRequest{Status: process.TokenInactive})
		if _, _, err := e.Start(ctx, "acme", secret); !errors.Is(err, process.ErrTokenInactive) {
			t.Fatalf("inactive: %v", err)
		}
		if _, err := e.UpdateToken("acme", tok.ID, process.TokenUpdate{Status: process.TokenActive}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Start(ctx, "acme", secret); err != nil {
			t.Fatalf("reactivated: %v", err)
		}
	})
	t.Run("unknown and other tenant", func(t *testing.T) {
		t.Parallel()
		e, _ := newEngine(t, &fakePasscodes{})
		_, secret := newToken(t, e, process.TokenRequest{})
		if _, _, err := e.Start(ctx, "globex", secret); !errors.Is(err, process.ErrTokenNotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		if _, _, err := e.Start(ctx, "acme", secret+"x"); !errors.Is(err, process.ErrTokenNotFound) {
			t.Fatalf("wrong secret: %v", err)
		}
	})
}

func TestTokenRequestValidation(t *testing.T) {
	t.Parallel()
	e, clk := newEngine(t, &fakePasscodes{})
	tests := []struct {
		name  string
		req   process.TokenRequest
		param string
	}{
		{"no type", process.TokenRequest{Name: "t", ProcessDefnName: "passcodeRenewal"}, "type"},
		{"count without maxUses", process.TokenRequest{Name: "t", ProcessDefnName: "passcodeRenewal", Type: process.TokenCountLimited}, "maxUses"},
		{"time in the past", process.TokenRequest{Name: "t", ProcessDefnName: "passcodeRenewal", Type: process.TokenTimeLimited, ExpiresAt: clk.Now()}, "expiresAt"},
		{"bad status", process.TokenRequest{Name: "t", ProcessDefnName: "passcodeRenewal", Type: process.TokenUnlimited, Status: "ON"}, "status"},
		{"bad name", process.TokenRequest{Name: "", ProcessDefnName: "passcodeRenewal", Type: process.TokenUnlimited}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.CreateToken("acme", tt.req)
			var ve *process.ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Parameter != tt.param {
				t.Fatalf("CreateToken: %v, want a problem with %q", err, tt.param)
			}
		})
	}
	_, _, err := e.CreateToken("acme", process.TokenRequest{Name: "t", ProcessDefnName: "nope", Type: process.TokenUnlimited})
	if !errors.Is(err, process.ErrDefinitionNotFound) {
		t.Fatalf("unknown definition: %v", err)
	}
}

func TestFormValidation(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, &fakePasscodes{})
	pw := func(role string) process.Component {
		return process.Component{Type: "password", Key: role, Role: role, Label: role}
	}
	tests := []struct {
		name  string
		form  process.Form
		param string
	}{
		{"no title", process.Form{Name: "f", Components: []process.Component{pw("newPasscode")}}, "title"},
		{"bad role", process.Form{Name: "f", Title: process.Text{"en": "t"}, Components: []process.Component{pw("oldPasscode")}}, "components[0].role"},
		{"bad type", process.Form{Name: "f", Title: process.Text{"en": "t"}, Components: []process.Component{{Type: "select", Key: "k"}}}, "components[0].type"},
		{"confirm alone", process.Form{Name: "f", Title: process.Text{"en": "t"}, Components: []process.Component{pw("existingPasscode"), pw("confirmPasscode")}}, "components"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.SaveForm("acme", tt.form)
			var ve *process.ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Parameter != tt.param {
				t.Fatalf("SaveForm: %v, want a first problem with %q", err, tt.param)
			}
		})
	}
	f, err := e.SaveForm("acme", process.Form{Name: "passcodeRenewalForm", Title: process.Text{"en": "v2"},
		Components: []process.Component{pw("existingPasscode"), pw("newPasscode")}})
	if err != nil || f.Version != 2 {
		t.Fatalf("second version: %+v, %v", f, err)
	}
	var text process.Text
	if err := json.Unmarshal([]byte(`"Renew"`), &text); err != nil || text["en"] != "Renew" {
		t.Fatalf("title from a string: %v %v", text, err)
	}
}

func TestSubstitutionFromTokenAndUser(t *testing.T) {
	t.Parallel()
	pc := &fakePasscodes{}
	e, _ := newEngine(t, pc)
	// An authentication, then a renewal of the same user through userKey, without
	// naming the user again.
	d := process.Definition{
		Name: "authThenRenew",
		Nodes: []process.Node{
			{ID: "s", Type: "startEvent", Name: "Start"},
			{ID: "a1", Type: "startPasscodeAuthentication", Parameters: map[string]any{
				"passcodePolicy": "standard", "storeName": "${token.store}", "userId": "${token.user}"}},
			{ID: "a2", Type: "passcodeAuthenticationForm", Parameters: map[string]any{"dataFormName": "passcodeAuthenticationForm"}},
			{ID: "a3", Type: "completePasscodeAuthentication"},
			{ID: "r1", Type: "startPasscodeRenewal", Parameters: map[string]any{"passcodePolicy": "standard", "storeName": "${token.store}"}},
			{ID: "d", Type: "simpleDecider"},
			{ID: "e", Type: "endEvent", Name: "End"},
		},
		Flows: []process.Flow{{From: "s", To: "a1"}, {From: "a1", To: "a2"}, {From: "a2", To: "a3"}, {From: "a3", To: "r1"}, {From: "r1", To: "d"}, {From: "d", To: "e"}},
	}
	if _, err := e.Deploy("acme", d); err != nil {
		t.Fatal(err)
	}
	_, secret := newToken(t, e, process.TokenRequest{ProcessDefnName: "authThenRenew",
		Parameters: map[string]string{"store": "default", "user": "UID0"}})
	view, key, err := e.Start(context.Background(), "acme", secret)
	if err != nil {
		t.Fatal(err)
	}
	// The complete activity has no browser response parameter: it takes its form's.
	if _, err := e.Submit(context.Background(), "acme", view.InstanceID, key, "a2",
		process.Submission{BrowserResponse: json.RawMessage(`{"srpVerificationData":{"a":"YQ==","m1":"bTE="}}`)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"acme|authentication|default|id:UID0|standard", "acme|renewal|default|id:UID|standard"}
	if strings.Join(pc.starts, " ") != strings.Join(want, " ") {
		t.Fatalf("starts %v, want %v", pc.starts, want)
	}
	if len(pc.completes) != 1 || !strings.HasSuffix(pc.completes[0], `"m1":"bTE="}}`) {
		t.Fatalf("completes %v", pc.completes)
	}
}

func TestSubmitRefusesNonObject(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, &fakePasscodes{})
	_, secret := newToken(t, e, process.TokenRequest{})
	view, key, err := e.Start(context.Background(), "acme", secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"", "[]", "\"x\"", "{"} {
		_, err := e.Submit(context.Background(), "acme", view.InstanceID, key, "passcodeRenewalForm",
			process.Submission{BrowserResponse: json.RawMessage(body)})
		if !errors.Is(err, process.ErrInvalid) {
			t.Errorf("body %q: %v", body, err)
		}
	}
	// Still waiting: a refused submission moves nothing.
	if v, _ := e.Step("acme", view.InstanceID, key); v.Status != process.StatusWaiting {
		t.Fatalf("status %s", v.Status)
	}
}

func TestMaxInstances(t *testing.T) {
	t.Parallel()
	e, err := process.NewEngine(process.Config{Passcodes: &fakePasscodes{}, MaxInstances: 2})
	if err != nil {
		t.Fatal(err)
	}
	bundles, _ := processes.Bundles()
	for _, b := range bundles {
		if err := e.Load(b); err != nil {
			t.Fatal(err)
		}
	}
	_, secret := newToken(t, e, process.TokenRequest{})
	var first string
	for i := range 3 {
		v, _, err := e.Start(context.Background(), "acme", secret)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = v.InstanceID
		}
	}
	if n := len(e.Instances("acme", process.InstanceFilter{})); n != 2 {
		t.Fatalf("%d instances kept, want 2", n)
	}
	if _, err := e.Instance("acme", first); !errors.Is(err, process.ErrInstanceNotFound) {
		t.Fatalf("oldest instance: %v", err)
	}
}
