package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// AlgorithmSRP is the only value of AlgorithmInfo.Type (SPEC.md section 4).
const AlgorithmSRP = "SRP"

// HashSHA256 is the hashAlgorithm of the default SRP profile (SPEC.md section 6).
const HashSHA256 = "SHA-256"

// StartResponse is the 200 body of a start call of any flow (SPEC.md section 4).
// PasscodeRequirements is present for registration and renewal and absent for
// authentication.
type StartResponse struct {
	PasscodeRequirements *passcode.Requirements `json:"passcodeRequirements,omitempty"`
	AlgorithmInfo        AlgorithmInfo          `json:"algorithmInfo"`
	SessionID            string                 `json:"sessionId"`
}

// AlgorithmInfo is the `algorithmInfo` object of start and completion responses.
// Type is always AlgorithmSRP.
type AlgorithmInfo struct {
	Type       string        `json:"type"`
	Parameters SRPParameters `json:"parameters"`
}

// SRPParameters is `algorithmInfo.parameters`. Start responses fill I, N, G,
// HashAlgorithm and Salt, plus ServerPublicKey for authentication and renewal;
// completion responses fill only HashAlgorithm and M2. The fields a flow leaves out
// are omitted from the JSON. Encodings (SPEC.md section 6): N, ServerPublicKey and
// M2 are base64, Salt is base64url without padding, G is a JSON number.
type SRPParameters struct {
	I               string `json:"i,omitempty"`
	N               string `json:"n,omitempty"`
	G               int    `json:"g,omitempty"`
	HashAlgorithm   string `json:"hashAlgorithm,omitempty"`
	Salt            string `json:"salt,omitempty"`
	ServerPublicKey string `json:"serverPublicKey,omitempty"`
	M2              string `json:"m2,omitempty"`
}

// CompleteRequest is the body of a completion call. Registration sends only
// SRPRegistrationData, authentication only SRPVerificationData, renewal both.
type CompleteRequest struct {
	SRPRegistrationData *SRPRegistrationData `json:"srpRegistrationData,omitempty"`
	SRPVerificationData *SRPVerificationData `json:"srpVerificationData,omitempty"`
}

// SRPRegistrationData carries the new verifier (base64 of PAD(v)). The verifier is a
// secret: never log it (Exchange.Redacted hides it).
type SRPRegistrationData struct {
	Verifier string `json:"verifier"`
}

// SRPVerificationData carries the client public value A and the proof M1, both
// base64. Exchange.Redacted hides both.
type SRPVerificationData struct {
	A  string `json:"a"`
	M1 string `json:"m1"`
}

// CompleteResponse is the 200 body of a completion call. AlgorithmInfo (with only
// hashAlgorithm and m2) is present for authentication and renewal and absent for
// registration.
type CompleteResponse struct {
	AlgorithmInfo *AlgorithmInfo `json:"algorithmInfo,omitempty"`
	User          User           `json:"user"`
}

// UserStatus is a user's status (SPEC.md section 1).
type UserStatus string

// The user statuses of SPEC.md section 1.
const (
	StatusActive        UserStatus = "ACTIVE"
	StatusLocked        UserStatus = "LOCKED"
	StatusTempLocked    UserStatus = "TEMP_LOCKED"
	StatusDisabled      UserStatus = "DISABLED"
	StatusPendingActive UserStatus = "PENDING_ACTIVE"
)

// Valid reports whether s is one of the five statuses of SPEC.md section 1.
func (s UserStatus) Valid() bool {
	switch s {
	case StatusActive, StatusLocked, StatusTempLocked, StatusDisabled, StatusPendingActive:
		return true
	}
	return false
}

// User is the user object of SPEC.md sections 1 and 5: the admin endpoints answer
// with it directly, passcode completions wrap it as `"user"`.
type User struct {
	ID          string     `json:"id"`
	ExternalID  string     `json:"externalId"`
	Status      UserStatus `json:"status"`
	DateCreated Timestamp  `json:"dateCreated"`
}

// TimeFormat is the wire format of timestamps such as User.DateCreated: RFC 3339 in
// UTC with exactly three fractional digits, e.g. "2025-01-02T03:04:05.678Z". The
// guide leaves the format open; this is renewkit's choice.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Timestamp is a time on the wire. It marshals in TimeFormat (converted to UTC,
// truncated to milliseconds) and unmarshals any RFC 3339 time, so that a client can
// read servers that send more or fewer fractional digits or another offset.
type Timestamp struct {
	time.Time
}

// NewTimestamp returns t in UTC truncated to milliseconds, the precision the wire
// carries, so that a value survives a round trip unchanged.
func NewTimestamp(t time.Time) Timestamp {
	return Timestamp{t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON writes t in TimeFormat.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeFormat))
}

// UnmarshalJSON reads an RFC 3339 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("api: timestamp is not a JSON string: %w", err)
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("api: timestamp is not RFC 3339: %w", err)
	}
	t.Time = p
	return nil
}

// CreateUserRequest is the body of `POST {P}/users` (SPEC.md section 5). An empty
// Status lets the server choose (the reference server uses StatusActive).
type CreateUserRequest struct {
	ExternalID string     `json:"externalId"`
	Status     UserStatus `json:"status,omitempty"`
}

// Policy is a named passcode policy as the admin endpoints carry it: the
// requirements of SPEC.md section 8 flattened beside a "name" field,
// `{"name": ..., "minimumLength": ..., ...}`.
type Policy struct {
	Name string `json:"name"`
	passcode.Requirements
}

// PolicyRequest is the body of `POST {P}/passcodePolicy` and of a policy update; it
// is the same shape as Policy.
type PolicyRequest = Policy

// TokenResponse is the OAuth 2.0 token response of `POST /oauth/token` (SPEC.md
// section 3, RFC 6749 section 5.1). AccessToken is a secret.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// Flow is one of the three passcode flows of SPEC.md section 4.
type Flow string

// The flows of SPEC.md section 4.
const (
	FlowRegistration   Flow = "registration"
	FlowAuthentication Flow = "authentication"
	FlowRenewal        Flow = "renewal"
)

// Flows returns the three flows in SPEC order.
func Flows() []Flow {
	return []Flow{FlowRegistration, FlowAuthentication, FlowRenewal}
}

// Valid reports whether f is one of the three flows.
func (f Flow) Valid() bool {
	switch f {
	case FlowRegistration, FlowAuthentication, FlowRenewal:
		return true
	}
	return false
}

// Segment is the flow's path segment: "registrations", "authentications" or
// "renewals". It is empty for an invalid flow.
func (f Flow) Segment() string {
	if !f.Valid() {
		return ""
	}
	return string(f) + "s"
}

// title is the flow's name as it appears inside operation names.
func (f Flow) title() string {
	switch f {
	case FlowRegistration:
		return "Registration"
	case FlowAuthentication:
		return "Authentication"
	case FlowRenewal:
		return "Renewal"
	}
	return ""
}

// StartOperation is the operation that guards the flow's start call: by user id
// (createPasscode<Flow>ForUser) or by external id
// (createUserPasscode<Flow>ForUserByExtUserId). It is empty for an invalid flow.
func (f Flow) StartOperation(byExternalID bool) string {
	t := f.title()
	if t == "" {
		return ""
	}
	if byExternalID {
		return "createUserPasscode" + t + "ForUserByExtUserId"
	}
	return "createPasscode" + t + "ForUser"
}

// CompleteOperation is the operation that guards the flow's completion call
// (completePasscode<Flow>). It is empty for an invalid flow.
func (f Flow) CompleteOperation() string {
	t := f.title()
	if t == "" {
		return ""
	}
	return "completePasscode" + t
}

// The operations of SPEC.md section 3. Flow.StartOperation and
// Flow.CompleteOperation compute the same names from a flow.
const (
	OpCreatePasscodeRenewalForUser                       = "createPasscodeRenewalForUser"
	OpCreateUserPasscodeRenewalForUserByExtUserID        = "createUserPasscodeRenewalForUserByExtUserId"
	OpCompletePasscodeRenewal                            = "completePasscodeRenewal"
	OpCreatePasscodeRegistrationForUser                  = "createPasscodeRegistrationForUser"
	OpCreateUserPasscodeRegistrationForUserByExtUserID   = "createUserPasscodeRegistrationForUserByExtUserId"
	OpCompletePasscodeRegistration                       = "completePasscodeRegistration"
	OpCreatePasscodeAuthenticationForUser                = "createPasscodeAuthenticationForUser"
	OpCreateUserPasscodeAuthenticationForUserByExtUserID = "createUserPasscodeAuthenticationForUserByExtUserId"
	OpCompletePasscodeAuthentication                     = "completePasscodeAuthentication"
	// OpAdmin guards every admin endpoint of SPEC.md section 5.
	OpAdmin = "IdentityStore:admin"
	// OpAll is the wildcard operation: TNT#{tenant}#* grants all of a tenant's
	// operations.
	OpAll = "*"
)

// Operations returns every operation of SPEC.md section 3 (not OpAll).
func Operations() []string {
	return []string{
		OpCreatePasscodeRegistrationForUser, OpCreateUserPasscodeRegistrationForUserByExtUserID, OpCompletePasscodeRegistration,
		OpCreatePasscodeAuthenticationForUser, OpCreateUserPasscodeAuthenticationForUserByExtUserID, OpCompletePasscodeAuthentication,
		OpCreatePasscodeRenewalForUser, OpCreateUserPasscodeRenewalForUserByExtUserID, OpCompletePasscodeRenewal,
		OpAdmin,
	}
}

// Permission is the permission string that grants op on tenant:
// Permission("acme", OpCompletePasscodeRenewal) == "TNT#acme#completePasscodeRenewal".
func Permission(tenant, op string) string {
	return "TNT#" + tenant + "#" + op
}
