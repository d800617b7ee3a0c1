package passcode

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// ErrInvalidPolicy is matched (errors.Is) by every error that Check and Compile return
// for a policy that cannot be enforced. The reference server answers such an admin
// policy body with 400 INVALID_REQUEST.
var ErrInvalidPolicy = errors.New("passcode: invalid policy")

// MaxCharacterVariety is the largest meaningful characterVariety: the number of
// classes it counts (Digit, Symbol, Lower, Upper).
const MaxCharacterVariety = 4

// Problem is one reason a policy is invalid.
type Problem struct {
	// Field names the offending field as it is spelled in JSON, with an index for a
	// pattern: "minimumLength", "requiredRegExes[2]".
	Field string `json:"field"`
	// Message says what is wrong, in words fit for an API error body. It holds the
	// policy's own values (numbers, pattern text), never a passcode.
	Message string `json:"message"`
}

// String returns "field: message".
func (p Problem) String() string {
	return p.Field + ": " + p.Message
}

// PolicyError is the error of Check and Compile: every problem found, in field order.
type PolicyError struct {
	Problems []Problem
}

// Error lists every problem after the "passcode: invalid policy" prefix.
func (e *PolicyError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return ErrInvalidPolicy.Error() + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidPolicy) true.
func (e *PolicyError) Is(target error) bool {
	return target == ErrInvalidPolicy
}

// Check reports whether r is a policy that can be enforced: no negative number, a
// minimumLength not above a non-zero maximumLength, a characterVariety of at most 4, a
// maximumLength (when non-zero) long enough for the class counts and the variety
// together, and every non-empty pattern valid RE2. It returns nil or a *PolicyError
// listing every problem. A maximumLength of 0 means "no maximum".
func (r Requirements) Check() error {
	_, problems := compile(r)
	if len(problems) > 0 {
		return &PolicyError{Problems: problems}
	}
	return nil
}

// Policy is a compiled Requirements: patterns compiled once, ready to validate any
// number of passcodes. It is immutable and safe for concurrent use.
type Policy struct {
	req        Requirements
	required   []pattern
	disallowed []pattern
	allowed    []pattern // compiled leftmost-longest, see wholeMatch
	allowedMsg string
	// broken holds one violation per pattern that did not compile; only the lenient
	// Requirements.Validate builds a Policy that has any.
	broken []Violation
}

// pattern is one compiled, non-empty policy pattern.
type pattern struct {
	rule string // "requiredRegExes[1]"
	re   *regexp.Regexp
	msg  string // the policy's error text, or a default
}

// Compile checks r (see Check) and compiles its patterns. It returns a *PolicyError
// when r is invalid.
func (r Requirements) Compile() (*Policy, error) {
	p, problems := compile(r)
	if len(problems) > 0 {
		return nil, &PolicyError{Problems: problems}
	}
	return p, nil
}

// Requirements returns a copy of the requirements p was compiled from.
func (p *Policy) Requirements() Requirements {
	return p.req.clone()
}

// clone returns a deep copy of r, so a Policy never shares slices with its caller.
func (r Requirements) clone() Requirements {
	c := r
	c.RequiredRegExes = cloneRegexes(r.RequiredRegExes)
	c.AllowedRegExes = cloneRegexes(r.AllowedRegExes)
	c.DisallowedRegExes = cloneRegexes(r.DisallowedRegExes)
	return c
}

func cloneRegexes(rs []Regex) []Regex {
	if rs == nil {
		return nil
	}
	return append([]Regex(nil), rs...)
}

// compile builds the Policy for r, skipping (and reporting as a broken violation) any
// pattern that does not compile, and lists every problem of r. Callers that need a
// valid policy must check that problems is empty.
func compile(r Requirements) (*Policy, []Problem) {
	var problems []Problem
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	counts := []struct {
		field string
		n     int
	}{
		{RuleMinimumLength, r.MinimumLength},
		{RuleMaximumLength, r.MaximumLength},
		{RuleDigitCount, r.DigitCount},
		{RuleSymbolCount, r.SymbolCount},
		{RuleLowerCaseCount, r.LowerCaseCount},
		{RuleUpperCaseCount, r.UpperCaseCount},
		{RuleCharacterVariety, r.CharacterVariety},
		{RulePasscodeHistory, r.PasscodeHistory},
	}
	for _, c := range counts {
		if c.n < 0 {
			add(c.field, "must not be negative (is %d)", c.n)
		}
	}
	if r.CharacterVariety > MaxCharacterVariety {
		add(RuleCharacterVariety, "must be at most %d (is %d)", MaxCharacterVariety, r.CharacterVariety)
	}
	if r.MaximumLength > 0 {
		if r.MinimumLength > r.MaximumLength {
			add(RuleMinimumLength, "must not exceed maximumLength %d (is %d)", r.MaximumLength, r.MinimumLength)
		}
		if need := r.classMinimum(); need > r.MaximumLength {
			add(RuleMaximumLength, "is %d, below the %d characters that the class counts and characterVariety require", r.MaximumLength, need)
		}
	}

	p := &Policy{req: r.clone()}
	lists := []struct {
		name string
		rs   []Regex
		dst  *[]pattern
	}{
		{RuleRequiredRegExes, r.RequiredRegExes, &p.required},
		{RuleAllowedRegExes, r.AllowedRegExes, &p.allowed},
		{RuleDisallowedRegExes, r.DisallowedRegExes, &p.disallowed},
	}
	for _, l := range lists {
		for i, rx := range l.rs {
			if rx.Pattern == "" {
				// An empty pattern imposes nothing (see the package doc): the guide's
				// own example policy carries {"pattern": "", "error": ""} in all three lists.
				continue
			}
			rule := RegexRule(l.name, i)
			re, err := regexp.Compile(rx.Pattern)
			if err != nil {
				add(rule, "is not a valid RE2 pattern: %s", describeSyntaxError(err))
				p.broken = append(p.broken, Violation{
					Rule:    rule,
					Message: "the policy's pattern cannot be checked because it is not valid RE2",
				})
				continue
			}
			if l.name == RuleAllowedRegExes {
				re.Longest()
			}
			*l.dst = append(*l.dst, pattern{rule: rule, re: re, msg: rx.Error})
		}
	}
	p.allowedMsg = allowedMessage(p.allowed)
	return p, problems
}

// describeSyntaxError turns a regexp compile error into words without the Go package
// prefix, so it can go into an API error body.
func describeSyntaxError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %q", se.Code, se.Expr)
	}
	return strings.TrimPrefix(err.Error(), "regexp: ")
}

// allowedMessage is the message of the allowedRegExes violation: the distinct
// non-empty error texts of the list, or a default when it has none.
func allowedMessage(ps []pattern) string {
	var msgs []string
	seen := map[string]bool{}
	for _, p := range ps {
		if p.msg != "" && !seen[p.msg] {
			seen[p.msg] = true
			msgs = append(msgs, p.msg)
		}
	}
	if len(msgs) == 0 {
		return "must match one of the allowed patterns as a whole"
	}
	return strings.Join(msgs, "; ")
}

// classMinimum is the fewest code points that satisfy r's class counts and variety
// together: the sum of the counts, plus one for each further class the variety needs
// beyond the classes that have a count.
func (r Requirements) classMinimum() int {
	need, classes := 0, 0
	for _, n := range []int{r.DigitCount, r.SymbolCount, r.LowerCaseCount, r.UpperCaseCount} {
		if n > 0 {
			need += n
			classes++
		}
	}
	if extra := min(r.CharacterVariety, MaxCharacterVariety) - classes; extra > 0 {
		need += extra
	}
	return need
}
