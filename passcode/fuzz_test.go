package passcode_test

import (
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// fuzzPolicy is a fixed policy FuzzValidate checks fuzzed passcodes against.
type fuzzPolicy struct {
	name      string
	req       passcode.Requirements
	asciiOnly bool // its allowed patterns admit ASCII only, so a non-ASCII Generate must fail
}

func fuzzPolicies() []fuzzPolicy {
	return []fuzzPolicy{
		{"guide example", guideExample(), false},
		{"pin6", pin6(), true},
		{"strong", strong(), false},
		{"hex", hex(), true},
		{"zero value", passcode.Requirements{}, false},
	}
}

// FuzzValidate checks, for any passcode text: no panic; every violation named and
// worded; Normalize idempotent; Validate seeing through
// normalization (a string and its NFC form break the same rules, bar "encoding");
// and every Generate output, ASCII or not, accepted by Validate.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"", "Aa1!xy", "123456", "e\u0301", "Ünïcødé٣٤§x", "pass word", "ab\xff", "\u1100\u1161", "ǅ²½"} {
		f.Add(s, uint64(0), false)
	}
	f.Add("Tr0ub4dor&3", uint64(42), true)
	policies := fuzzPolicies()
	compiled := make([]*passcode.Policy, len(policies))
	generators := make([][2]*passcode.Generator, len(policies)) // [ASCII, non-ASCII]
	for i, fp := range policies {
		p, err := fp.req.Compile()
		if err != nil {
			f.Fatal(err)
		}
		compiled[i] = p
		for j, nonASCII := range []bool{false, true} {
			g, err := passcode.NewGenerator(fp.req, passcode.GenerateOptions{NonASCII: nonASCII, Attempts: 64})
			if err != nil {
				f.Fatal(err)
			}
			generators[i][j] = g
		}
	}
	f.Fuzz(func(t *testing.T, s string, seed uint64, nonASCII bool) {
		n := passcode.Normalize(s)
		if passcode.Normalize(n) != n {
			t.Errorf("Normalize is not idempotent on %q", s)
		}
		for i, p := range compiled {
			got := rules(t, p.Validate(s))
			if utf8.ValidString(s) {
				if want := rules(t, p.Validate(n)); !slices.Equal(got, want) {
					t.Errorf("%s: %q breaks %q but its NFC form breaks %q", policies[i].name, s, got, want)
				}
			}
			g := generators[i][0]
			if nonASCII {
				g = generators[i][1]
			}
			out, err := g.Generate(seeded(t, seed))
			name := policies[i].name
			if nonASCII && policies[i].asciiOnly {
				if !errors.Is(err, passcode.ErrUnsatisfiable) {
					t.Errorf("%s: non-ASCII Generate = %q, %v; want ErrUnsatisfiable", name, out, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: Generate(seed %d, nonASCII %v): %v", name, seed, nonASCII, err)
			}
			if vs := p.Validate(out); vs != nil {
				t.Errorf("%s: Generate gave %q, which breaks %v", name, out, vs)
			}
		}
	})
}

// FuzzCheck feeds admin-controlled policy text (patterns and numbers) through Check,
// Compile, Validate and Generate: no panic, Check and Compile agree, and whatever
// Generate returns for a valid policy, Validate accepts.
func FuzzCheck(f *testing.F) {
	f.Add(`^[0-9]{6}$`, `(?i)password`, "", 6, 6, 1, 0)
	f.Add(`(`, `[`, `\8`, -1, 3, 5, 7)
	f.Add(`\p{Nd}.*\p{Nd}`, `a|ab`, `\Qa)`, 0, 0, 4, 2)
	f.Add("", "", "", 1, 0, 0, 0)
	f.Fuzz(func(t *testing.T, allowed, disallowed, required string, minLen, maxLen, variety, digits int) {
		r := passcode.Requirements{
			MinimumLength: minLen % 100, MaximumLength: maxLen % 100,
			CharacterVariety: variety % 8, DigitCount: digits % 50,
			AllowedRegExes:    []passcode.Regex{{Pattern: allowed}},
			DisallowedRegExes: []passcode.Regex{{Pattern: disallowed}},
			RequiredRegExes:   []passcode.Regex{{Pattern: required}},
		}
		checkErr := r.Check()
		p, compileErr := r.Compile()
		if (checkErr == nil) != (compileErr == nil) {
			t.Fatalf("Check() = %v but Compile() error = %v", checkErr, compileErr)
		}
		if checkErr != nil {
			if !errors.Is(checkErr, passcode.ErrInvalidPolicy) {
				t.Fatalf("Check() = %v, not ErrInvalidPolicy", checkErr)
			}
			r.Validate("abc") // lenient validation of a broken policy must not panic
			return
		}
		out, err := passcode.Generate(r, seeded(t, uint64(minLen)), passcode.GenerateOptions{Attempts: 16})
		if err != nil {
			if !errors.Is(err, passcode.ErrUnsatisfiable) {
				t.Fatalf("Generate error %v is not ErrUnsatisfiable", err)
			}
			return
		}
		if vs := p.Validate(out); vs != nil {
			t.Errorf("Generate gave %q, which breaks %v", out, vs)
		}
	})
}
