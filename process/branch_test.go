package process_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/process"
)

// scriptedPasscodes answers each call as its script says: a start error per flow,
// a queue of completion errors (nil for success), and a Get User error or status.
type scriptedPasscodes struct {
	fakePasscodes
	mu           sync.Mutex
	startErrs    map[api.Flow]error
	completeErrs []error
}

func (s *scriptedPasscodes) StartPasscode(ctx context.Context, tenant string, flow api.Flow, storeName string, user api.UserRef, policy string) (*api.StartResponse, api.User, error) {
	s.mu.Lock()
	err := s.startErrs[flow]
	s.mu.Unlock()
	resp, u, ferr := s.fakePasscodes.StartPasscode(ctx, tenant, flow, storeName, user, policy)
	if err != nil {
		return nil, api.User{}, err
	}
	return resp, u, ferr
}

func (s *scriptedPasscodes) CompletePasscode(ctx context.Context, tenant string, flow api.Flow, storeName, sessionID string, body []byte) (*api.CompleteResponse, error) {
	s.mu.Lock()
	var err error
	if len(s.completeErrs) > 0 {
		err, s.completeErrs = s.completeErrs[0], s.completeErrs[1:]
	}
	s.mu.Unlock()
	resp, ferr := s.fakePasscodes.CompletePasscode(ctx, tenant, flow, storeName, sessionID, body)
	if err != nil {
		return nil, err
	}
	return resp, ferr
}

func apiErr(c api.Code) error { return api.NewError(c, "scripted") }

// fullDef returns the shipped passcodeRenewalFull definition as a fresh value.
func fullDef(tb testing.TB) process.Definition {
	tb.Helper()
	return shippedDef(tb, "passcodeRenewalFull")
}

// TestFullFlowTakesEveryBranch runs passcodeRenewalFull against scripted answers:
// each case takes other branches, and the history names them.
func TestFullFlowTakesEveryBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pc        *scriptedPasscodes
		history   string // node ids, with the condition taken after each: "->[errorCode X]"
		decision  process.Decision
		errorCode api.Code // of the error forms' step, and of the result when not PASS
	}{
		{"every default", &scriptedPasscodes{},
			"start getUser startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal simpleDecider->[decision PASS] endPass",
			process.DecisionPass, ""},
		{"no passcode falls through to registration", &scriptedPasscodes{startErrs: map[api.Flow]error{api.FlowRenewal: apiErr(api.CodePasscodeNotRegistered)}},
			"start getUser startPasscodeRenewal->[errorCode PASSCODE_NOT_REGISTERED] noPasscode startPasscodeRegistration passcodeRegistrationForm completePasscodeRegistration simpleDecider->[decision PASS] endPass",
			process.DecisionPass, api.CodePasscodeNotRegistered},
		{"locked user", &scriptedPasscodes{startErrs: map[api.Flow]error{api.FlowRenewal: apiErr(api.CodeUserLocked)}},
			"start getUser startPasscodeRenewal->[errorCode USER_LOCKED] lockedUser simpleDecider->[decision FAIL] endFail",
			process.DecisionFail, api.CodeUserLocked},
		{"unknown user", &scriptedPasscodes{fakePasscodes: fakePasscodes{getErr: apiErr(api.CodeUserNotFound)}},
			"start getUser->[errorCode USER_NOT_FOUND] unknownUser simpleDecider->[decision FAIL] endFail",
			process.DecisionFail, api.CodeUserNotFound},
		{"wrong passcode then a retry", &scriptedPasscodes{completeErrs: []error{apiErr(api.CodeInvalidProof), nil}},
			"start getUser startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal->[errorCode INVALID_PROOF] wrongPasscode startPasscodeRenewalRetry passcodeRenewalFormRetry completePasscodeRenewalRetry simpleDecider->[decision PASS] endPass",
			process.DecisionPass, api.CodeInvalidProof},
		{"wrong passcode twice", &scriptedPasscodes{completeErrs: []error{apiErr(api.CodeInvalidProof), apiErr(api.CodeInvalidProof)}},
			"start getUser startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal->[errorCode INVALID_PROOF] wrongPasscode startPasscodeRenewalRetry passcodeRenewalFormRetry completePasscodeRenewalRetry simpleDecider->[decision FAIL] endFail",
			process.DecisionFail, api.CodeInvalidProof},
		{"reused passcode then a retry", &scriptedPasscodes{completeErrs: []error{apiErr(api.CodePasscodeHistoryViolation), nil}},
			"start getUser startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal->[errorCode PASSCODE_HISTORY_VIOLATION] reusedPasscode startPasscodeRenewalRetry passcodeRenewalFormRetry completePasscodeRenewalRetry simpleDecider->[decision PASS] endPass",
			process.DecisionPass, api.CodePasscodeHistoryViolation},
		{"stale session", &scriptedPasscodes{completeErrs: []error{apiErr(api.CodeStaleSession)}},
			"start getUser startPasscodeRenewal passcodeRenewalForm completePasscodeRenewal simpleDecider endReview",
			process.DecisionReview, api.CodeStaleSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _ := newEngine(t, tt.pc)
			_, secret := newToken(t, e, process.TokenRequest{ProcessDefnName: "passcodeRenewalFull"})
			view, key, err := e.Start(context.Background(), "acme", secret)
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if view.Status != process.StatusWaiting {
					break
				}
				body := json.RawMessage(browserResponse)
				if view.Step.Type == process.TypeErrorForm {
					if view.Step.Error == nil || view.Step.Error.Code != tt.errorCode || view.Step.PasscodeRequirements != nil {
						t.Fatalf("error form %s: step %+v, want the error %s and no policy", view.Step.NodeID, view.Step, tt.errorCode)
					}
					body = json.RawMessage(`{}`)
				}
				if view, err = e.Submit(context.Background(), "acme", view.InstanceID, key, view.Step.NodeID, process.Submission{BrowserResponse: body}); err != nil {
					t.Fatal(err)
				}
			}
			if view.Status != process.StatusCompleted || view.Decision != tt.decision {
				t.Fatalf("instance %s with %q, want COMPLETED with %q", view.Status, view.Decision, tt.decision)
			}
			if tt.decision != process.DecisionPass && (view.Result == nil || view.Result.Error == nil || view.Result.Error.Code != tt.errorCode) {
				t.Fatalf("result %+v, want the error %s", view.Result, tt.errorCode)
			}
			in, err := e.Instance("acme", view.InstanceID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, h := range in.History {
				s := h.NodeID
				if h.Condition != nil {
					s += "->[" + h.Condition.String() + "]"
				}
				if i+1 < len(in.History) && h.Next != in.History[i+1].NodeID {
					t.Errorf("history entry %s says next %q, then comes %q", h.NodeID, h.Next, in.History[i+1].NodeID)
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != tt.history {
				t.Fatalf("history\n %s\nwant\n %s", strings.Join(got, " "), tt.history)
			}
		})
	}
}

// TestGetUserBranchesOnStatus: a Get User flow may test the user's status.
func TestGetUserBranchesOnStatus(t *testing.T) {
	t.Parallel()
	d := process.Definition{
		Name: "statusCheck",
		Nodes: []process.Node{
			{ID: "s", Type: process.TypeStartEvent, Name: "Start"},
			{ID: "g", Type: process.TypeGetUser, Parameters: map[string]any{"storeName": "default", "userId": "${token.user}"}},
			{ID: "disabled", Type: process.TypeErrorForm, Parameters: map[string]any{"dataFormName": "lockedUserForm", "formDataKey": "f1"}},
			{ID: "e", Type: process.TypeEndEvent, Name: "End"},
		},
		Flows: []process.Flow{
			{From: "s", To: "g"},
			{From: "g", To: "disabled", Condition: &process.Condition{UserStatus: api.StatusDisabled}},
			{From: "g", To: "e", Default: true},
			{From: "disabled", To: "e"},
		},
	}
	for _, tt := range []struct {
		status api.UserStatus
		want   process.Status
	}{{api.StatusDisabled, process.StatusWaiting}, {api.StatusActive, process.StatusCompleted}} {
		e, _ := newEngine(t, &fakePasscodes{status: tt.status})
		if _, err := e.Deploy("acme", d); err != nil {
			t.Fatal(err)
		}
		_, secret := newToken(t, e, process.TokenRequest{ProcessDefnName: "statusCheck", Parameters: map[string]string{"user": "UID"}})
		view, _, err := e.Start(context.Background(), "acme", secret)
		if err != nil {
			t.Fatal(err)
		}
		if view.Status != tt.want {
			t.Errorf("user %s: instance %s, want %s", tt.status, view.Status, tt.want)
		}
	}
}

func flowIndex(d process.Definition, from, to string) int {
	for i, f := range d.Flows {
		if f.From == from && f.To == to {
			return i
		}
	}
	return -1
}

// TestDeployRefusesBadBranches: each branch rule refuses a definition, naming the
// node, and deploys nothing.
func TestDeployRefusesBadBranches(t *testing.T) {
	t.Parallel()
	cond := func(c process.Condition) *process.Condition { return &c }
	tests := []struct {
		name       string
		mutate     func(d *process.Definition)
		node       string
		messageHas string
	}{
		{"no default", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "getUser", "startPasscodeRenewal")].Default = false
			d.Flows[flowIndex(*d, "getUser", "startPasscodeRenewal")].Condition = cond(process.Condition{UserStatus: api.StatusActive})
		}, "getUser", "no default flow"},
		{"two defaults", func(d *process.Definition) {
			i := flowIndex(*d, "simpleDecider", "endFail")
			d.Flows[i].Condition, d.Flows[i].Default = nil, true
		}, "simpleDecider", "2 default sequence flows"},
		{"neither condition nor default", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "simpleDecider", "endFail")].Condition = nil
		}, "simpleDecider", "no condition and is not the default"},
		{"default with a condition", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "simpleDecider", "endPass")].Default = true
		}, "simpleDecider", "is the default and has a condition"},
		{"unknown decision", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "simpleDecider", "endFail")].Condition = cond(process.Condition{Decision: "MAYBE"})
		}, "simpleDecider", `decision "MAYBE"`},
		{"unknown error code", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "completePasscodeRenewal", "wrongPasscode")].Condition = cond(process.Condition{ErrorCode: "WRONG_PASSCODE"})
		}, "completePasscodeRenewal", `errorCode "WRONG_PASSCODE"`},
		{"an error code the activity never ends with", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "getUser", "unknownUser")].Condition = cond(process.Condition{ErrorCode: api.CodePasscodeHistoryViolation})
		}, "getUser", "never has"},
		{"unknown user status", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "getUser", "unknownUser")].Condition = cond(process.Condition{UserStatus: "ASLEEP"})
		}, "getUser", `userStatus "ASLEEP"`},
		{"a decision on an activity", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "startPasscodeRenewal", "lockedUser")].Condition = cond(process.Condition{Decision: process.DecisionFail})
		}, "startPasscodeRenewal", "does not have"},
		{"two fields in one condition", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "getUser", "unknownUser")].Condition = cond(process.Condition{ErrorCode: api.CodeUserNotFound, UserStatus: api.StatusLocked})
		}, "getUser", "exactly one of"},
		{"the same condition twice", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "startPasscodeRenewal", "lockedUser")].Condition = cond(process.Condition{ErrorCode: api.CodePasscodeNotRegistered})
		}, "startPasscodeRenewal", "both test errorCode PASSCODE_NOT_REGISTERED"},
		{"a condition on a form", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "wrongPasscode", "startPasscodeRenewalRetry")].Condition = cond(process.Condition{ErrorCode: api.CodeInvalidProof})
		}, "wrongPasscode", "cannot branch"},
		{"two flows out of an error form", func(d *process.Definition) {
			d.Flows = append(d.Flows, process.Flow{From: "lockedUser", To: "endFail"})
		}, "lockedUser", "has exactly one"},
		{"a retry loop", func(d *process.Definition) {
			d.Flows[flowIndex(*d, "wrongPasscode", "startPasscodeRenewalRetry")].To = "passcodeRenewalForm"
		}, "passcodeRenewalForm", "cycle"},
		{"an unreachable branch", func(d *process.Definition) {
			d.Flows = append(d.Flows[:flowIndex(*d, "startPasscodeRenewal", "noPasscode")], d.Flows[flowIndex(*d, "startPasscodeRenewal", "noPasscode")+1:]...)
		}, "noPasscode", "not connected"},
		{"a user stored on one path only", func(d *process.Definition) {
			// A second Get User on the wrong-passcode path only: the retry, also
			// reached from the reused-passcode path, cannot take its user by key.
			d.Nodes = append(d.Nodes, process.Node{ID: "getUser2", Type: process.TypeGetUser,
				Parameters: map[string]any{"storeName": "default", "userExternalId": "${token.userExternalId}", "userKey": "user2"}})
			d.Flows[flowIndex(*d, "wrongPasscode", "startPasscodeRenewalRetry")].To = "getUser2"
			d.Flows = append(d.Flows, process.Flow{From: "getUser2", To: "startPasscodeRenewalRetry"})
			d.Nodes[nodeIndex(*d, "startPasscodeRenewalRetry")].Parameters["userKey"] = "user2"
		}, "startPasscodeRenewalRetry", `userKey "user2"`},
		{"an error form with a passcode field", func(d *process.Definition) {
			d.Nodes[nodeIndex(*d, "lockedUser")].Parameters["dataFormName"] = "passcodeRenewalFullForm"
		}, "lockedUser", "error form does not use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _ := newEngine(t, &fakePasscodes{})
			d := fullDef(t)
			tt.mutate(&d)
			problems := refused(t, e, d)
			found := false
			for _, p := range problems {
				found = found || (p.Node == tt.node && strings.Contains(p.Message, tt.messageHas))
			}
			if !found {
				t.Fatalf("problems %v have none for node %q with %q", problems, tt.node, tt.messageHas)
			}
			if latest, _ := e.Definition("acme", "passcodeRenewalFull", 0); latest.Version != 1 {
				t.Fatalf("a refused deploy made version %d", latest.Version)
			}
		})
	}
}
