package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Code is an error code of SPEC.md section 10, the `code` of an error body.
type Code string

// The error codes of SPEC.md section 10.
const (
	CodeInvalidRequest            Code = "INVALID_REQUEST"
	CodeInvalidPublicValue        Code = "INVALID_PUBLIC_VALUE"
	CodeInvalidVerifier           Code = "INVALID_VERIFIER"
	CodeInvalidProof              Code = "INVALID_PROOF"
	CodePasscodeHistoryViolation  Code = "PASSCODE_HISTORY_VIOLATION"
	CodePasscodeAlreadyRegistered Code = "PASSCODE_ALREADY_REGISTERED"
	CodePasscodeNotRegistered     Code = "PASSCODE_NOT_REGISTERED"
	CodeStaleSession              Code = "STALE_SESSION"
	CodeUserLocked                Code = "USER_LOCKED"
	CodeUserDisabled              Code = "USER_DISABLED"
	CodeUnauthorized              Code = "UNAUTHORIZED"
	CodeForbidden                 Code = "FORBIDDEN"
	CodeTenantNotFound            Code = "TENANT_NOT_FOUND"
	CodeStoreNotFound             Code = "STORE_NOT_FOUND"
	CodePolicyNotFound            Code = "POLICY_NOT_FOUND"
	CodeUserNotFound              Code = "USER_NOT_FOUND"
	CodeSessionNotFound           Code = "SESSION_NOT_FOUND"
	CodeExternalIDNotUnique       Code = "EXTERNAL_ID_NOT_UNIQUE"
	CodePayloadTooLarge           Code = "PAYLOAD_TOO_LARGE"
)

// Codes the SPEC leaves open and renewkit fills. No client input may produce
// CodeInternal (SPEC.md section 2); it exists so that a server whose own storage
// fails still answers in the section 10 shape.
const (
	// CodeNotFound is a path that names no endpoint (404).
	CodeNotFound Code = "NOT_FOUND"
	// CodeMethodNotAllowed is a known path with a method it does not serve (405).
	CodeMethodNotAllowed Code = "METHOD_NOT_ALLOWED"
	// CodeInternal is a server-side failure not caused by the request (500).
	CodeInternal Code = "INTERNAL_ERROR"
	// CodeUnavailable is a dependency that is down, e.g. /readyz with the store
	// unreachable (503).
	CodeUnavailable Code = "UNAVAILABLE"
)

// codeStatus is one row of the code table.
type codeStatus struct {
	code   Code
	status int
	spec   bool // listed in SPEC.md section 10
}

// codeTable is THE table from error code to HTTP status. It is a function rather
// than a package variable so that nothing can modify it.
func codeTable() []codeStatus {
	return []codeStatus{
		{CodeInvalidRequest, http.StatusBadRequest, true},
		{CodeInvalidPublicValue, http.StatusBadRequest, true},
		{CodeInvalidVerifier, http.StatusBadRequest, true},
		{CodeInvalidProof, http.StatusBadRequest, true},
		{CodePasscodeHistoryViolation, http.StatusBadRequest, true},
		{CodePasscodeAlreadyRegistered, http.StatusBadRequest, true},
		{CodePasscodeNotRegistered, http.StatusBadRequest, true},
		{CodeStaleSession, http.StatusBadRequest, true},
		{CodeUserLocked, http.StatusBadRequest, true},
		{CodeUserDisabled, http.StatusBadRequest, true},
		{CodeUnauthorized, http.StatusUnauthorized, true},
		{CodeForbidden, http.StatusForbidden, true},
		{CodeTenantNotFound, http.StatusNotFound, true},
		{CodeStoreNotFound, http.StatusNotFound, true},
		{CodePolicyNotFound, http.StatusNotFound, true},
		{CodeUserNotFound, http.StatusNotFound, true},
		{CodeSessionNotFound, http.StatusNotFound, true},
		{CodeExternalIDNotUnique, http.StatusConflict, true},
		{CodePayloadTooLarge, http.StatusRequestEntityTooLarge, true},
		{CodeNotFound, http.StatusNotFound, false},
		{CodeMethodNotAllowed, http.StatusMethodNotAllowed, false},
		{CodeInternal, http.StatusInternalServerError, false},
		{CodeUnavailable, http.StatusServiceUnavailable, false},
	}
}

// Codes returns every known code: the section 10 codes first, in SPEC order, then
// renewkit's additions.
func Codes() []Code {
	t := codeTable()
	out := make([]Code, len(t))
	for i, r := range t {
		out[i] = r.code
	}
	return out
}

// Status is the HTTP status that carries c, or 0 for an unknown code.
func (c Code) Status() int {
	for _, r := range codeTable() {
		if r.code == c {
			return r.status
		}
	}
	return 0
}

// InSpec reports whether c is one of the codes SPEC.md section 10 lists (and not
// one of renewkit's additions).
func (c Code) InSpec() bool {
	for _, r := range codeTable() {
		if r.code == c {
			return r.spec
		}
	}
	return false
}

// Detail is one entry of an error's `processingDetails`.
type Detail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Error is the body of every non-2xx response (SPEC.md section 10), and the error
// the Client returns for one. Message is for people: it must never hold secrets or
// internal detail (Go error text, SQL, stacks).
type Error struct {
	Code              Code     `json:"code"`
	Message           string   `json:"message"`
	ProcessingDetails []Detail `json:"processingDetails"`
}

// NewError returns an Error with no processing details.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message, ProcessingDetails: []Detail{}}
}

// Errorf returns an Error whose message is formatted like fmt.Sprintf. Never format
// secrets or internal errors into it.
func Errorf(code Code, format string, args ...any) *Error {
	return NewError(code, fmt.Sprintf(format, args...))
}

// WithDetail returns a copy of e with one more processing detail.
func (e *Error) WithDetail(code Code, message string) *Error {
	c := *e
	c.ProcessingDetails = append(append([]Detail{}, e.ProcessingDetails...), Detail{Code: code, Message: message})
	return &c
}

// Error returns "api: CODE: message".
func (e *Error) Error() string {
	return "api: " + string(e.Code) + ": " + e.Message
}

// Status is the HTTP status of e's code (Code.Status), or 500 for an unknown code:
// a server must not answer 2xx or 0 for an error.
func (e *Error) Status() int {
	if s := e.Code.Status(); s != 0 {
		return s
	}
	return http.StatusInternalServerError
}

// MarshalJSON writes the section 10 shape. A nil ProcessingDetails is written as
// [] so that the field is always present.
func (e *Error) MarshalJSON() ([]byte, error) {
	type plain Error // no MarshalJSON method, so no recursion
	p := plain(*e)
	if p.ProcessingDetails == nil {
		p.ProcessingDetails = []Detail{}
	}
	return json.Marshal(p)
}

// ErrorCode returns the Code of the *Error in err's chain, or "" if there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Sentinel errors the Client returns, wrapped with detail. *Error is returned
// unwrapped for a well-formed error body.
var (
	// ErrTransport means no complete HTTP response was received: the request could
	// not be built or sent, or the response body could not be read.
	ErrTransport = errors.New("api: transport error")
	// ErrMalformedError means a non-2xx response whose body is not the section 10
	// error shape.
	ErrMalformedError = errors.New("api: error response is not the section 10 shape")
	// ErrMalformedResponse means a 2xx response whose body does not decode into the
	// expected type.
	ErrMalformedResponse = errors.New("api: malformed response body")
	// ErrInvalidUserRef means a UserRef with both or neither of ID and ExternalID.
	ErrInvalidUserRef = errors.New("api: user reference needs exactly one of id and externalId")
	// ErrInvalidFlow means a Flow that is not one of the three of SPEC.md section 4.
	ErrInvalidFlow = errors.New("api: invalid flow")
)

// DecodeError reads a non-2xx body leniently: it must be a JSON object with a
// non-empty string "code"; a missing message or processingDetails is tolerated so
// that a client can still report the code of a slightly non-conforming server.
// ValidateErrorBody is the strict check. The error wraps ErrMalformedError.
func DecodeError(body []byte) (*Error, error) {
	var raw struct {
		Code              *string         `json:"code"`
		Message           json.RawMessage `json:"message"`
		ProcessingDetails json.RawMessage `json:"processingDetails"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedError, err)
	}
	if raw.Code == nil || *raw.Code == "" {
		return nil, fmt.Errorf("%w: no code", ErrMalformedError)
	}
	e := &Error{Code: Code(*raw.Code), ProcessingDetails: []Detail{}}
	// Tolerate wrong types in the optional parts rather than lose the code.
	_ = json.Unmarshal(raw.Message, &e.Message)
	var details []Detail
	if json.Unmarshal(raw.ProcessingDetails, &details) == nil && details != nil {
		e.ProcessingDetails = details
	}
	return e, nil
}

// ValidateErrorBody checks body strictly against SPEC.md section 10: a JSON object
// with exactly the members "code" (a non-empty string), "message" (a string) and
// "processingDetails" (an array of objects that each have exactly a non-empty
// string "code" and a string "message"). The error wraps ErrMalformedError and
// says what is wrong.
func ValidateErrorBody(body []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrMalformedError}, args...)...)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return bad("not a JSON object")
	}
	if err := checkMembers(obj, "code", "message", "processingDetails"); err != nil {
		return bad("%v", err)
	}
	var details []json.RawMessage
	if err := json.Unmarshal(obj["processingDetails"], &details); err != nil || details == nil {
		return bad("processingDetails is not an array")
	}
	for i, d := range details {
		var dobj map[string]json.RawMessage
		if err := json.Unmarshal(d, &dobj); err != nil || dobj == nil {
			return bad("processingDetails[%d] is not an object", i)
		}
		if err := checkMembers(dobj, "code", "message"); err != nil {
			return bad("processingDetails[%d]: %v", i, err)
		}
	}
	return nil
}

// checkMembers checks that obj has exactly the given members, the first a
// non-empty string and the rest strings, except "processingDetails" which is
// checked by the caller.
func checkMembers(obj map[string]json.RawMessage, names ...string) error {
	for k := range obj {
		known := false
		for _, n := range names {
			known = known || k == n
		}
		if !known {
			return fmt.Errorf("unexpected member %q", k)
		}
	}
	for i, n := range names {
		v, ok := obj[n]
		if !ok {
			return fmt.Errorf("missing %q", n)
		}
		if n == "processingDetails" {
			continue
		}
		var s string
		if !bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)) || json.Unmarshal(v, &s) != nil {
			return fmt.Errorf("%q is not a string", n)
		}
		if i == 0 && s == "" {
			return fmt.Errorf("%q is empty", n)
		}
	}
	return nil
}
