package passcode

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in Unicode Normalization Form C. Every rule of a policy is checked
// on this form, and it is the form whose UTF-8 bytes the SRP verifier and proof hash
// (SPEC.md section 6, P), so every client must pass passcodes through it before both.
// Normalize is idempotent: Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	return norm.NFC.String(s)
}

// Class is the character class of one code point, as the count rules of SPEC.md
// section 8 see it.
type Class int

// The classes. A code point is in at most one of them.
const (
	// None is a letter that is neither lower nor upper case (titlecase letters such
	// as U+01C5 'ǅ', modifier letters, and the case-less letters of scripts such as
	// Arabic, Hebrew, Han or Devanagari), or a space (unicode.IsSpace). Such code
	// points count toward the lengths but toward no class.
	None Class = iota
	// Digit is a Unicode decimal digit, general category Nd (unicode.IsDigit):
	// '0'-'9', and also '٣' (U+0663), '३' (U+0969), '３' (U+FF13) and the like.
	Digit
	// Lower is a lower-case letter, general category Ll (unicode.IsLower): 'a', 'ß', 'é', 'σ'.
	Lower
	// Upper is an upper-case letter, general category Lu (unicode.IsUpper): 'A', 'É', 'Σ'.
	Upper
	// Symbol is any code point that is not a letter (unicode.IsLetter, categories
	// L*), not a decimal digit (unicode.IsDigit) and not a space (unicode.IsSpace):
	// punctuation and symbols, but also the other numbers ('½', 'Ⅻ'), combining marks
	// that NFC could not compose into their base, and control characters.
	Symbol
)

// String returns the class's name as used in messages: "none", "digit", "lower",
// "upper" or "symbol".
func (c Class) String() string {
	switch c {
	case Digit:
		return "digit"
	case Lower:
		return "lower"
	case Upper:
		return "upper"
	case Symbol:
		return "symbol"
	default:
		return "none"
	}
}

// ClassOf returns the class of the code point r.
func ClassOf(r rune) Class {
	switch {
	case unicode.IsDigit(r):
		return Digit
	case unicode.IsLower(r):
		return Lower
	case unicode.IsUpper(r):
		return Upper
	case unicode.IsLetter(r), unicode.IsSpace(r):
		return None
	default:
		return Symbol
	}
}

// Counts is what the rules of a policy measure in a passcode, after NFC normalization.
type Counts struct {
	// Length is the number of Unicode code points. An invalid UTF-8 byte counts as
	// one code point (and as a Symbol, being U+FFFD).
	Length  int
	Digits  int
	Symbols int
	Lower   int
	Upper   int
	// Variety is the number of distinct classes among Digit, Symbol, Lower and Upper
	// that appear at least once, 0 to 4.
	Variety int
}

// Measure normalizes passcode with Normalize and counts its code points by class.
func Measure(passcode string) Counts {
	return measureNormalized(Normalize(passcode))
}

// measureNormalized is Measure for a string already in NFC.
func measureNormalized(s string) Counts {
	var c Counts
	for _, r := range s {
		c.Length++
		switch ClassOf(r) {
		case Digit:
			c.Digits++
		case Lower:
			c.Lower++
		case Upper:
			c.Upper++
		case Symbol:
			c.Symbols++
		}
	}
	for _, n := range []int{c.Digits, c.Symbols, c.Lower, c.Upper} {
		if n > 0 {
			c.Variety++
		}
	}
	return c
}
