package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// TestWireJSON pins the exact JSON of each body against SPEC.md sections 4 and 5.
func TestWireJSON(t *testing.T) {
	t.Parallel()
	created := NewTimestamp(time.Date(2025, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("x", 3600)))
	user := User{ID: "UGIRW7QN727EIV2XLXG4YH42N4", ExternalID: "bob", Status: StatusActive, DateCreated: created}
	const userJSON = `{"id":"UGIRW7QN727EIV2XLXG4YH42N4","externalId":"bob","status":"ACTIVE","dateCreated":"2025-01-02T02:04:05.678Z"}`
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"registration start", StartResponse{
			PasscodeRequirements: &passcode.Requirements{MinimumLength: 6},
			AlgorithmInfo:        AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{I: "I", N: "N", G: 2, HashAlgorithm: HashSHA256, Salt: "S"}},
			SessionID:            "SID",
		}, `{"passcodeRequirements":{"minimumLength":6,"maximumLength":0,"digitCount":0,"symbolCount":0,"lowerCaseCount":0,"upperCaseCount":0,"characterVariety":0,"passcodeHistory":0,"requiredRegExes":null,"allowedRegExes":null,"disallowedRegExes":null},` +
			`"algorithmInfo":{"type":"SRP","parameters":{"i":"I","n":"N","g":2,"hashAlgorithm":"SHA-256","salt":"S"}},"sessionId":"SID"}`},
		{"authentication start has no requirements", StartResponse{
			AlgorithmInfo: AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{I: "I", N: "N", G: 2, HashAlgorithm: HashSHA256, Salt: "S", ServerPublicKey: "B"}},
			SessionID:     "SID",
		}, `{"algorithmInfo":{"type":"SRP","parameters":{"i":"I","n":"N","g":2,"hashAlgorithm":"SHA-256","salt":"S","serverPublicKey":"B"}},"sessionId":"SID"}`},
		{"registration complete request", CompleteRequest{SRPRegistrationData: &SRPRegistrationData{Verifier: "V"}},
			`{"srpRegistrationData":{"verifier":"V"}}`},
		{"authentication complete request", CompleteRequest{SRPVerificationData: &SRPVerificationData{A: "A", M1: "M"}},
			`{"srpVerificationData":{"a":"A","m1":"M"}}`},
		{"registration complete response", CompleteResponse{User: user}, `{"user":` + userJSON + `}`},
		{"renewal complete response", CompleteResponse{AlgorithmInfo: &AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{HashAlgorithm: HashSHA256, M2: "M2"}}, User: user},
			`{"algorithmInfo":{"type":"SRP","parameters":{"hashAlgorithm":"SHA-256","m2":"M2"}},"user":` + userJSON + `}`},
		{"user", user, userJSON},
		{"create user without status", CreateUserRequest{ExternalID: "bob"}, `{"externalId":"bob"}`},
		{"create user with status", CreateUserRequest{ExternalID: "bob", Status: StatusDisabled}, `{"externalId":"bob","status":"DISABLED"}`},
		{"policy is flattened", Policy{Name: "pol", Requirements: passcode.Requirements{MinimumLength: 8, RequiredRegExes: []passcode.Regex{{Pattern: "[0-9]", Error: "digit"}}}},
			`{"name":"pol","minimumLength":8,"maximumLength":0,"digitCount":0,"symbolCount":0,"lowerCaseCount":0,"upperCaseCount":0,"characterVariety":0,"passcodeHistory":0,"requiredRegExes":[{"pattern":"[0-9]","error":"digit"}],"allowedRegExes":null,"disallowedRegExes":null}`},
		{"token", TokenResponse{AccessToken: "T", TokenType: "Bearer", ExpiresIn: 300}, `{"access_token":"T","token_type":"Bearer","expires_in":300}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

// TestGuideExample decodes the renewal start response of the TrustX guide.
func TestGuideExample(t *testing.T) {
	t.Parallel()
	const guide = `{ "passcodeRequirements": { "minimumLength": 6, "maximumLength": 12, "digitCount": 1, "symbolCount": 1, "lowerCaseCount": 1, "upperCaseCount": 1, "characterVariety": 1, "passcodeHistory": 1, "requiredRegExes": [ { "pattern": "", "error": "" } ], "allowedRegExes": [ { "pattern": "", "error": "" } ], "disallowedRegExes": [ { "pattern": "", "error": "" } ] }, "algorithmInfo": { "type": "SRP", "parameters": { "i": "ID", "n": "Tg==", "g": 2, "hashAlgorithm": "SHA-256", "salt": "c2FsdA", "serverPublicKey": "Qg==" } }, "sessionId": "UGIRW7QN727EIV2XLXG4YH42N4"}`
	var sr StartResponse
	if err := json.Unmarshal([]byte(guide), &sr); err != nil {
		t.Fatal(err)
	}
	r := sr.PasscodeRequirements
	if r == nil || r.MinimumLength != 6 || r.MaximumLength != 12 || r.PasscodeHistory != 1 || len(r.DisallowedRegExes) != 1 {
		t.Errorf("requirements %+v", r)
	}
	p := sr.AlgorithmInfo.Parameters
	if p.I != "ID" || p.N != "Tg==" || p.G != 2 || p.HashAlgorithm != "SHA-256" || p.Salt != "c2FsdA" || p.ServerPublicKey != "Qg==" || sr.SessionID != "UGIRW7QN727EIV2XLXG4YH42N4" {
		t.Errorf("parameters %+v session %q", p, sr.SessionID)
	}
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"millis utc", `"2025-01-02T03:04:05.678Z"`, time.Date(2025, 1, 2, 3, 4, 5, 678e6, time.UTC), false},
		{"no fraction", `"2025-01-02T03:04:05Z"`, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), false},
		{"nanos and offset", `"2025-01-02T04:04:05.123456789+01:00"`, time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC), false},
		{"date only", `"2025-01-02"`, time.Time{}, true},
		{"epoch number", `1735787045`, time.Time{}, true},
		{"null", `null`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ts Timestamp
			err := json.Unmarshal([]byte(tt.in), &ts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !ts.Equal(tt.want) {
				t.Errorf("got %v, want %v", ts.Time, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "api: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	// NewTimestamp values survive a round trip exactly.
	orig := NewTimestamp(time.Date(2030, 6, 7, 8, 9, 10, 999_999_999, time.Local))
	b, _ := json.Marshal(orig)
	var back Timestamp
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(orig.Time) || string(b) != `"2030-06-07T`+orig.Format("15:04:05")+`.999Z"` {
		t.Errorf("round trip %s -> %v (%v)", b, back, err)
	}
}

func TestUserStatus(t *testing.T) {
	t.Parallel()
	for _, s := range []UserStatus{StatusActive, StatusLocked, StatusTempLocked, StatusDisabled, StatusPendingActive} {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
	for _, s := range []UserStatus{"", "active", "DELETED"} {
		if s.Valid() {
			t.Errorf("%q valid", s)
		}
	}
}

func TestFlowNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flow                  Flow
		segment               string
		startByID, startByExt string
		complete              string
	}{
		{FlowRegistration, "registrations", OpCreatePasscodeRegistrationForUser, OpCreateUserPasscodeRegistrationForUserByExtUserID, OpCompletePasscodeRegistration},
		{FlowAuthentication, "authentications", OpCreatePasscodeAuthenticationForUser, OpCreateUserPasscodeAuthenticationForUserByExtUserID, OpCompletePasscodeAuthentication},
		{FlowRenewal, "renewals", "createPasscodeRenewalForUser", "createUserPasscodeRenewalForUserByExtUserId", "completePasscodeRenewal"},
		{"login", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.flow), func(t *testing.T) {
			t.Parallel()
			if got := tt.flow.Segment(); got != tt.segment {
				t.Errorf("Segment() = %q, want %q", got, tt.segment)
			}
			if got := tt.flow.StartOperation(false); got != tt.startByID {
				t.Errorf("StartOperation(false) = %q, want %q", got, tt.startByID)
			}
			if got := tt.flow.StartOperation(true); got != tt.startByExt {
				t.Errorf("StartOperation(true) = %q, want %q", got, tt.startByExt)
			}
			if got := tt.flow.CompleteOperation(); got != tt.complete {
				t.Errorf("CompleteOperation() = %q, want %q", got, tt.complete)
			}
			if got := tt.flow.Valid(); got != (tt.segment != "") {
				t.Errorf("Valid() = %v", got)
			}
		})
	}
	// Operations lists every flow's three operations and the admin one, once each.
	ops := map[string]bool{}
	for _, op := range Operations() {
		ops[op] = true
	}
	for _, f := range Flows() {
		for _, op := range []string{f.StartOperation(false), f.StartOperation(true), f.CompleteOperation()} {
			if !ops[op] {
				t.Errorf("Operations() lacks %s", op)
			}
			delete(ops, op)
		}
	}
	delete(ops, OpAdmin)
	if len(ops) != 0 {
		t.Errorf("Operations() has unexpected %v", ops)
	}
}

func TestPermission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tenant, op, want string
	}{
		{"acme", OpCompletePasscodeRenewal, "TNT#acme#completePasscodeRenewal"},
		{"acme", OpAll, "TNT#acme#*"},
		{"globex", OpAdmin, "TNT#globex#IdentityStore:admin"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := Permission(tt.tenant, tt.op); got != tt.want {
				t.Errorf("Permission(%q, %q) = %q", tt.tenant, tt.op, got)
			}
		})
	}
}
