package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// TestCodeStatus pins every code's status to SPEC.md section 10, independently of
// the table in errors.go.
func TestCodeStatus(t *testing.T) {
	t.Parallel()
	want := map[Code]struct {
		status int
		spec   bool
	}{
		"INVALID_REQUEST":             {400, true},
		"INVALID_PUBLIC_VALUE":        {400, true},
		"INVALID_VERIFIER":            {400, true},
		"INVALID_PROOF":               {400, true},
		"PASSCODE_HISTORY_VIOLATION":  {400, true},
		"PASSCODE_ALREADY_REGISTERED": {400, true},
		"PASSCODE_NOT_REGISTERED":     {400, true},
		"STALE_SESSION":               {400, true},
		"USER_LOCKED":                 {400, true},
		"USER_DISABLED":               {400, true},
		"UNAUTHORIZED":                {401, true},
		"FORBIDDEN":                   {403, true},
		"TENANT_NOT_FOUND":            {404, true},
		"STORE_NOT_FOUND":             {404, true},
		"POLICY_NOT_FOUND":            {404, true},
		"USER_NOT_FOUND":              {404, true},
		"SESSION_NOT_FOUND":           {404, true},
		"EXTERNAL_ID_NOT_UNIQUE":      {409, true},
		"PAYLOAD_TOO_LARGE":           {413, true},
		"NOT_FOUND":                   {404, false},
		"METHOD_NOT_ALLOWED":          {405, false},
		"INTERNAL_ERROR":              {500, false},
		"UNAVAILABLE":                 {503, false},
	}
	codes := Codes()
	if len(codes) != len(want) {
		t.Errorf("Codes() has %d codes, the test knows %d", len(codes), len(want))
	}
	seen := map[Code]bool{}
	for _, c := range codes {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			w, ok := want[c]
			if !ok {
				t.Fatalf("code %s is not pinned by this test", c)
			}
			if got := c.Status(); got != w.status {
				t.Errorf("Status() = %d, want %d", got, w.status)
			}
			if got := c.InSpec(); got != w.spec {
				t.Errorf("InSpec() = %v, want %v", got, w.spec)
			}
			if got := NewError(c, "m").Status(); got != w.status {
				t.Errorf("Error.Status() = %d, want %d", got, w.status)
			}
		})
		if seen[c] {
			t.Errorf("code %s listed twice", c)
		}
		seen[c] = true
	}
	for c := range want {
		if !seen[c] {
			t.Errorf("code %s missing from Codes()", c)
		}
	}
	if got := Code("NOPE").Status(); got != 0 {
		t.Errorf("unknown code Status() = %d, want 0", got)
	}
	if Code("NOPE").InSpec() {
		t.Errorf("unknown code InSpec")
	}
	if got := NewError("NOPE", "m").Status(); got != http.StatusInternalServerError {
		t.Errorf("Error with unknown code Status() = %d, want 500", got)
	}
}

func TestErrorJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"no details", NewError(CodeInvalidProof, "The proof is wrong."),
			`{"code":"INVALID_PROOF","message":"The proof is wrong.","processingDetails":[]}`},
		{"nil details from a literal", &Error{Code: CodeForbidden, Message: "no"},
			`{"code":"FORBIDDEN","message":"no","processingDetails":[]}`},
		{"with detail", NewError(CodeInvalidRequest, "bad").WithDetail("FIELD", "m1 is not base64"),
			`{"code":"INVALID_REQUEST","message":"bad","processingDetails":[{"code":"FIELD","message":"m1 is not base64"}]}`},
		{"errorf", Errorf(CodeUserNotFound, "user %s not found", "U1"),
			`{"code":"USER_NOT_FOUND","message":"user U1 not found","processingDetails":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.err)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			if err := ValidateErrorBody(b); err != nil {
				t.Errorf("our own encoding fails the strict check: %v", err)
			}
			back, err := DecodeError(b)
			if err != nil {
				t.Fatal(err)
			}
			if back.Code != tt.err.Code || back.Message != tt.err.Message || len(back.ProcessingDetails) != len(tt.err.ProcessingDetails) {
				t.Errorf("round trip %+v, want %+v", back, tt.err)
			}
		})
	}
}

func TestWithDetailDoesNotAlias(t *testing.T) {
	t.Parallel()
	base := NewError(CodeInvalidRequest, "bad")
	a := base.WithDetail("A", "a")
	b := base.WithDetail("B", "b")
	if len(base.ProcessingDetails) != 0 || a.ProcessingDetails[0].Code != "A" || b.ProcessingDetails[0].Code != "B" {
		t.Errorf("WithDetail shares state: base %v a %v b %v", base.ProcessingDetails, a.ProcessingDetails, b.ProcessingDetails)
	}
}

func TestErrorMessageAndCode(t *testing.T) {
	t.Parallel()
	e := NewError(CodeStaleSession, "The session is stale.")
	if got := e.Error(); got != "api: STALE_SESSION: The session is stale." {
		t.Errorf("Error() = %q", got)
	}
	wrapped := fmt.Errorf("renewal: %w", e)
	if ErrorCode(wrapped) != CodeStaleSession {
		t.Errorf("ErrorCode through a wrap = %q", ErrorCode(wrapped))
	}
	if ErrorCode(errors.New("x")) != "" || ErrorCode(nil) != "" {
		t.Errorf("ErrorCode of a non-*Error is not empty")
	}
}

func TestValidateErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"minimal", `{"code":"X","message":"","processingDetails":[]}`, true},
		{"with details", `{"code":"X","message":"m","processingDetails":[{"code":"D","message":"d"}]}`, true},
		{"missing details", `{"code":"X","message":"m"}`, false},
		{"null details", `{"code":"X","message":"m","processingDetails":null}`, false},
		{"missing message", `{"code":"X","processingDetails":[]}`, false},
		{"empty code", `{"code":"","message":"m","processingDetails":[]}`, false},
		{"numeric code", `{"code":1,"message":"m","processingDetails":[]}`, false},
		{"null message", `{"code":"X","message":null,"processingDetails":[]}`, false},
		{"extra member", `{"code":"X","message":"m","processingDetails":[],"stack":"..."}`, false},
		{"detail not object", `{"code":"X","message":"m","processingDetails":["x"]}`, false},
		{"detail without message", `{"code":"X","message":"m","processingDetails":[{"code":"D"}]}`, false},
		{"detail extra member", `{"code":"X","message":"m","processingDetails":[{"code":"D","message":"d","x":1}]}`, false},
		{"array", `[]`, false},
		{"null", `null`, false},
		{"not json", `oops`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateErrorBody([]byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateErrorBody(%s) = %v, want ok=%v", tt.body, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformedError) {
				t.Errorf("error %v does not wrap ErrMalformedError", err)
			}
		})
	}
}

func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{
		`{"code":"INVALID_PROOF","message":"m","processingDetails":[]}`,
		`{"code":"X","message":5,"processingDetails":{}}`,
		`{"code":""}`, `[]`, `null`, `"x"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeError(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedError) {
				t.Fatalf("error %v does not wrap ErrMalformedError", err)
			}
			if e != nil {
				t.Fatalf("both an Error and an error")
			}
		} else if e.Code == "" || e.ProcessingDetails == nil {
			t.Fatalf("accepted %q as %+v", b, e)
		}
		// A body the strict check accepts must decode.
		if ValidateErrorBody(b) == nil && err != nil {
			t.Fatalf("strictly valid %q did not decode: %v", b, err)
		}
	})
}
