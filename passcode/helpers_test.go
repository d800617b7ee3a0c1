package passcode_test

import (
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// Named policies shared by the tests. Each call returns a fresh value.

// guideExample is the passcodeRequirements of the TrustX guide's renewal example,
// empty patterns included.
func guideExample() passcode.Requirements {
	empty := []passcode.Regex{{Pattern: "", Error: ""}}
	return passcode.Requirements{
		MinimumLength: 6, MaximumLength: 12,
		DigitCount: 1, SymbolCount: 1, LowerCaseCount: 1, UpperCaseCount: 1,
		CharacterVariety: 1, PasscodeHistory: 1,
		RequiredRegExes: empty, AllowedRegExes: empty, DisallowedRegExes: empty,
	}
}

// pin6 allows exactly six ASCII digits.
func pin6() passcode.Requirements {
	return passcode.Requirements{
		MinimumLength: 6, MaximumLength: 6, DigitCount: 6,
		AllowedRegExes: []passcode.Regex{{Pattern: `^[0-9]{6}$`, Error: "must be six digits"}},
	}
}

// strong uses every kind of rule at once.
func strong() passcode.Requirements {
	return passcode.Requirements{
		MinimumLength: 10, MaximumLength: 64,
		DigitCount: 2, SymbolCount: 1, LowerCaseCount: 1, UpperCaseCount: 1,
		CharacterVariety: 4, PasscodeHistory: 5,
		RequiredRegExes:   []passcode.Regex{{Pattern: `\p{Nd}.*\p{Nd}`, Error: "needs two digits"}},
		DisallowedRegExes: []passcode.Regex{{Pattern: `(?i)password`, Error: "must not contain the word password"}},
		AllowedRegExes:    []passcode.Regex{{Pattern: `[^ ]+`, Error: "must not contain spaces"}},
	}
}

// hex allows lower-case hexadecimal strings of 8 to 12 digits.
func hex() passcode.Requirements {
	return passcode.Requirements{
		MinimumLength: 8, MaximumLength: 12, CharacterVariety: 2,
		AllowedRegExes: []passcode.Regex{{Pattern: `[0-9a-f]{8,12}`, Error: "must be 8 to 12 hex digits"}},
	}
}

// rules returns the rule names of vs, in order.
func rules(tb testing.TB, vs []passcode.Violation) []string {
	tb.Helper()
	var out []string
	for _, v := range vs {
		if v.Rule == "" {
			tb.Errorf("violation without a rule name: %+v", v)
		}
		if v.Message == "" {
			tb.Errorf("violation %q without a message", v.Rule)
		}
		out = append(out, v.Rule)
	}
	return out
}
