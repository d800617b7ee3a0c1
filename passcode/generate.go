package passcode

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrUnsatisfiable is matched (errors.Is) by the error of Generate and
// Generator.Generate when no candidate satisfied the policy.
var ErrUnsatisfiable = errors.New("passcode: cannot generate a passcode that satisfies the policy")

// Defaults of GenerateOptions.
const (
	// DefaultGenerateLength is the length Generate aims for when GenerateOptions.Length
	// is 0, raised to what the policy needs and lowered to its maximumLength.
	DefaultGenerateLength = 16
	// DefaultGenerateAttempts is how many candidates Generate tries when
	// GenerateOptions.Attempts is 0.
	DefaultGenerateAttempts = 512
	// maxLengthSpan bounds how many lengths a Generator considers, so a policy with
	// no maximumLength does not make it test thousands of them.
	maxLengthSpan = 64
)

// GenerateOptions tunes Generate. The zero value asks for an ASCII passcode of about
// DefaultGenerateLength code points.
type GenerateOptions struct {
	// Length is the exact number of code points wanted. 0 lets Generate choose:
	// DefaultGenerateLength clamped into the policy's range first, other lengths
	// in that range when the patterns demand them.
	Length int
	// NonASCII draws from alphabets that add non-ASCII digits (Arabic-Indic,
	// Devanagari), letters (Latin with diacritics, ß, Greek, Cyrillic) and symbols
	// (€, §, ¿ ...) to the ASCII ones, and demands at least one non-ASCII code point in
	// the result, so the passcode exercises NFC and UTF-8 handling end to end. A policy
	// that only allows ASCII (allowedRegExes like ^[0-9]{6}$) then gives ErrUnsatisfiable.
	NonASCII bool
	// Attempts bounds the candidates tried before ErrUnsatisfiable; 0 means
	// DefaultGenerateAttempts.
	Attempts int
}

// Alphabets. Every rune is a single NFC-stable code point that starts a normalization
// segment, so nothing before it composes with it (a test checks this), and any
// concatenation of them is already in NFC. Space, quotes,
// backslash and backtick are left out: generated passcodes get pasted into shells,
// YAML and feature files.
const (
	asciiDigits  = "0123456789"
	asciiLower   = "abcdefghijklmnopqrstuvwxyz"
	asciiUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	asciiSymbols = "!#$%&()*+,-./:;<=>?@[]^_{|}~"
	extraDigits  = "٠١٢٣٤٥٦٧٨٩०१२३४५६७८९"
	extraLower   = "ßàáâäçèéêëíñóöúüαβγδεζηθλμπσωабвгджзийклмнопя"
	extraUpper   = "ÀÁÂÄÇÈÉÊËÍÑÓÖÚÜΑΒΓΔΕΖΗΘΛΜΠΣΩАБВГДЖЗИЙКЛМНОПЯ"
	extraSymbols = "€£¥§¶©®°±×÷¿¡«»•…"
)

// Alphabet arrays ([4][]rune) are indexed by these positions.
const (
	digitAt = iota
	lowerAt
	upperAt
	symbolAt
)

// classSets returns the mixes of classes (alphabet positions) tried for the filler,
// widest first; the narrower ones serve patterns that allow only some classes.
func classSets() [][]int {
	return [][]int{
		{digitAt, lowerAt, upperAt, symbolAt},
		{digitAt, lowerAt, upperAt},
		{lowerAt, upperAt},
		{digitAt, lowerAt},
		{digitAt, upperAt},
		{digitAt}, {lowerAt}, {upperAt}, {symbolAt},
	}
}

// baseAlphabets returns the per-class alphabets for the options.
func baseAlphabets(nonASCII bool) [4][]rune {
	var a [4][]rune
	a[digitAt], a[lowerAt], a[upperAt], a[symbolAt] = []rune(asciiDigits), []rune(asciiLower), []rune(asciiUpper), []rune(asciiSymbols)
	if nonASCII {
		a[digitAt] = append(a[digitAt], []rune(extraDigits)...)
		a[lowerAt] = append(a[lowerAt], []rune(extraLower)...)
		a[upperAt] = append(a[upperAt], []rune(extraUpper)...)
		a[symbolAt] = append(a[symbolAt], []rune(extraSymbols)...)
	}
	return a
}

// candidate is the alphabets usable at one length.
type candidate struct {
	length int
	alpha  [4][]rune
}

// Generator makes random passcodes that satisfy one policy. Build it once with
// NewGenerator and call Generate as often as needed; it is immutable and safe for
// concurrent use (given a reader that is).
//
// Generate is a randomized search, not a solver. It builds candidates from the class
// counts and characterVariety, fills them from the alphabets, shuffles, and keeps the
// first that Validate accepts. For allowedRegExes it narrows, per length, the alphabets
// to the runes r whose repetition r^length the pattern matches whole, which handles
// single-character-set patterns such as ^[0-9]{6}$, ^[0-9a-f]{8,12}$ or \d{4}|\d{6}.
// Runes that alone match a disallowed pattern are dropped. It does not reliably satisfy
// patterns that fix a structure by position (^[A-Z][0-9]{5}$), need literal words
// (^acme-), need characters outside the alphabets (spaces, quotes, other scripts), or
// forbid most random strings; those end in ErrUnsatisfiable.
type Generator struct {
	policy     *Policy
	nonASCII   bool
	attempts   int
	full       [4][]rune   // the unfiltered alphabets
	candidates []candidate // the preferred length first
}

// NewGenerator compiles r and prepares the alphabets. It returns a *PolicyError when r
// is invalid, and an ErrUnsatisfiable error when opts.Length is outside what r allows.
func NewGenerator(r Requirements, opts GenerateOptions) (*Generator, error) {
	p, err := r.Compile()
	if err != nil {
		return nil, err
	}
	g := &Generator{policy: p, nonASCII: opts.NonASCII, attempts: opts.Attempts}
	if g.attempts <= 0 {
		g.attempts = DefaultGenerateAttempts
	}

	lo := max(r.MinimumLength, r.classMinimum(), 1)
	hi := r.MaximumLength
	if hi == 0 {
		hi = max(lo, DefaultGenerateLength) + DefaultGenerateLength
	}
	hi = min(hi, lo+maxLengthSpan-1)
	preferred := min(max(DefaultGenerateLength, lo), hi)
	if opts.Length != 0 {
		if opts.Length < lo || (r.MaximumLength > 0 && opts.Length > r.MaximumLength) {
			return nil, fmt.Errorf("%w: length %d is outside the %d to %s code points that the policy allows",
				ErrUnsatisfiable, opts.Length, lo, maxText(r.MaximumLength))
		}
		lo, hi, preferred = opts.Length, opts.Length, opts.Length
	}

	base := baseAlphabets(opts.NonASCII)
	g.full = base
	// Drop the runes that alone match a disallowed pattern, unless that leaves nothing.
	if kept := filterAlphabets(base, func(r rune) bool {
		s := string(r)
		for _, x := range p.disallowed {
			if x.re.MatchString(s) {
				return false
			}
		}
		return true
	}); !emptyAlphabets(kept) {
		base = kept
	}

	lengths := []int{preferred}
	for n := lo; n <= hi; n++ {
		if n != preferred {
			lengths = append(lengths, n)
		}
	}
	for _, n := range lengths {
		alpha := base
		if len(p.allowed) > 0 {
			alpha = filterAlphabets(base, func(r rune) bool {
				return p.allowedWhole(strings.Repeat(string(r), n))
			})
			if emptyAlphabets(alpha) {
				continue
			}
		}
		g.candidates = append(g.candidates, candidate{length: n, alpha: alpha})
	}
	if len(g.candidates) == 0 {
		// No single-character-set reading of the allowed patterns fits any length:
		// try every length with the full alphabets and let Validate judge.
		for _, n := range lengths {
			g.candidates = append(g.candidates, candidate{length: n, alpha: base})
		}
	}
	return g, nil
}

// Generate returns a random passcode, already in NFC, that g's policy accepts, reading
// randomness from rnd (crypto/rand.Reader when nil; pass a seeded math/rand/v2
// ChaCha8 for a reproducible sequence). It returns an ErrUnsatisfiable error naming the
// rules the last candidate broke when every attempt failed, and a wrapped read error
// when rnd fails.
func (g *Generator) Generate(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	src := &source{r: rnd}
	sets := classSets()
	var last []Violation
	for attempt := range g.attempts {
		// The first half of the attempts keep the preferred length; the rest roam.
		c := g.candidates[0]
		if attempt >= g.attempts/2 && len(g.candidates) > 1 {
			c = g.candidates[src.intn(len(g.candidates))]
		}
		set := sets[attempt%len(sets)]
		s := g.build(src, c, set)
		if src.err != nil {
			return "", fmt.Errorf("passcode: reading randomness: %w", src.err)
		}
		if s == "" {
			continue
		}
		last = g.policy.Validate(s)
		if g.nonASCII && !hasNonASCII(s) {
			last = append(last, Violation{Rule: "nonASCII", Message: "holds no non-ASCII code point"})
		}
		if len(last) == 0 {
			return s, nil
		}
	}
	rules := make([]string, len(last))
	for i, v := range last {
		rules[i] = v.Rule
	}
	return "", fmt.Errorf("%w: %d attempts failed, the last one on %s",
		ErrUnsatisfiable, g.attempts, strings.Join(rules, ", "))
}

// Generate is NewGenerator(r, opts) followed by one Generate(rnd). Build a Generator
// to make many passcodes for one policy: with allowedRegExes, NewGenerator tries every
// alphabet rune at every candidate length (milliseconds), while each Generator.Generate
// costs microseconds.
func Generate(r Requirements, rnd io.Reader, opts GenerateOptions) (string, error) {
	g, err := NewGenerator(r, opts)
	if err != nil {
		return "", err
	}
	return g.Generate(rnd)
}

// build makes one candidate of c.length code points: the counted class minimums,
// one more rune for each class the variety still needs (those in set first), filler
// from the classes of set, and with NonASCII one non-ASCII rune, all shuffled. It
// returns "" when the candidate cannot be built (set has no usable rune at this length).
func (g *Generator) build(src *source, c candidate, set []int) string {
	r := g.policy.req
	var usable []int // the classes of set that have runes at this length
	for _, i := range set {
		if len(c.alpha[i]) > 0 {
			usable = append(usable, i)
		}
	}
	if len(usable) == 0 {
		return ""
	}
	// pick draws from class i at this length, or from the unfiltered alphabet when the
	// length filter left class i empty: a count the policy demands is still honoured,
	// and Validate decides.
	pick := func(i int) rune {
		a := c.alpha[i]
		if len(a) == 0 {
			a = g.full[i]
		}
		return a[src.intn(len(a))]
	}

	out := make([]rune, 0, c.length)
	present := [4]bool{}
	var mins [4]int
	mins[digitAt], mins[lowerAt], mins[upperAt], mins[symbolAt] = r.DigitCount, r.LowerCaseCount, r.UpperCaseCount, r.SymbolCount
	for i, n := range mins {
		for range max(n, 0) {
			out = append(out, pick(i))
			present[i] = true
		}
	}
	variety := 0
	for _, p := range present {
		if p {
			variety++
		}
	}
	// Further classes for characterVariety: the usable ones in random order, then the rest.
	order := append([]int(nil), usable...)
	src.shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for i := range len(present) {
		if !contains(order, i) {
			order = append(order, i)
		}
	}
	for _, i := range order {
		if variety >= r.CharacterVariety {
			break
		}
		if !present[i] {
			out = append(out, pick(i))
			present[i] = true
			variety++
		}
	}
	for len(out) < c.length {
		out = append(out, pick(usable[src.intn(len(usable))]))
	}
	if g.nonASCII && !hasNonASCII(string(out)) {
		// Swap one rune for a non-ASCII rune of the same class, where there is one.
		at := src.intn(len(out))
		i := alphabetIndex(ClassOf(out[at]))
		var extra []rune
		for _, x := range c.alpha[i] {
			if x >= utf8.RuneSelf {
				extra = append(extra, x)
			}
		}
		if len(extra) > 0 {
			out[at] = extra[src.intn(len(extra))]
		}
	}
	src.shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return string(out)
}

// alphabetIndex is the alphabet position of class c (digitAt for None, which no
// alphabet rune has).
func alphabetIndex(c Class) int {
	switch c {
	case Lower:
		return lowerAt
	case Upper:
		return upperAt
	case Symbol:
		return symbolAt
	default:
		return digitAt
	}
}

func filterAlphabets(a [4][]rune, keep func(rune) bool) [4][]rune {
	var out [4][]rune
	for i, rs := range a {
		for _, r := range rs {
			if keep(r) {
				out[i] = append(out[i], r)
			}
		}
	}
	return out
}

func emptyAlphabets(a [4][]rune) bool {
	for _, rs := range a {
		if len(rs) > 0 {
			return false
		}
	}
	return true
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func maxText(n int) string {
	if n == 0 {
		return "any number of"
	}
	return fmt.Sprint(n)
}

// source draws uniform integers from an io.Reader. The first read error sticks in err
// and every later draw returns 0, so callers check err once per candidate.
type source struct {
	r   io.Reader
	err error
	buf [8]byte
}

// intn returns a uniform integer in [0, n), n > 0, by rejection sampling so that no
// value is favoured.
func (s *source) intn(n int) int {
	if s.err != nil || n <= 1 {
		return 0
	}
	bound := uint64(n)
	limit := ^uint64(0) - ^uint64(0)%bound // largest multiple of bound, exclusive
	for {
		if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
			s.err = err
			return 0
		}
		v := binary.LittleEndian.Uint64(s.buf[:])
		if v < limit {
			return int(v % bound)
		}
	}
}

// shuffle is Fisher-Yates over n elements.
func (s *source) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, s.intn(i+1))
	}
}
