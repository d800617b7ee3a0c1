package passcode_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	type R = passcode.Requirements
	type X = []passcode.Regex
	tests := []struct {
		name string
		req  R
		want []string // Problem fields, in order; nil for a valid policy
	}{
		{"zero value", R{}, nil},
		{"guide example", guideExample(), nil},
		{"pin6", pin6(), nil},
		{"strong", strong(), nil},
		{"min equals max", R{MinimumLength: 8, MaximumLength: 8}, nil},
		{"min without max", R{MinimumLength: 100}, nil},
		{"counts fill max exactly", R{MaximumLength: 4, DigitCount: 1, SymbolCount: 1, LowerCaseCount: 1, UpperCaseCount: 1, CharacterVariety: 4}, nil},
		{"variety beyond counts fits", R{MaximumLength: 3, DigitCount: 2, CharacterVariety: 2}, nil},
		{"variety 4", R{CharacterVariety: 4}, nil},
		{"min above max", R{MinimumLength: 9, MaximumLength: 8}, []string{"minimumLength"}},
		{"variety 5", R{CharacterVariety: 5}, []string{"characterVariety"}},
		{"counts exceed max", R{MaximumLength: 3, DigitCount: 2, UpperCaseCount: 2}, []string{"maximumLength"}},
		{"variety exceeds max", R{MaximumLength: 3, CharacterVariety: 4}, []string{"maximumLength"}},
		{"variety beyond counts exceeds max", R{MaximumLength: 3, DigitCount: 2, CharacterVariety: 3}, []string{"maximumLength"}},
		{"every negative", R{MinimumLength: -1, MaximumLength: -1, DigitCount: -1, SymbolCount: -1, LowerCaseCount: -1, UpperCaseCount: -1, CharacterVariety: -1, PasscodeHistory: -1},
			[]string{"minimumLength", "maximumLength", "digitCount", "symbolCount", "lowerCaseCount", "upperCaseCount", "characterVariety", "passcodeHistory"}},
		{"empty patterns are fine", R{RequiredRegExes: X{{}}, AllowedRegExes: X{{}}, DisallowedRegExes: X{{Error: "x"}}}, nil},
		{"bad required", R{RequiredRegExes: X{{Pattern: `a`}, {Pattern: `(`}}}, []string{"requiredRegExes[1]"}},
		{"bad allowed", R{AllowedRegExes: X{{Pattern: `[z-a]`}}}, []string{"allowedRegExes[0]"}},
		{"bad disallowed", R{DisallowedRegExes: X{{}, {}, {Pattern: `a{1001}`}}}, []string{"disallowedRegExes[2]"}},
		{"backreference is no RE2", R{DisallowedRegExes: X{{Pattern: `(.)\1`}}}, []string{"disallowedRegExes[0]"}},
		{"lookahead is no RE2", R{RequiredRegExes: X{{Pattern: `(?=.*\d)`}}}, []string{"requiredRegExes[0]"}},
		{"everything wrong", R{MinimumLength: 9, MaximumLength: 8, CharacterVariety: 7,
			RequiredRegExes: X{{Pattern: `)`}}, AllowedRegExes: X{{Pattern: `*`}}, DisallowedRegExes: X{{Pattern: `\`}}},
			[]string{"characterVariety", "minimumLength", "requiredRegExes[0]", "allowedRegExes[0]", "disallowedRegExes[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.req.Check()
			_, cerr := tt.req.Compile()
			if tt.want == nil {
				if err != nil || cerr != nil {
					t.Fatalf("Check() = %v, Compile() error = %v, want nil", err, cerr)
				}
				return
			}
			if !errors.Is(err, passcode.ErrInvalidPolicy) || !errors.Is(cerr, passcode.ErrInvalidPolicy) {
				t.Fatalf("Check() = %v, Compile() error = %v, want ErrInvalidPolicy", err, cerr)
			}
			var pe *passcode.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check() = %T, want *PolicyError", err)
			}
			var fields []string
			for _, p := range pe.Problems {
				fields = append(fields, p.Field)
				if p.Message == "" {
					t.Errorf("problem %q has no message", p.Field)
				}
				if strings.Contains(p.Message, "regexp:") || strings.Contains(p.Message, "error parsing") {
					t.Errorf("problem %q leaks Go error text: %q", p.Field, p.Message)
				}
			}
			if !slices.Equal(fields, tt.want) {
				t.Errorf("problem fields = %q, want %q", fields, tt.want)
			}
			if cerr.Error() != err.Error() {
				t.Errorf("Compile error %q differs from Check error %q", cerr, err)
			}
		})
	}
}

func TestPolicyErrorText(t *testing.T) {
	t.Parallel()
	err := passcode.Requirements{
		MinimumLength:   9,
		MaximumLength:   8,
		RequiredRegExes: []passcode.Regex{{Pattern: `ab(c`}},
	}.Check()
	want := "passcode: invalid policy: minimumLength: must not exceed maximumLength 8 (is 9); " +
		"requiredRegExes[0]: is not a valid RE2 pattern: missing closing ): \"ab(c\""
	if err == nil || err.Error() != want {
		t.Errorf("Check() = %v\nwant %s", err, want)
	}
}

func TestPolicyRequirementsIsACopy(t *testing.T) {
	t.Parallel()
	req := strong()
	p, err := req.Compile()
	if err != nil {
		t.Fatal(err)
	}
	// Changing the caller's slices after Compile must not change the policy.
	req.RequiredRegExes[0].Pattern = "changed"
	if got := p.Requirements(); !passcode.Equal(got, strong()) {
		t.Errorf("Requirements() = %+v, want the policy as compiled", got)
	}
	// Nor may changing what Requirements returned.
	got := p.Requirements()
	got.DisallowedRegExes[0].Pattern = "changed"
	if !passcode.Equal(p.Requirements(), strong()) {
		t.Errorf("Requirements() shares its slices with the Policy")
	}
	if vs := p.Validate("Tr0ub4dor&3"); vs != nil {
		t.Errorf("Validate after edits = %v, want nil", vs)
	}
}

func TestPolicyConcurrentValidate(t *testing.T) {
	t.Parallel()
	p, err := strong().Compile()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []passcode.Violation)
	for range 8 {
		go func() { done <- p.Validate("password") }()
	}
	for range 8 {
		if got := rules(t, <-done); len(got) == 0 {
			t.Error("concurrent Validate accepted a passcode that breaks the policy")
		}
	}
}
