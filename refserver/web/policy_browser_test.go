package web_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// policyCases is a table of policies and passcodes on which policy.js must give the
// Go validator's answer, rule for rule and message for message.
func policyCases() []struct {
	name      string
	req       passcode.Requirements
	passcodes []string
} {
	standard := passcode.Requirements{
		MinimumLength: 8, MaximumLength: 64, DigitCount: 1, SymbolCount: 1, LowerCaseCount: 1,
		UpperCaseCount: 1, CharacterVariety: 3, PasscodeHistory: 3,
		RequiredRegExes:   []passcode.Regex{{Pattern: "[A-Za-z]", Error: "must contain a letter"}},
		DisallowedRegExes: []passcode.Regex{{Pattern: "(?i)password", Error: "must not contain the word password"}},
	}
	return []struct {
		name      string
		req       passcode.Requirements
		passcodes []string
	}{
		{"standard", standard, []string{
			"", "a", "Correct-Horse-9", "correct-horse-9", "CORRECT-HORSE", "Pass-Word-1", "My-PASSWORD-1",
			"12345678", "!!!!!!!!", "Aa1!", "Ünïcødé-Paß-7", "Cafe\u0301-Latte-2", "ΣΊΣΥΦΟΣ-σοφία-3",
			"Tab\tSpace 1a", "٣٤٥-Abc-def", "ǅungla-1!", "汉字汉字-Ab1", "😀😀😀😀-Ab1",
			"No\u00a0Break\u2003Em-1", "a\u0308\u0301-Bc-123", "Ⅻ½-Roman-x", "ｆｕｌｌ-Ｗｉｄｔｈ-１",
			string(make([]rune, 70)) + "Ab1!",
		}},
		{"pin6", passcode.Requirements{MinimumLength: 6, MaximumLength: 6, PasscodeHistory: 1,
			AllowedRegExes: []passcode.Regex{{Pattern: "^[0-9]{6}$", Error: "must be exactly six digits"}}},
			[]string{"246810", "24681", "2468100", "24681a", "２４６８１０", "٢٤٦٨١٠"}},
		{"patterns without messages", passcode.Requirements{
			RequiredRegExes:   []passcode.Regex{{Pattern: `\d{2}`}, {Pattern: `\pL`}, {Pattern: ""}, {Pattern: `\Q+*\E`}},
			DisallowedRegExes: []passcode.Regex{{Pattern: `(.)\s`}, {Pattern: `[[:upper:]]{3}`}, {Pattern: `\Aabc`}, {Pattern: `xyz\z`}},
			AllowedRegExes:    []passcode.Regex{{Pattern: `a|ab|abc+.*`}, {Pattern: `\p{Greek}+\d*`}},
		}, []string{"ab", "abc12+*", "abcxyz", "ABCdef", "a b", "αβγ12", "αβγ", "12abc", "ab\n12+*", "x"}},
		{"allowed messages joined", passcode.Requirements{
			AllowedRegExes: []passcode.Regex{{Pattern: `[a-z]+`, Error: "lower-case letters only"}, {Pattern: `[0-9]+`, Error: "or digits only"}, {Pattern: `x`}},
		}, []string{"abc", "123", "abc123", "ABC"}},
		{"case-insensitive and dot", passcode.Requirements{
			DisallowedRegExes: []passcode.Regex{{Pattern: `(?i)^admin`}, {Pattern: `a.b`}},
			RequiredRegExes:   []passcode.Regex{{Pattern: `(?s)x.y`}},
		}, []string{"ADMIN-x\ny", "Admin", "a\rb x\ny", "a\nb", "zzz"}},
		{"escapes and classes", passcode.Requirements{
			RequiredRegExes:   []passcode.Regex{{Pattern: `\w+@\w+`}, {Pattern: `[^a-z]`}},
			DisallowedRegExes: []passcode.Regex{{Pattern: `\x{1F600}`}, {Pattern: `\.\-\@`}, {Pattern: `[\d\s]{3}`}, {Pattern: `a{2,}`}},
		}, []string{"me@home", "me@home.-@", "a😀@b", "ME@HOME 12", "1 2@x", "aa@b", "x{2}@y"}},
		{"variety only", passcode.Requirements{CharacterVariety: 4, MinimumLength: 1},
			[]string{"aA1!", "aA1", "½Aa1", "aa11AA  "}},
	}
}

// randomPasscodes returns n strings drawn, with a fixed seed, from an alphabet of
// ASCII and of letters, digits, marks, spaces and symbols from other scripts.
func randomPasscodes(n int) []string {
	alphabet := []rune("aZ9 -_!@#.\t\u00a0éÉß\u0301٣٤ΣσǅⅫ½汉😀ｆ１\u2003[]{}()*+?|^$")
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]string, n)
	for i := range out {
		b := make([]rune, r.IntN(14))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		out[i] = string(b)
	}
	return out
}

type jsViolation struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Want    int    `json:"want"`
	Got     int    `json:"got"`
}

// checklistMatchesGoValidator runs policy.js in Chromium on the table and
// compares every violation with passcode.Requirements.Validate.
func checklistMatchesGoValidator(t *testing.T, ctx context.Context) {
	for _, pc := range policyCases() {
		pc.passcodes = append(pc.passcodes, randomPasscodes(150)...)
		t.Run(pc.name, func(t *testing.T) {
			got := call[[][]jsViolation](t, ctx, `async (req, list) => {
				const p = RenewkitPolicy.compile(req);
				return list.map((s) => p.validate(s));
			}`, pc.req, pc.passcodes)
			for i, s := range pc.passcodes {
				want := pc.req.Validate(s)
				if len(want) != len(got[i]) {
					t.Errorf("%q: Go %v, policy.js %v", s, want, got[i])
					continue
				}
				for j, w := range want {
					g := got[i][j]
					if w.Rule != g.Rule || w.Message != g.Message || w.Want != g.Want || w.Got != g.Got {
						t.Errorf("%q violation %d: Go %+v, policy.js %+v", s, j, w, g)
					}
				}
			}
		})
	}
}
