package passcode_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	type R = passcode.Requirements
	type X = []passcode.Regex
	with := func(f func(*R)) R {
		r := strong()
		f(&r)
		return r
	}
	tests := []struct {
		name string
		a, b R
		want bool
	}{
		{"same", strong(), strong(), true},
		{"zero values", R{}, R{}, true},
		{"nil equals empty", R{RequiredRegExes: nil}, R{RequiredRegExes: X{}}, true},
		{"empty equals nil", R{AllowedRegExes: X{}, DisallowedRegExes: X{}}, R{}, true},
		{"empty pattern is not no pattern", R{AllowedRegExes: X{{}}}, R{}, false},
		{"minimumLength", strong(), with(func(r *R) { r.MinimumLength++ }), false},
		{"maximumLength", strong(), with(func(r *R) { r.MaximumLength++ }), false},
		{"digitCount", strong(), with(func(r *R) { r.DigitCount++ }), false},
		{"symbolCount", strong(), with(func(r *R) { r.SymbolCount++ }), false},
		{"lowerCaseCount", strong(), with(func(r *R) { r.LowerCaseCount++ }), false},
		{"upperCaseCount", strong(), with(func(r *R) { r.UpperCaseCount++ }), false},
		{"characterVariety", strong(), with(func(r *R) { r.CharacterVariety-- }), false},
		{"passcodeHistory", strong(), with(func(r *R) { r.PasscodeHistory++ }), false},
		{"required pattern", strong(), with(func(r *R) { r.RequiredRegExes = X{{Pattern: "x", Error: "needs two digits"}} }), false},
		{"required error text", strong(), with(func(r *R) { r.RequiredRegExes = X{{Pattern: `\p{Nd}.*\p{Nd}`, Error: "other"}} }), false},
		{"allowed", strong(), with(func(r *R) { r.AllowedRegExes = nil }), false},
		{"disallowed extra", strong(), with(func(r *R) { r.DisallowedRegExes = append(r.DisallowedRegExes, passcode.Regex{}) }), false},
		{"pattern order", R{RequiredRegExes: X{{Pattern: "a"}, {Pattern: "b"}}}, R{RequiredRegExes: X{{Pattern: "b"}, {Pattern: "a"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := passcode.Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(a, b) = %v, want %v", got, tt.want)
			}
			if got := passcode.Equal(tt.b, tt.a); got != tt.want {
				t.Errorf("Equal(b, a) = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEqualCoversEveryField fails when Requirements gains a field, so that Equal (and
// this file's cases) are updated with it.
func TestEqualCoversEveryField(t *testing.T) {
	t.Parallel()
	if n := reflect.TypeFor[passcode.Requirements]().NumField(); n != 11 {
		t.Errorf("Requirements has %d fields; Equal compares 11: update Equal and TestEqual", n)
	}
}

func TestEqualAfterJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  passcode.Requirements
	}{
		{"guide example", guideExample()},
		{"pin6", pin6()},
		{"zero value", passcode.Requirements{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var back passcode.Requirements
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !passcode.Equal(tt.req, back) {
				t.Errorf("round trip through %s changed the policy: %+v", b, back)
			}
		})
	}
	var fromEmptyLists passcode.Requirements
	if err := json.Unmarshal([]byte(`{"requiredRegExes": [], "allowedRegExes": [], "disallowedRegExes": []}`), &fromEmptyLists); err != nil {
		t.Fatal(err)
	}
	if !passcode.Equal(fromEmptyLists, passcode.Requirements{}) {
		t.Errorf("empty JSON lists differ from absent ones")
	}
}
