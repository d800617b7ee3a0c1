package refserver

import (
	"errors"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
)

// TestJSONPath: a wrong-typed member is named by its JSON path, never by the Go
// name of the struct that holds it.
func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{
		"Requirements.minimumLength":           "minimumLength",
		"srpVerificationData.a":                "srpVerificationData.a",
		"Requirements.requiredRegExes.pattern": "requiredRegExes.pattern",
		"name":                                 "name",
	} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeJSONMembers: member names are checked against the type each object
// decodes into, at every depth: an unknown member and one named in another case
// are told apart without reading encoding/json's error text, a name known only at
// another depth is unknown here, and objects that decode into a map or a type with
// its own UnmarshalJSON take any names.
func TestDecodeJSONMembers(t *testing.T) {
	type inner struct {
		X int `json:"x"`
	}
	type embedded struct {
		E int `json:"e"`
	}
	type target struct {
		embedded
		In   *inner           `json:"in"`
		List []inner          `json:"list"`
		Map  map[string]inner `json:"map"`
		When api.Timestamp    `json:"when"`
		Any  any              `json:"any"`
	}
	const (
		unknown = "the request body has an unknown member"
		folded  = "member names are case-sensitive"
	)
	tests := []struct {
		name, body, want string // want is the error message, "" for none
	}{
		{"known at every depth", `{"e":1,"in":{"x":1},"list":[{"x":2}],"map":{"k":{"x":3}},"when":"2030-01-02T03:04:05Z","any":{"q":1}}`, ""},
		{"unknown at the top", `{"nope":1}`, unknown},
		{"unknown in an object", `{"in":{"x":1,"y":2}}`, unknown},
		{"unknown in an array element", `{"list":[{"x":1},{"y":2}]}`, unknown},
		{"unknown in a map value", `{"map":{"k":{"y":1}}}`, unknown},
		{"known only at another depth", `{"x":1}`, unknown},
		{"case folded at the top", `{"E":1}`, folded},
		{"case folded in an object", `{"in":{"X":1}}`, folded},
		{"repeated in a map", `{"map":{"k":{"x":1},"k":{"x":2}}}`, `member "k" appears twice`},
		{"repeated under any", `{"any":{"q":1,"q":2}}`, `member "q" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst target
			err := decodeJSON("application/json", []byte(tt.body), &dst)
			var apiErr *api.Error
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("decodeJSON = %v, want success", err)
			case tt.want == "":
			case !errors.As(err, &apiErr) || apiErr.Code != api.CodeInvalidRequest || apiErr.Message != tt.want:
				t.Fatalf("decodeJSON = %v, want INVALID_REQUEST %q", err, tt.want)
			}
		})
	}
}
