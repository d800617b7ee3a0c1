package passcode_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	type R = passcode.Requirements
	type X = []passcode.Regex
	lengths := R{MinimumLength: 4, MaximumLength: 8}
	tests := []struct {
		name     string
		req      R
		passcode string
		want     []string
	}{
		// Lengths, in code points after NFC.
		{"length min-1", lengths, "abc", []string{"minimumLength"}},
		{"length min", lengths, "abcd", nil},
		{"length max", lengths, "abcdefgh", nil},
		{"length max+1", lengths, "abcdefghi", []string{"maximumLength"}},
		{"length empty", lengths, "", []string{"minimumLength"}},
		{"length counts code points not bytes", lengths, "ßßßßßßßß", nil},
		{"length max+1 non-ASCII", lengths, "éééééééé€", []string{"maximumLength"}},
		{"maximum 0 means none", R{MinimumLength: 1}, strings.Repeat("a", 1000), nil},
		{"NFC composes e and acute into one", R{MaximumLength: 1}, "e\u0301", nil},
		{"NFC composed is too short", R{MinimumLength: 2}, "e\u0301", []string{"minimumLength"}},
		{"NFC composed e acute is lower", R{LowerCaseCount: 1, SymbolCount: 1}, "e\u0301", []string{"symbolCount"}},
		{"NFC leaves q acute two code points", R{MaximumLength: 1}, "q\u0301", []string{"maximumLength"}},
		{"uncomposable mark is a symbol", R{SymbolCount: 1, LowerCaseCount: 1}, "q\u0301", nil},

		// Classes.
		{"ASCII digits", R{DigitCount: 2}, "a1b2", nil},
		{"too few digits", R{DigitCount: 3}, "a1b2", []string{"digitCount"}},
		{"Arabic-Indic digits", R{DigitCount: 3}, "٣٤٥", nil},
		{"Devanagari digits", R{DigitCount: 2}, "३४", nil},
		{"superscript two is no digit", R{DigitCount: 1}, "²", []string{"digitCount"}},
		{"superscript two is a symbol", R{SymbolCount: 1}, "²", nil},
		{"vulgar fraction is a symbol", R{SymbolCount: 1}, "½", nil},
		{"É is upper", R{UpperCaseCount: 1, LowerCaseCount: 1}, "É", []string{"lowerCaseCount"}},
		{"ß is lower", R{LowerCaseCount: 1, UpperCaseCount: 1}, "ß", []string{"upperCaseCount"}},
		{"Greek cases", R{LowerCaseCount: 2, UpperCaseCount: 2}, "ΣσΩω", nil},
		{"Cyrillic cases", R{LowerCaseCount: 1, UpperCaseCount: 1}, "Жж", nil},
		{"titlecase is neither case nor symbol", R{LowerCaseCount: 1, UpperCaseCount: 1, SymbolCount: 1}, "ǅ",
			[]string{"symbolCount", "lowerCaseCount", "upperCaseCount"}},
		{"Han letters count toward no class", R{DigitCount: 1, SymbolCount: 1, LowerCaseCount: 1, UpperCaseCount: 1, CharacterVariety: 1}, "密码",
			[]string{"digitCount", "symbolCount", "lowerCaseCount", "upperCaseCount", "characterVariety"}},
		{"ASCII punctuation is a symbol", R{SymbolCount: 3}, "a!_~", nil},
		{"non-ASCII symbols", R{SymbolCount: 3}, "€§¿", nil},
		{"emoji is a symbol", R{SymbolCount: 1}, "a😀", nil},
		{"control is a symbol", R{SymbolCount: 1}, "a\x00", nil},
		{"space is no symbol", R{SymbolCount: 1}, "a b", []string{"symbolCount"}},
		{"tab is no symbol", R{SymbolCount: 1}, "a\tb", []string{"symbolCount"}},
		{"no-break space is no symbol", R{SymbolCount: 1}, "a\u00a0b", []string{"symbolCount"}},
		{"ideographic space is no symbol", R{SymbolCount: 1}, "a\u3000b", []string{"symbolCount"}},
		{"negative count imposes nothing", R{DigitCount: -1}, "a", nil},

		// Variety.
		{"variety 2 of 3", R{CharacterVariety: 3}, "aA", []string{"characterVariety"}},
		{"variety 3 with digit", R{CharacterVariety: 3}, "aA1", nil},
		{"variety 3 with non-ASCII symbol", R{CharacterVariety: 3}, "aA€", nil},
		{"variety space adds nothing", R{CharacterVariety: 3}, "aA ", []string{"characterVariety"}},
		{"variety repeated class counts once", R{CharacterVariety: 2}, "abcdef", []string{"characterVariety"}},
		{"variety 4", R{CharacterVariety: 4}, "aA1!", nil},
		{"variety 4 non-ASCII", R{CharacterVariety: 4}, "ßÉ٣§", nil},

		// Required patterns: each must match somewhere.
		{"required all match", R{RequiredRegExes: X{{Pattern: `[0-9]`}, {Pattern: `^[a-z]`}}}, "a1", nil},
		{"required match inside", R{RequiredRegExes: X{{Pattern: `[0-9]`}}}, "abc1def", nil},
		{"required one fails", R{RequiredRegExes: X{{Pattern: `[0-9]`}, {Pattern: `^[a-z]`}}}, "1a", []string{"requiredRegExes[1]"}},
		{"required both fail", R{RequiredRegExes: X{{Pattern: `[0-9]`}, {Pattern: `^[a-z]`}}}, "Abc", []string{"requiredRegExes[0]", "requiredRegExes[1]"}},
		{"required sees NFC", R{RequiredRegExes: X{{Pattern: "\u00e9"}}}, "e\u0301", nil},

		// Disallowed patterns: none may match.
		{"disallowed none match", R{DisallowedRegExes: X{{Pattern: `(?i)password`}, {Pattern: `1234`}}}, "s3cret!", nil},
		{"disallowed case-insensitive", R{DisallowedRegExes: X{{Pattern: `(?i)password`, Error: "no"}, {Pattern: `1234`}}}, "myPassWord", []string{"disallowedRegExes[0]"}},
		{"disallowed both", R{DisallowedRegExes: X{{Pattern: `(?i)password`, Error: "no"}, {Pattern: `1234`, Error: "no"}}}, "password1234", []string{"disallowedRegExes[0]", "disallowedRegExes[1]"}},

		// Allowed patterns: when present, one must match the whole passcode.
		{"allowed whole", R{AllowedRegExes: X{{Pattern: `[0-9]{6}`}}}, "123456", nil},
		{"allowed substring is not enough", R{AllowedRegExes: X{{Pattern: `[0-9]{6}`}}}, "1234567", []string{"allowedRegExes"}},
		{"allowed prefix is not enough", R{AllowedRegExes: X{{Pattern: `[0-9]{6}`}}}, "x123456", []string{"allowedRegExes"}},
		{"allowed anchored pin6", pin6(), "123456", nil},
		{"allowed anchored pin6 letters", pin6(), "12345a", []string{"digitCount", "allowedRegExes"}},
		{"allowed alternation shorter first", R{AllowedRegExes: X{{Pattern: `a|ab`}}}, "ab", nil},
		{"allowed alternation longer first", R{AllowedRegExes: X{{Pattern: `ab|a`}}}, "a", nil},
		{"allowed alternation not anchored per branch", R{AllowedRegExes: X{{Pattern: `[0-9]{4}|[0-9]{6}`}}}, "12345", []string{"allowedRegExes"}},
		{"allowed alternation second branch", R{AllowedRegExes: X{{Pattern: `[0-9]{4}|[0-9]{6}`}}}, "123456", nil},
		{"allowed alternation anchored branches", R{AllowedRegExes: X{{Pattern: `^[0-9]{4}$|^[a-z]{4}$`}}}, "abcd", nil},
		{"allowed alternation anchored branches mixed", R{AllowedRegExes: X{{Pattern: `^[0-9]{4}$|^[a-z]{4}$`}}}, "12ab", []string{"allowedRegExes"}},
		{"allowed second pattern", R{AllowedRegExes: X{{Pattern: `[0-9]+`}, {Pattern: `[a-z]+`}}}, "abc", nil},
		{"allowed no pattern covers a mix", R{AllowedRegExes: X{{Pattern: `[0-9]+`}, {Pattern: `[a-z]+`}}}, "a1", []string{"allowedRegExes"}},
		{"allowed multiline flag does not anchor lines", R{AllowedRegExes: X{{Pattern: `(?m)^[0-9]+$`}}}, "12\nab", []string{"allowedRegExes"}},
		{"allowed trailing newline", R{AllowedRegExes: X{{Pattern: `[0-9]+`}}}, "123\n", []string{"allowedRegExes"}},
		{"allowed quoted literal", R{AllowedRegExes: X{{Pattern: `\Qa|b`}}}, "a|b", nil},
		{"allowed quoted literal is literal", R{AllowedRegExes: X{{Pattern: `\Qa|b`}}}, "a", []string{"allowedRegExes"}},
		{"allowed sees NFC", R{AllowedRegExes: X{{Pattern: "\u00e9+"}}}, "e\u0301e\u0301", nil},

		// Empty patterns impose nothing.
		{"guide example accepts", guideExample(), "Aa1!xy", nil},
		{"guide example rejects", guideExample(), "aaaaa", []string{"minimumLength", "digitCount", "symbolCount", "upperCaseCount"}},
		{"empty disallowed", R{DisallowedRegExes: X{{}}}, "anything", nil},
		{"empty allowed alone", R{AllowedRegExes: X{{}}}, "anything", nil},
		{"empty allowed beside another", R{AllowedRegExes: X{{}, {Pattern: `[0-9]+`}}}, "abc", []string{"allowedRegExes"}},
		{"empty required", R{RequiredRegExes: X{{Error: "never shown"}}}, "", nil},

		// Everything at once, in the documented order.
		{"every violation", strong(), "pass word", []string{
			"minimumLength", "digitCount", "symbolCount", "upperCaseCount", "characterVariety",
			"requiredRegExes[0]", "allowedRegExes"}},
		{"every violation with disallowed", strong(), "Password1", []string{
			"minimumLength", "digitCount", "symbolCount", "characterVariety",
			"requiredRegExes[0]", "disallowedRegExes[0]"}},
		{"strong accepts", strong(), "Tr0ub4dor&3", nil},
		{"strong accepts non-ASCII", strong(), "Ünïcødé٣٤§x", nil},
		{"strong rejects space", strong(), "Tr0ub4dor &3", []string{"allowedRegExes"}},

		// Text that is no passcode.
		{"invalid UTF-8", R{}, "ab\xff", []string{"encoding"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := rules(t, tt.req.Validate(tt.passcode))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%q) rules = %q, want %q", tt.passcode, got, tt.want)
			}
			if tt.req.Check() != nil {
				return // Compile refuses it; the lenient Validate above is what applies
			}
			p, err := tt.req.Compile()
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := rules(t, p.Validate(tt.passcode)); !slices.Equal(got, tt.want) {
				t.Errorf("Policy.Validate(%q) rules = %q, want %q", tt.passcode, got, tt.want)
			}
			assertNoPasscodeInMessages(t, tt.passcode, p.Validate(tt.passcode))
		})
	}
}

// assertNoPasscodeInMessages fails when a message quotes the passcode: messages end
// up in logs and reports, the passcode must not.
func assertNoPasscodeInMessages(tb testing.TB, pc string, vs []passcode.Violation) {
	tb.Helper()
	if len([]rune(pc)) < 3 {
		return // too short to tell a leak from an innocent substring
	}
	for _, v := range vs {
		if strings.Contains(v.Message, pc) || strings.Contains(v.Message, passcode.Normalize(pc)) {
			tb.Errorf("message of %s quotes the passcode: %q", v.Rule, v.Message)
		}
	}
}

func TestValidateBrokenPatternsFailClosed(t *testing.T) {
	t.Parallel()
	type X = []passcode.Regex
	tests := []struct {
		name string
		req  passcode.Requirements
		want []string
	}{
		{"required", passcode.Requirements{RequiredRegExes: X{{Pattern: `(`}}}, []string{"requiredRegExes[0]"}},
		{"disallowed", passcode.Requirements{DisallowedRegExes: X{{Pattern: `z`}, {Pattern: `[`}}}, []string{"disallowedRegExes[1]"}},
		{"allowed", passcode.Requirements{AllowedRegExes: X{{Pattern: `x**`}}}, []string{"allowedRegExes[0]"}},
		{"allowed beside a good one", passcode.Requirements{AllowedRegExes: X{{Pattern: `\8`}, {Pattern: `[a-z]+`}}}, []string{"allowedRegExes[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rules(t, tt.req.Validate("abc")); !slices.Equal(got, tt.want) {
				t.Errorf("Validate rules = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateMessagesAndBounds(t *testing.T) {
	t.Parallel()
	type X = []passcode.Regex
	tests := []struct {
		name     string
		req      passcode.Requirements
		passcode string
		want     passcode.Violation
	}{
		{"minimum length", passcode.Requirements{MinimumLength: 8}, "e\u0301\u00e9",
			passcode.Violation{Rule: "minimumLength", Message: "must be at least 8 characters long", Want: 8, Got: 2}},
		{"maximum length singular", passcode.Requirements{MaximumLength: 1}, "ab",
			passcode.Violation{Rule: "maximumLength", Message: "must be at most 1 character long", Want: 1, Got: 2}},
		{"digits plural", passcode.Requirements{DigitCount: 2}, "a٣",
			passcode.Violation{Rule: "digitCount", Message: "must contain at least 2 digits", Want: 2, Got: 1}},
		{"symbol singular", passcode.Requirements{SymbolCount: 1}, "ab",
			passcode.Violation{Rule: "symbolCount", Message: "must contain at least 1 symbol", Want: 1, Got: 0}},
		{"lower", passcode.Requirements{LowerCaseCount: 2}, "ÉÉ",
			passcode.Violation{Rule: "lowerCaseCount", Message: "must contain at least 2 lower-case letters", Want: 2, Got: 0}},
		{"upper", passcode.Requirements{UpperCaseCount: 1}, "éé",
			passcode.Violation{Rule: "upperCaseCount", Message: "must contain at least 1 upper-case letter", Want: 1, Got: 0}},
		{"variety", passcode.Requirements{CharacterVariety: 4}, "aA1",
			passcode.Violation{Rule: "characterVariety", Message: "must mix at least 4 of these kinds of character: digits, symbols, lower-case and upper-case letters", Want: 4, Got: 3}},
		{"required own text", passcode.Requirements{RequiredRegExes: X{{Pattern: `[0-9]`, Error: "Add a digit."}}}, "abc",
			passcode.Violation{Rule: "requiredRegExes[0]", Message: "Add a digit."}},
		{"required default text", passcode.Requirements{RequiredRegExes: X{{Pattern: `[0-9]`}}}, "abc",
			passcode.Violation{Rule: "requiredRegExes[0]", Message: "must match the pattern \"[0-9]\""}},
		{"disallowed own text", passcode.Requirements{DisallowedRegExes: X{{}, {Pattern: `abc`, Error: "Too simple."}}}, "xabcx",
			passcode.Violation{Rule: "disallowedRegExes[1]", Message: "Too simple."}},
		{"disallowed default text", passcode.Requirements{DisallowedRegExes: X{{Pattern: `b`}}}, "abc",
			passcode.Violation{Rule: "disallowedRegExes[0]", Message: "must not match the pattern \"b\""}},
		{"allowed own text", passcode.Requirements{AllowedRegExes: pin6().AllowedRegExes}, "123456a",
			passcode.Violation{Rule: "allowedRegExes", Message: "must be six digits"}},
		{"allowed texts joined once each", passcode.Requirements{AllowedRegExes: X{
			{Pattern: `[0-9]+`, Error: "digits only"}, {Pattern: `[a-z]+`, Error: "letters only"}, {Pattern: `[A-Z]+`, Error: "letters only"}}}, "a1",
			passcode.Violation{Rule: "allowedRegExes", Message: "digits only; letters only"}},
		{"allowed default text", passcode.Requirements{AllowedRegExes: X{{Pattern: `[0-9]+`}}}, "a1",
			passcode.Violation{Rule: "allowedRegExes", Message: "must match one of the allowed patterns as a whole"}},
		{"encoding", passcode.Requirements{}, "\xc3",
			passcode.Violation{Rule: "encoding", Message: "must be valid UTF-8 text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.req.Validate(tt.passcode)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Validate(%q) = %+v, want [%+v]", tt.passcode, got, tt.want)
			}
		})
	}
}

func TestViolationString(t *testing.T) {
	t.Parallel()
	v := passcode.Violation{Rule: "digitCount", Message: "must contain at least 1 digit"}
	if got, want := v.String(), "digitCount: must contain at least 1 digit"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestRegexRule(t *testing.T) {
	t.Parallel()
	if got, want := passcode.RegexRule(passcode.RuleDisallowedRegExes, 12), "disallowedRegExes[12]"; got != want {
		t.Errorf("RegexRule = %q, want %q", got, want)
	}
}
