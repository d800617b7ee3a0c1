package passcode

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestAlphabets checks what Generate relies on: every alphabet rune is in its class,
// is one NFC-stable code point, and starts a normalization segment (nothing before it
// can compose with it), so no concatenation of alphabet runes changes under NFC.
func TestAlphabets(t *testing.T) {
	t.Parallel()
	a := baseAlphabets(true)
	tests := []struct {
		name  string
		runes []rune
		want  Class
	}{
		{"digits", a[digitAt], Digit},
		{"lower", a[lowerAt], Lower},
		{"upper", a[upperAt], Upper},
		{"symbols", a[symbolAt], Symbol},
	}
	seen := map[rune]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.runes) == 0 {
				t.Fatal("empty alphabet")
			}
			for _, r := range tt.runes {
				if got := ClassOf(r); got != tt.want {
					t.Errorf("%q (U+%04X) is %v, want %v", r, r, got, tt.want)
				}
				s := string(r)
				props := norm.NFC.PropertiesString(s)
				if !norm.NFC.IsNormalString(s) || !props.BoundaryBefore() {
					t.Errorf("%q (U+%04X) is not a stable NFC segment", r, r)
				}
				if seen[r] {
					t.Errorf("%q (U+%04X) appears twice", r, r)
				}
				seen[r] = true
			}
		})
	}
	// Belt and braces for the boundary argument: every pair stays in NFC.
	var all []rune
	for _, rs := range a {
		all = append(all, rs...)
	}
	for _, x := range all {
		for _, y := range all {
			if s := string([]rune{x, y}); !norm.NFC.IsNormalString(s) {
				t.Errorf("%q is not in NFC", s)
			}
		}
	}
	ascii := baseAlphabets(false)
	for i := range ascii {
		if hasNonASCII(string(ascii[i])) {
			t.Errorf("ASCII alphabet %d holds non-ASCII runes", i)
		}
	}
}

func TestSourceIntnUniform(t *testing.T) {
	t.Parallel()
	// A counting reader: v = 0, 1, 2, ... in little-endian, so intn(3) must cycle.
	src := &source{r: &counter{}}
	for i := range 9 {
		if got := src.intn(3); got != i%3 {
			t.Fatalf("draw %d = %d, want %d", i, got, i%3)
		}
	}
	if got := src.intn(1); got != 0 {
		t.Errorf("intn(1) = %d, want 0", got)
	}
}

// TestSourceIntnRejects checks that values at or above the largest multiple of n are
// redrawn rather than folded onto small results.
func TestSourceIntnRejects(t *testing.T) {
	t.Parallel()
	top := ^uint64(0) // 2^64-1 ends in 5, so it lies past the last whole run of ten
	src := &source{r: &fixed{vals: []uint64{top, 7}}}
	if got := src.intn(10); got != 7 {
		t.Errorf("intn(10) = %d, want 7 after rejecting 2^64-1", got)
	}
}

type counter struct{ n uint64 }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	for i := 0; i < 8 && i < len(p); i++ {
		p[i] = byte(c.n >> (8 * i))
	}
	c.n++
	return len(p), nil
}

type fixed struct{ vals []uint64 }

func (f *fixed) Read(p []byte) (int, error) {
	v := f.vals[0]
	f.vals = f.vals[1:]
	for i := range p {
		p[i] = byte(v >> (8 * i))
	}
	return len(p), nil
}
