package process

import (
	"github.com/seedb14f67b8/renewkit/api"
)

// Node types that are events rather than activities.
const (
	TypeStartEvent = "startEvent"
	TypeEndEvent   = "endEvent"
)

// The activity types of the guide, and their registration and authentication
// counterparts built the same way.
const (
	TypeStartPasscodeRenewal           = "startPasscodeRenewal"
	TypePasscodeRenewalForm            = "passcodeRenewalForm"
	TypeCompletePasscodeRenewal        = "completePasscodeRenewal"
	TypeStartPasscodeRegistration      = "startPasscodeRegistration"
	TypePasscodeRegistrationForm       = "passcodeRegistrationForm"
	TypeCompletePasscodeRegistration   = "completePasscodeRegistration"
	TypeStartPasscodeAuthentication    = "startPasscodeAuthentication"
	TypePasscodeAuthenticationForm     = "passcodeAuthenticationForm"
	TypeCompletePasscodeAuthentication = "completePasscodeAuthentication"
	TypeSimpleDecider                  = "simpleDecider"
	// TypeGetUser is the guide's 'Get User': it looks a user up and stores it under
	// its user key for later activities.
	TypeGetUser = "getUser"
	// TypeErrorForm shows a custom form that tells the end user about an outcome
	// (a wrong passcode, a locked user, no passcode yet) and continues along its
	// flow when they press its button.
	TypeErrorForm = "errorForm"
)

// Parameter names shared by several activities.
const (
	ParamPasscodePolicy      = "passcodePolicy"
	ParamStoreName           = "storeName"
	ParamUserExternalID      = "userExternalId"
	ParamUserID              = "userId"
	ParamUserKey             = "userKey"
	ParamDataFormName        = "dataFormName"
	ParamDataFormVersion     = "dataFormVersion"
	ParamFormDataKey         = "formDataKey"
	ParamStartingComponentID = "startingComponentId"
	ParamUIComponentID       = "uiComponentId"
)

// Kind is what an activity does in an instance.
type Kind int

// The kinds of node.
const (
	// KindEvent is a start or end event.
	KindEvent Kind = iota
	// KindStart starts a passcode session (the API's start call).
	KindStart
	// KindForm shows a custom form to the end user and waits for the browser's answer.
	KindForm
	// KindComplete completes the session with the browser's answer (the API's
	// completion call).
	KindComplete
	// KindDecider reaches the instance's decision: PASS, FAIL or REVIEW.
	KindDecider
	// KindGetUser looks a user up in an identity store.
	KindGetUser
	// KindErrorForm shows a form without passcode fields and waits for the end
	// user to continue.
	KindErrorForm
)

// ParamType is the type of an activity parameter, as in the guide's tables.
type ParamType string

// The parameter types.
const (
	String  ParamType = "String"
	Integer ParamType = "Integer"
)

// ParamSpec describes one input parameter of an activity: the guide's table row.
type ParamSpec struct {
	Name        string    `json:"name"`
	Label       string    `json:"label"`
	Type        ParamType `json:"type"`
	Required    bool      `json:"required"`
	Default     any       `json:"default,omitempty"`
	Description string    `json:"description"`
}

// ActivitySpec describes one node type: its label in the guide, its kind, the
// passcode flow it belongs to (empty for events, the decider, Get User and error
// forms), its parameters, and what a conditional sequence flow out of it may test.
type ActivitySpec struct {
	Type     string       `json:"type"`
	Label    string       `json:"label"`
	Kind     Kind         `json:"-"`
	Flow     api.Flow     `json:"flow,omitempty"`
	Params   []ParamSpec  `json:"parameters"`
	Branches []BranchSpec `json:"branches,omitempty"`
}

// BranchSpec is one field a condition on a sequence flow out of a node may test,
// with every value it may name. A node type without Branches has exactly one
// outgoing flow.
type BranchSpec struct {
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

// Branch returns the values a condition of field may name on this node type, and
// whether the field applies at all.
func (a ActivitySpec) Branch(field string) ([]string, bool) {
	for _, b := range a.Branches {
		if b.Field == field {
			return b.Values, true
		}
	}
	return nil, false
}

// Param returns the spec of the named parameter.
func (a ActivitySpec) Param(name string) (ParamSpec, bool) {
	for _, p := range a.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ParamSpec{}, false
}

// AttemptKeyParam is the name of the parameter that names the passcode attempt (the
// guide's "Passcode Renewal Key"): passcodeRenewalKey, passcodeRegistrationKey or
// passcodeAuthenticationKey. The renewal form's parameter is spelled
// passcodeAuthenticationKey, as the guide's table labels it ("Passcode
// Authentication Key", default passcodeRenewal1).
func (a ActivitySpec) AttemptKeyParam() string {
	switch {
	case a.Kind == KindForm:
		if a.Flow == api.FlowRegistration {
			return "passcodeRegistrationKey"
		}
		return "passcodeAuthenticationKey"
	case a.Kind == KindStart || a.Kind == KindComplete:
		return "passcode" + title(a.Flow) + "Key"
	}
	return ""
}

// BrowserResponseParam is the complete activity's parameter holding the browser's
// answer: passcodeRenewalBrowserResponse and its counterparts; "" for other kinds.
func (a ActivitySpec) BrowserResponseParam() string {
	if a.Kind != KindComplete {
		return ""
	}
	return "passcode" + title(a.Flow) + "BrowserResponse"
}

// title is the flow's name inside activity and parameter names.
func title(f api.Flow) string {
	switch f {
	case api.FlowRegistration:
		return "Registration"
	case api.FlowAuthentication:
		return "Authentication"
	case api.FlowRenewal:
		return "Renewal"
	}
	return ""
}

// lowerFlow is the flow's name in default keys and component ids.
func lowerFlow(f api.Flow) string { return string(f) }

// Activities returns every node type in a fixed order: the two events, then for each
// flow (renewal, registration, authentication) its start, form and complete
// activities, then the simple decider, Get User and the error form. A function, not
// a variable, so that nothing can change the catalogue.
func Activities() []ActivitySpec {
	out := []ActivitySpec{
		{Type: TypeStartEvent, Label: "Start", Kind: KindEvent},
		{Type: TypeEndEvent, Label: "End", Kind: KindEvent},
	}
	for _, f := range []api.Flow{api.FlowRenewal, api.FlowRegistration, api.FlowAuthentication} {
		out = append(out, startSpec(f), formSpec(f), completeSpec(f))
	}
	return append(out,
		ActivitySpec{Type: TypeSimpleDecider, Label: "Simple Decider", Kind: KindDecider,
			Branches: []BranchSpec{{Field: CondDecision, Values: []string{string(DecisionPass), string(DecisionFail), string(DecisionReview)}}}},
		getUserSpec(), errorFormSpec())
}

// Condition fields (Condition's JSON names).
const (
	CondDecision   = "decision"
	CondErrorCode  = "errorCode"
	CondUserStatus = "userStatus"
)

// codes turns codes into the strings of a BranchSpec.
func codes(cs ...api.Code) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// startCodes are the errors the start call of flow can end with (SPEC.md sections
// 4 and 9), INVALID_REQUEST being a parameter whose substitution had no value.
func startCodes(f api.Flow) []string {
	registered := api.CodePasscodeNotRegistered
	if f == api.FlowRegistration {
		registered = api.CodePasscodeAlreadyRegistered
	}
	return codes(api.CodeInvalidRequest, api.CodeStoreNotFound, api.CodePolicyNotFound, api.CodeUserNotFound,
		registered, api.CodeUserLocked, api.CodeUserDisabled)
}

// completeCodes are the errors the completion of flow can end with (SPEC.md
// sections 6 to 9).
func completeCodes(f api.Flow) []string {
	cs := []api.Code{api.CodeInvalidRequest}
	if f != api.FlowRegistration {
		cs = append(cs, api.CodeInvalidPublicValue, api.CodeInvalidProof)
	}
	if f != api.FlowAuthentication {
		cs = append(cs, api.CodeInvalidVerifier)
	}
	switch f {
	case api.FlowRenewal:
		cs = append(cs, api.CodePasscodeHistoryViolation)
	case api.FlowRegistration:
		cs = append(cs, api.CodePasscodeAlreadyRegistered)
	}
	if f != api.FlowRegistration {
		cs = append(cs, api.CodeStaleSession)
	}
	cs = append(cs, api.CodeSessionNotFound, api.CodeUserNotFound, api.CodeUserLocked, api.CodeUserDisabled)
	return codes(cs...)
}

// userStatuses are the statuses of SPEC.md section 1.
func userStatuses() []string {
	return []string{string(api.StatusActive), string(api.StatusLocked), string(api.StatusTempLocked),
		string(api.StatusDisabled), string(api.StatusPendingActive)}
}

// userParams are the parameters that name a user, as the guide's start activity
// has them: User External ID, User ID, User Key (default user1).
func userParams(idDesc, keyDesc string) []ParamSpec {
	return []ParamSpec{
		{Name: ParamUserExternalID, Label: "User External ID", Type: String, Description: idDesc},
		{Name: ParamUserID, Label: "User ID", Type: String, Description: idDesc},
		{Name: ParamUserKey, Label: "User Key", Type: String, Required: true, Default: "user1", Description: keyDesc},
	}
}

func getUserSpec() ActivitySpec {
	return ActivitySpec{Type: TypeGetUser, Label: "Get User", Kind: KindGetUser,
		Params: append([]ParamSpec{{Name: ParamStoreName, Label: "Store Name", Type: String, Required: true,
			Description: "The Identity Store containing the User."}},
			userParams("Identifies the user (give this or the other).",
				"The reference key the user is stored under, for later activities (${userKey.id}, ${userKey.externalId}, ${userKey.status}).")...),
		Branches: []BranchSpec{
			{Field: CondErrorCode, Values: codes(api.CodeInvalidRequest, api.CodeStoreNotFound, api.CodeUserNotFound)},
			{Field: CondUserStatus, Values: userStatuses()},
		},
	}
}

func errorFormSpec() ActivitySpec {
	return ActivitySpec{Type: TypeErrorForm, Label: "Error Form", Kind: KindErrorForm,
		Params: []ParamSpec{
			{Name: ParamDataFormName, Label: "Data form name", Type: String, Required: true,
				Description: "The custom form shown to the end user: its text and a button, no passcode fields."},
			{Name: ParamDataFormVersion, Label: "Data form version", Type: Integer, Required: true, Default: 1,
				Description: "Which version of the custom form is shown."},
			{Name: ParamFormDataKey, Label: "Form data Key", Type: String, Required: true,
				Description: "Names this form within the instance; unique among the definition's forms."},
			{Name: ParamStartingComponentID, Label: "Starting Component ID", Type: String, Required: true,
				Default: "error", Description: "The name of the step sent to the UI."},
			{Name: ParamUIComponentID, Label: "UI Component ID", Type: String, Required: true,
				Default: "error", Description: "The name of the screen used by the UI."},
		},
	}
}

// ActivityByType returns the spec of a node type.
func ActivityByType(typ string) (ActivitySpec, bool) {
	for _, a := range Activities() {
		if a.Type == typ {
			return a, true
		}
	}
	return ActivitySpec{}, false
}

func startSpec(f api.Flow) ActivitySpec {
	t, l := title(f), lowerFlow(f)
	a := ActivitySpec{Type: "startPasscode" + t, Label: "Start Passcode " + t, Kind: KindStart, Flow: f}
	a.Params = []ParamSpec{
		{Name: ParamPasscodePolicy, Label: "Passcode Policy", Type: String, Required: true,
			Description: "The passcode policy name."},
		{Name: "passcode" + t + "Key", Label: "Passcode " + t + " Key", Type: String, Required: true,
			Default: "passcode" + t + "1", Description: "Represents the passcode " + l + " attempt."},
		{Name: ParamStoreName, Label: "Store Name", Type: String, Required: true,
			Description: "The Identity Store containing the policy and User."},
	}
	a.Params = append(a.Params, userParams("Identifies the user whose passcode is used.",
		"The reference key of the user: if an earlier activity stored a user under it, that user is used; otherwise the user named by User ID or User External ID is stored under it.")...)
	a.Branches = []BranchSpec{{Field: CondErrorCode, Values: startCodes(f)}}
	return a
}

func formSpec(f api.Flow) ActivitySpec {
	t, l := title(f), lowerFlow(f)
	a := ActivitySpec{Type: "passcode" + t + "Form", Label: "Passcode " + t + " Form", Kind: KindForm, Flow: f}
	keyName, keyLabel := "passcodeAuthenticationKey", "Passcode Authentication Key"
	if f == api.FlowRegistration {
		keyName, keyLabel = "passcodeRegistrationKey", "Passcode Registration Key"
	}
	a.Params = []ParamSpec{
		{Name: ParamDataFormName, Label: "Data form name", Type: String, Required: true,
			Description: "The custom form shown to the end user."},
		{Name: ParamDataFormVersion, Label: "Data form version", Type: Integer, Required: true, Default: 1,
			Description: "Which version of the custom form is shown."},
		{Name: ParamFormDataKey, Label: "Form data Key", Type: String, Required: true,
			Default: "passcode" + t + "Form1", Description: "Names this form's data (and its browser response) within the instance."},
		{Name: keyName, Label: keyLabel, Type: String, Required: true, Default: "passcode" + t + "1",
			Description: "The key of the passcode " + l + " attempt."},
		{Name: ParamStartingComponentID, Label: "Starting Component ID", Type: String, Required: true,
			Default: "passcode-" + l, Description: "The name of the step sent to the UI."},
		{Name: ParamUIComponentID, Label: "UI Component ID", Type: String, Required: true,
			Default: "passcode-" + l, Description: "The name of the screen used by the UI."},
	}
	return a
}

func completeSpec(f api.Flow) ActivitySpec {
	t, l := title(f), lowerFlow(f)
	a := ActivitySpec{Type: "completePasscode" + t, Label: "Complete Passcode " + t, Kind: KindComplete, Flow: f}
	a.Params = []ParamSpec{
		{Name: "passcode" + t + "BrowserResponse", Label: "Passcode " + t + " Browser Response", Type: String,
			Description: "The browser's response, usually by variable substitution (${formDataKey.browserResponse}); when empty, the response of the form of the same attempt."},
		{Name: "passcode" + t + "Key", Label: "Passcode " + t + " Key", Type: String, Required: true,
			Default: "passcode" + t + "1", Description: "Represents the passcode " + l + " attempt."},
		{Name: ParamStartingComponentID, Label: "Starting Component ID", Type: String, Required: true,
			Default: "passcode-verify", Description: "The name of the step sent to the UI."},
		{Name: ParamUIComponentID, Label: "UI Component ID", Type: String, Required: true,
			Default: l, Description: "The name of the screen used by the UI."},
	}
	a.Branches = []BranchSpec{{Field: CondErrorCode, Values: completeCodes(f)}}
	return a
}
