package passcode

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// Rule names: the stable Violation.Rule and Problem.Field values, spelled as the JSON
// fields of passcodeRequirements.
const (
	RuleMinimumLength    = "minimumLength"
	RuleMaximumLength    = "maximumLength"
	RuleDigitCount       = "digitCount"
	RuleSymbolCount      = "symbolCount"
	RuleLowerCaseCount   = "lowerCaseCount"
	RuleUpperCaseCount   = "upperCaseCount"
	RuleCharacterVariety = "characterVariety"
	// RulePasscodeHistory names the history field in Problems only: history is
	// enforced by the server, never by Validate.
	RulePasscodeHistory = "passcodeHistory"
	// RuleRequiredRegExes and RuleDisallowedRegExes are list names: a violation of one
	// of their patterns has the rule RegexRule(list, index), e.g. "requiredRegExes[0]".
	RuleRequiredRegExes   = "requiredRegExes"
	RuleDisallowedRegExes = "disallowedRegExes"
	// RuleAllowedRegExes is the rule of the allowed list as a whole: the passcode
	// matched none of its patterns. (A Problem about one allowed pattern carries
	// RegexRule(RuleAllowedRegExes, index) instead.)
	RuleAllowedRegExes = "allowedRegExes"
	// RuleEncoding is violated by a string that is not valid UTF-8: it cannot travel
	// as JSON text nor be hashed as the UTF-8 bytes of a passcode.
	RuleEncoding = "encoding"
)

// RegexRule returns the rule name of the pattern at index in the named list:
// RegexRule(RuleRequiredRegExes, 0) == "requiredRegExes[0]".
func RegexRule(list string, index int) string {
	return list + "[" + strconv.Itoa(index) + "]"
}

// Violation is one rule that a passcode breaks.
type Violation struct {
	// Rule is the stable rule name, one of the Rule constants or a RegexRule.
	Rule string `json:"rule"`
	// Message is for people: for a pattern, the policy's own error text when it has
	// one. It never contains the passcode.
	Message string `json:"message"`
	// Want and Got are the bound and the measured value for the length, count and
	// variety rules (Got is in code points after NFC); both are 0 for pattern rules.
	Want int `json:"want"`
	Got  int `json:"got"`
}

// String returns "rule: message".
func (v Violation) String() string {
	return v.Rule + ": " + v.Message
}

// Validate returns every rule of r that passcode breaks, or nil when it breaks none.
// It compiles r's patterns on each call; use Compile to validate many passcodes.
//
// Validate fails closed on a policy that Check rejects: a pattern that does not
// compile is reported as a violation of that pattern's rule for every passcode, and
// the other rules apply as written (so minimumLength above maximumLength rejects
// everything, and a negative count imposes nothing).
func (r Requirements) Validate(passcode string) []Violation {
	p, _ := compile(r)
	return p.Validate(passcode)
}

// Validate returns every rule of p that passcode breaks, in a fixed order (patterns
// that did not compile, encoding, lengths, digit, symbol, lower and upper counts,
// variety, then required and disallowed patterns by index, then the allowed list), or
// nil when it breaks none. Every rule is checked on Normalize(passcode).
func (p *Policy) Validate(passcode string) []Violation {
	vs := append([]Violation(nil), p.broken...)
	if !utf8.ValidString(passcode) {
		vs = append(vs, Violation{Rule: RuleEncoding, Message: "must be valid UTF-8 text"})
	}
	s := Normalize(passcode)
	c := measureNormalized(s)
	r := p.req

	if c.Length < r.MinimumLength {
		vs = append(vs, Violation{
			Rule:    RuleMinimumLength,
			Message: fmt.Sprintf("must be at least %s long", plural(r.MinimumLength, "character")),
			Want:    r.MinimumLength, Got: c.Length,
		})
	}
	if r.MaximumLength > 0 && c.Length > r.MaximumLength {
		vs = append(vs, Violation{
			Rule:    RuleMaximumLength,
			Message: fmt.Sprintf("must be at most %s long", plural(r.MaximumLength, "character")),
			Want:    r.MaximumLength, Got: c.Length,
		})
	}
	counts := []struct {
		rule string
		want int
		got  int
		noun string
	}{
		{RuleDigitCount, r.DigitCount, c.Digits, "digit"},
		{RuleSymbolCount, r.SymbolCount, c.Symbols, "symbol"},
		{RuleLowerCaseCount, r.LowerCaseCount, c.Lower, "lower-case letter"},
		{RuleUpperCaseCount, r.UpperCaseCount, c.Upper, "upper-case letter"},
	}
	for _, k := range counts {
		if k.got < k.want {
			vs = append(vs, Violation{
				Rule:    k.rule,
				Message: "must contain at least " + plural(k.want, k.noun),
				Want:    k.want, Got: k.got,
			})
		}
	}
	if c.Variety < r.CharacterVariety {
		vs = append(vs, Violation{
			Rule: RuleCharacterVariety,
			Message: fmt.Sprintf("must mix at least %d of these kinds of character: digits, symbols, lower-case and upper-case letters",
				r.CharacterVariety),
			Want: r.CharacterVariety, Got: c.Variety,
		})
	}

	for _, x := range p.required {
		if !x.re.MatchString(s) {
			vs = append(vs, Violation{Rule: x.rule, Message: orDefault(x.msg, "must match the pattern %q", x.re)})
		}
	}
	for _, x := range p.disallowed {
		if x.re.MatchString(s) {
			vs = append(vs, Violation{Rule: x.rule, Message: orDefault(x.msg, "must not match the pattern %q", x.re)})
		}
	}
	if len(p.allowed) > 0 && !p.allowedWhole(s) {
		vs = append(vs, Violation{Rule: RuleAllowedRegExes, Message: p.allowedMsg})
	}
	return vs
}

// allowedWhole reports whether some allowed pattern matches all of s.
func (p *Policy) allowedWhole(s string) bool {
	for _, x := range p.allowed {
		if wholeMatch(x.re, s) {
			return true
		}
	}
	return false
}

// wholeMatch reports whether re, compiled leftmost-longest (Regexp.Longest), matches
// all of s: the semantics of \A(?:pattern)\z, without pasting the policy's text into
// another pattern (which a trailing \Q or a stray ")" could subvert). If any match
// spans s, it starts at 0, the leftmost possible start, and leftmost-longest then
// picks the longest match there, which is all of s.
func wholeMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// orDefault returns msg, or when the policy gave no error text, a default naming the
// pattern (policy data, never the passcode).
func orDefault(msg, format string, re *regexp.Regexp) string {
	if msg != "" {
		return msg
	}
	return fmt.Sprintf(format, re.String())
}

// plural returns "1 digit" or "2 digits".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
