package passcode_test

import (
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestClassOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    rune
		want passcode.Class
	}{
		{"ASCII digit", '7', passcode.Digit},
		{"Arabic-Indic digit", '٣', passcode.Digit},
		{"fullwidth digit", '３', passcode.Digit},
		{"superscript two", '²', passcode.Symbol},
		{"roman numeral", 'Ⅻ', passcode.Symbol},
		{"ASCII lower", 'q', passcode.Lower},
		{"sharp s", 'ß', passcode.Lower},
		{"Greek lower", 'σ', passcode.Lower},
		{"ASCII upper", 'Q', passcode.Upper},
		{"E acute", 'É', passcode.Upper},
		{"Greek upper", 'Σ', passcode.Upper},
		{"titlecase", 'ǅ', passcode.None},
		{"feminine ordinal", 'ª', passcode.None},
		{"Han", '密', passcode.None},
		{"Arabic letter", 'ب', passcode.None},
		{"space", ' ', passcode.None},
		{"no-break space", '\u00a0', passcode.None},
		{"newline", '\n', passcode.None},
		{"exclamation", '!', passcode.Symbol},
		{"euro", '€', passcode.Symbol},
		{"combining acute", '\u0301', passcode.Symbol},
		{"NUL", 0, passcode.Symbol},
		{"replacement character", '\uFFFD', passcode.Symbol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := passcode.ClassOf(tt.r); got != tt.want {
				t.Errorf("ClassOf(%q) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}

func TestClassString(t *testing.T) {
	t.Parallel()
	for c, want := range map[passcode.Class]string{
		passcode.None: "none", passcode.Digit: "digit", passcode.Lower: "lower",
		passcode.Upper: "upper", passcode.Symbol: "symbol",
	} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		passcode string
		want     passcode.Counts
	}{
		{"empty", "", passcode.Counts{}},
		{"ASCII mix", "aB3$ x", passcode.Counts{Length: 6, Digits: 1, Symbols: 1, Lower: 2, Upper: 1, Variety: 4}},
		{"decomposed composes", "E\u0301e\u0301", passcode.Counts{Length: 2, Lower: 1, Upper: 1, Variety: 2}},
		{"Hangul jamo compose to one syllable", "\u1100\u1161", passcode.Counts{Length: 1}},
		{"uncomposable mark stays", "q\u0301", passcode.Counts{Length: 2, Lower: 1, Symbols: 1, Variety: 2}},
		{"non-ASCII digits", "٣३3", passcode.Counts{Length: 3, Digits: 3, Variety: 1}},
		{"invalid byte is one symbol", "a\xff", passcode.Counts{Length: 2, Lower: 1, Symbols: 1, Variety: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := passcode.Measure(tt.passcode); got != tt.want {
				t.Errorf("Measure(%q) = %+v, want %+v", tt.passcode, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ASCII unchanged", "Abc123!", "Abc123!"},
		{"e acute composes", "e\u0301", "\u00e9"},
		{"composed stays", "\u00e9", "\u00e9"},
		{"angstrom sign becomes A ring", "\u212b", "\u00c5"},
		{"NFC keeps compatibility forms", "\ufb01", "\ufb01"},
		{"marks reorder canonically", "a\u0323\u0302", "\u1ead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := passcode.Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := passcode.Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent on %q: %q", got, again)
			}
		})
	}
}
