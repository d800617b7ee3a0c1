package passcode_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seedb14f67b8/renewkit/passcode"
)

// seeded returns a reproducible randomness source for test case seed.
func seeded(tb testing.TB, seed uint64) io.Reader {
	tb.Helper()
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(key)
}

func hasNonASCII(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	type R = passcode.Requirements
	type X = []passcode.Regex
	tests := []struct {
		name      string
		req       R
		nonASCII  bool
		length    int
		wantRange [2]int // accepted output lengths, inclusive
	}{
		{"zero value", R{}, false, 0, [2]int{16, 16}},
		{"zero value non-ASCII", R{}, true, 0, [2]int{16, 16}},
		{"guide example", guideExample(), false, 0, [2]int{12, 12}},
		{"guide example non-ASCII", guideExample(), true, 0, [2]int{12, 12}},
		{"strong", strong(), false, 0, [2]int{16, 16}},
		{"strong non-ASCII", strong(), true, 0, [2]int{16, 16}},
		{"strong at minimum length", strong(), true, 10, [2]int{10, 10}},
		{"pin6", pin6(), false, 0, [2]int{6, 6}},
		{"hex", hex(), false, 0, [2]int{12, 12}},
		{"hex length 9", hex(), false, 9, [2]int{9, 9}},
		{"pin of 4 or 6 without lengths", R{AllowedRegExes: X{{Pattern: `\d{4}|\d{6}`}}}, false, 0, [2]int{4, 6}},
		{"Unicode digits only", R{MinimumLength: 6, MaximumLength: 6, AllowedRegExes: X{{Pattern: `\p{Nd}+`}}}, true, 0, [2]int{6, 6}},
		{"counts fill max", R{MaximumLength: 4, DigitCount: 1, SymbolCount: 1, LowerCaseCount: 1, UpperCaseCount: 1, CharacterVariety: 4}, true, 0, [2]int{4, 4}},
		{"variety without counts", R{MinimumLength: 3, MaximumLength: 3, CharacterVariety: 3}, false, 0, [2]int{3, 3}},
		{"long minimum", R{MinimumLength: 40}, true, 0, [2]int{40, 40}},
		{"letters only", R{MinimumLength: 8, MaximumLength: 20, AllowedRegExes: X{{Pattern: `\pL+`}}, CharacterVariety: 2}, true, 0, [2]int{16, 16}},
		{"no repeated digits", R{MinimumLength: 8, DigitCount: 4, DisallowedRegExes: X{{Pattern: `00|11|22|33|44|55|66|77|88|99`}, {Pattern: `(?i)abc`}}}, false, 0, [2]int{16, 16}},
		{"ASCII only by disallowed", R{MinimumLength: 8, DisallowedRegExes: X{{Pattern: `[^\x00-\x7f]`}}}, false, 0, [2]int{16, 16}},
		{"must start with upper", R{MinimumLength: 8, RequiredRegExes: X{{Pattern: `^\p{Lu}`}}}, true, 0, [2]int{16, 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := passcode.GenerateOptions{NonASCII: tt.nonASCII, Length: tt.length}
			g, err := passcode.NewGenerator(tt.req, opts)
			if err != nil {
				t.Fatalf("NewGenerator: %v", err)
			}
			for seed := range uint64(25) {
				s, err := g.Generate(seeded(t, seed))
				if err != nil {
					t.Fatalf("seed %d: Generate: %v", seed, err)
				}
				if vs := tt.req.Validate(s); vs != nil {
					t.Errorf("seed %d: Generate returned %q, which breaks %v", seed, s, vs)
				}
				if passcode.Normalize(s) != s {
					t.Errorf("seed %d: %q is not in NFC", seed, s)
				}
				if n := utf8.RuneCountInString(s); n < tt.wantRange[0] || n > tt.wantRange[1] {
					t.Errorf("seed %d: %q has %d code points, want %d to %d", seed, s, n, tt.wantRange[0], tt.wantRange[1])
				}
				if tt.nonASCII && !hasNonASCII(s) {
					t.Errorf("seed %d: %q has no non-ASCII code point", seed, s)
				}
				if !tt.nonASCII && hasNonASCII(s) {
					t.Errorf("seed %d: %q has non-ASCII code points that were not asked for", seed, s)
				}
			}
		})
	}
}

func TestGenerateUnsatisfiable(t *testing.T) {
	t.Parallel()
	type R = passcode.Requirements
	type X = []passcode.Regex
	tests := []struct {
		name string
		req  R
		opts passcode.GenerateOptions
		want error
	}{
		{"pin6 cannot be non-ASCII", pin6(), passcode.GenerateOptions{NonASCII: true}, passcode.ErrUnsatisfiable},
		{"literal prefix", R{AllowedRegExes: X{{Pattern: `^acme-[0-9]{4}$`}}}, passcode.GenerateOptions{Attempts: 64}, passcode.ErrUnsatisfiable},
		{"everything disallowed", R{DisallowedRegExes: X{{Pattern: `.`}}}, passcode.GenerateOptions{Attempts: 16}, passcode.ErrUnsatisfiable},
		{"length below minimum", strong(), passcode.GenerateOptions{Length: 9}, passcode.ErrUnsatisfiable},
		{"length above maximum", pin6(), passcode.GenerateOptions{Length: 7}, passcode.ErrUnsatisfiable},
		{"length below what counts need", R{DigitCount: 3, UpperCaseCount: 3}, passcode.GenerateOptions{Length: 5}, passcode.ErrUnsatisfiable},
		{"invalid policy", R{MinimumLength: 5, MaximumLength: 4}, passcode.GenerateOptions{}, passcode.ErrInvalidPolicy},
		{"invalid pattern", R{RequiredRegExes: X{{Pattern: `(`}}}, passcode.GenerateOptions{}, passcode.ErrInvalidPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := passcode.Generate(tt.req, seeded(t, 1), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Generate = %q, %v; want error %v", s, err, tt.want)
			}
			if s != "" {
				t.Errorf("Generate returned %q with its error", s)
			}
		})
	}
}

func TestGenerateErrorNamesRules(t *testing.T) {
	t.Parallel()
	_, err := passcode.Generate(passcode.Requirements{DisallowedRegExes: []passcode.Regex{{Pattern: `.`, Error: "nothing is allowed"}}},
		seeded(t, 2), passcode.GenerateOptions{Attempts: 3})
	if err == nil || !strings.Contains(err.Error(), "disallowedRegExes[0]") || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("Generate error = %v, want one naming 3 attempts and disallowedRegExes[0]", err)
	}
}

func TestGenerateReproducible(t *testing.T) {
	t.Parallel()
	g, err := passcode.NewGenerator(strong(), passcode.GenerateOptions{NonASCII: true})
	if err != nil {
		t.Fatal(err)
	}
	a, errA := g.Generate(seeded(t, 7))
	b, errB := g.Generate(seeded(t, 7))
	c, errC := g.Generate(seeded(t, 8))
	if err := errors.Join(errA, errB, errC); err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same seed gave %q and %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 both gave %q", a)
	}
}

func TestGenerateNilReaderUsesCryptoRand(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 10 {
		s, err := passcode.Generate(guideExample(), nil, passcode.GenerateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if vs := guideExample().Validate(s); vs != nil {
			t.Fatalf("Generate returned a passcode that breaks %v", vs)
		}
		seen[s] = true
	}
	if len(seen) < 10 {
		t.Errorf("10 draws from crypto/rand gave only %d distinct passcodes", len(seen))
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestGenerateReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("entropy exhausted")
	s, err := passcode.Generate(strong(), failingReader{boom}, passcode.GenerateOptions{})
	if !errors.Is(err, boom) || errors.Is(err, passcode.ErrUnsatisfiable) || s != "" {
		t.Errorf("Generate = %q, %v; want the reader's error", s, err)
	}
	short := io.LimitReader(rand.Reader, 20)
	if _, err := passcode.Generate(strong(), short, passcode.GenerateOptions{}); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		t.Errorf("Generate on a reader that runs dry = %v, want an EOF error", err)
	}
}

func TestGeneratorConcurrent(t *testing.T) {
	t.Parallel()
	g, err := passcode.NewGenerator(strong(), passcode.GenerateOptions{NonASCII: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error)
	for i := range 4 {
		go func() {
			rnd := seeded(t, uint64(100+i))
			for range 20 {
				s, err := g.Generate(rnd)
				if err == nil && strong().Validate(s) != nil {
					err = fmt.Errorf("generated passcode breaks %v", strong().Validate(s))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
