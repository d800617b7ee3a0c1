package process

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
)

// Status is an instance's state.
type Status string

// The instance states.
const (
	// StatusRunning is an instance whose activities are running right now.
	StatusRunning Status = "RUNNING"
	// StatusWaiting is an instance waiting at a form for the browser's answer.
	StatusWaiting Status = "WAITING"
	// StatusCompleted is an instance that reached an end event.
	StatusCompleted Status = "COMPLETED"
)

// Decision is the simple decider's outcome.
type Decision string

// The decisions.
const (
	// DecisionPass: every passcode activity succeeded.
	DecisionPass Decision = "PASS"
	// DecisionFail: an activity failed because of what the user (or their browser)
	// did or is: a wrong passcode, a reused one, a locked, disabled or unknown user.
	DecisionFail Decision = "FAIL"
	// DecisionReview: the outcome says nothing certain about the user: a session that
	// expired or went stale, a misconfigured flow, a server failure, or no passcode
	// activity completed at all.
	DecisionReview Decision = "REVIEW"
)

// Outcomes of one node in an instance's history.
const (
	OutcomeCompleted = "COMPLETED"
	OutcomeFailed    = "FAILED"
	// OutcomeSkipped is a form or complete activity of an attempt whose start failed.
	OutcomeSkipped = "SKIPPED"
)

// Step is the node an instance waits at.
type Step struct {
	NodeID              string   `json:"nodeId"`
	Type                string   `json:"type"`
	Name                string   `json:"name"`
	Flow                api.Flow `json:"flow,omitempty"`
	StartingComponentID string   `json:"startingComponentId,omitempty"`
	UIComponentID       string   `json:"uiComponentId,omitempty"`
	FormName            string   `json:"dataFormName,omitempty"`
	FormVersion         int      `json:"dataFormVersion,omitempty"`
}

// HistoryEntry is one node an instance passed, in order.
type HistoryEntry struct {
	NodeID              string     `json:"nodeId"`
	Type                string     `json:"type"`
	Name                string     `json:"name"`
	Outcome             string     `json:"outcome"`
	StartingComponentID string     `json:"startingComponentId,omitempty"`
	UIComponentID       string     `json:"uiComponentId,omitempty"`
	Error               *api.Error `json:"error,omitempty"`
	Decision            Decision   `json:"decision,omitempty"`
	// Next is the node the instance went on to, and Condition the condition of the
	// sequence flow it took (nil for a default or only flow).
	Next      string     `json:"next,omitempty"`
	Condition *Condition `json:"condition,omitempty"`
	StartedAt time.Time  `json:"startedAt"`
	EndedAt   time.Time  `json:"endedAt"`
}

// Instance is the administrator's view of a process instance: where it is, what it
// passed, and the decision. It holds no secrets: no SRP values, no browser response.
type Instance struct {
	ID                 string         `json:"id"`
	ProcessDefnName    string         `json:"processDefnName"`
	ProcessDefnVersion int            `json:"processDefnVersion"`
	ProcessTokenID     string         `json:"processTokenId"`
	Status             Status         `json:"status"`
	CurrentStep        *Step          `json:"currentStep,omitempty"`
	History            []HistoryEntry `json:"history"`
	Decision           Decision       `json:"decision,omitempty"`
	CreatedAt          time.Time      `json:"createdAt"`
	UpdatedAt          time.Time      `json:"updatedAt"`
}

// View is the end user's view of an instance, what the page renders.
type View struct {
	InstanceID string `json:"instanceId"`
	Status     Status `json:"status"`
	// Step is the form to fill when Status is WAITING.
	Step *PageStep `json:"step,omitempty"`
	// Decision and Result are set when Status is COMPLETED.
	Decision Decision `json:"decision,omitempty"`
	Result   *Result  `json:"result,omitempty"`
}

// PageStep is a waiting form step with everything the browser needs: for a
// passcode form the policy and the SRP parameters, for an error form the error it
// tells the user about (the latest failure not recovered from, if any).
type PageStep struct {
	NodeID               string                 `json:"nodeId"`
	Type                 string                 `json:"type"`
	Flow                 api.Flow               `json:"flow"`
	StartingComponentID  string                 `json:"startingComponentId"`
	UIComponentID        string                 `json:"uiComponentId"`
	Form                 Form                   `json:"form"`
	PasscodeRequirements *passcode.Requirements `json:"passcodeRequirements,omitempty"`
	AlgorithmInfo        api.AlgorithmInfo      `json:"algorithmInfo,omitzero"`
	Error                *api.Error             `json:"error,omitempty"`
}

// Result is the outcome of an instance's passcode attempts for the page: the first
// error, or the server's proof m2 of the last completion for the browser to check.
type Result struct {
	Flow          api.Flow           `json:"flow,omitempty"`
	Error         *api.Error         `json:"error,omitempty"`
	AlgorithmInfo *api.AlgorithmInfo `json:"algorithmInfo,omitempty"`
	User          *api.User          `json:"user,omitempty"`
}

// Submission is the browser's answer to a form step.
type Submission struct {
	// BrowserResponse is the completion request the page built: for a renewal
	// {"srpRegistrationData": {...}, "srpVerificationData": {...}}.
	BrowserResponse json.RawMessage `json:"browserResponse"`
}

// attempt is one passcode attempt of an instance, named by its attempt key, or
// one Get User look-up (lookup set).
type attempt struct {
	lookup    bool
	user      api.User // the look-up's user
	branched  bool     // a sequence flow naming err was taken
	recovered bool     // and a later attempt began: the decider ignores err
	flow      api.Flow
	storeName string
	sessionID string
	start     *api.StartResponse
	response  []byte // the browser response of its form
	result    *api.CompleteResponse
	err       *api.Error
	completed bool
}

// instance is the engine's record of one instance. mu guards everything below it;
// it is held while activities run, so one instance runs one thing at a time.
type instance struct {
	mu       sync.Mutex
	id       string
	tenant   string
	def      Definition
	tokenID  string
	keyHash  [sha256.Size]byte
	status   Status
	cur      string // the node running, or waited at
	vars     map[string]string
	attempts map[string]*attempt // passcode attempts by key
	tried    []*attempt          // attempts and look-ups in the order they began
	history  []HistoryEntry
	decision Decision
	created  time.Time
	updated  time.Time
}
