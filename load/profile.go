package load

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// profileFiles holds the built-in profiles, load/profiles/*.yaml. It is read-only.
//
//go:embed profiles/*.yaml
var profileFiles embed.FS

var (
	// ErrProfile means a profile file or an override is not usable; the message says
	// which field and why.
	ErrProfile = errors.New("load: invalid profile")
	// ErrUnknownProfile means no built-in profile has the requested name.
	ErrUnknownProfile = errors.New("load: unknown profile")
)

// Defaults of a profile's optional fields.
const (
	// DefaultPolicy is the passcode policy renewals run under: the fixtures'
	// "standard" policy, whose history of 3 the generated passcode chains respect.
	DefaultPolicy = "standard"
	// DefaultLead is how far ahead of the attack the producer keeps completions ready,
	// in time at the current rate. A deeper queue absorbs jitter in start latency;
	// a shallower one keeps sessions young and needs fewer users.
	DefaultLead = 500 * time.Millisecond
)

// Profile is one load profile: how many users renew, under which policy, at what
// rates for how long, and which thresholds gate the result. A profile either lists
// Stages (a planned rate over time) or has a Search (the max profile, which steps the
// rate until the deployment breaks); never both.
type Profile struct {
	// Name identifies the profile in reports.
	Name string `yaml:"name"`
	// Description says what the profile is for, in a sentence.
	Description string `yaml:"description"`
	// Users is the number of users renewing, across all shards. Each has at most
	// one renewal in flight, so Users bounds the concurrency of the attack.
	Users int `yaml:"users"`
	// Policy is the passcode policy of the renewals; DefaultPolicy when empty.
	Policy string `yaml:"policy"`
	// Lead is how far ahead the producer keeps completions ready; DefaultLead when
	// zero.
	Lead Duration `yaml:"lead"`
	// Stages is the planned rate of completions over time.
	Stages []Stage `yaml:"stages"`
	// Search, in place of Stages, steps the rate up until a step fails its Holds.
	Search *Search `yaml:"search"`
	// Thresholds gate the run unless thresholds are given on the command line,
	// which replace them. Syntax as ParseThreshold.
	Thresholds []string `yaml:"thresholds"`
}

// Stage is a span of the attack with a constant rate (Rate) or a rate that moves
// linearly from From to To. Rates are completions per second, across all shards.
type Stage struct {
	Duration Duration `yaml:"duration"`
	Rate     *float64 `yaml:"rate"`
	From     *float64 `yaml:"from"`
	To       *float64 `yaml:"to"`
}

// Search describes the saturation search of the max profile: constant-rate steps of
// StepDuration, starting at From and growing by Step (added) or Factor (multiplied),
// until a step breaks one of Holds or the rate would pass MaxRate. The saturation
// point is the last step that held.
type Search struct {
	From         float64  `yaml:"from"`
	Step         float64  `yaml:"step"`
	Factor       float64  `yaml:"factor"`
	StepDuration Duration `yaml:"stepDuration"`
	MaxRate      float64  `yaml:"maxRate"`
	// Holds are thresholds (ParseThreshold syntax) evaluated on each step alone.
	Holds []string `yaml:"holds"`
}

// Duration is a time.Duration written as a Go duration string ("90s", "1m30s") in
// YAML and JSON.
type Duration time.Duration

// UnmarshalYAML reads a duration string; a bare number is refused, since "250"
// could mean milliseconds or seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s or 2m", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ProfileNames returns the names of the built-in profiles, sorted.
func ProfileNames() []string {
	entries, err := fs.ReadDir(profileFiles, "profiles")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// BuiltinProfile returns the built-in profile with this name.
func BuiltinProfile(name string) (*Profile, error) {
	if name == "" || strings.ContainsAny(name, `/\.`) {
		return nil, fmt.Errorf("%w %q (built in: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
	}
	data, err := profileFiles.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("%w %q (built in: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
	}
	return ParseProfile(data)
}

// BuiltinProfileYAML returns the source of a built-in profile, for operators who
// want to copy and edit one.
func BuiltinProfileYAML(name string) ([]byte, error) {
	if _, err := BuiltinProfile(name); err != nil {
		return nil, err
	}
	return profileFiles.ReadFile(path.Join("profiles", name+".yaml"))
}

// ReadProfile reads and validates a profile file.
func ReadProfile(file string) (*Profile, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load: reading profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// ParseProfile decodes a profile strictly (unknown fields are errors) and validates
// it. Errors wrap ErrProfile.
func ParseProfile(data []byte) (*Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks that the profile can run: users, a policy name, exactly one of
// stages and search, finite non-negative rates, positive durations, thresholds that
// parse. Errors wrap ErrProfile and name the field.
func (p *Profile) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrProfile, p.Name, fmt.Sprintf(format, args...))
	}
	if p.Name == "" {
		return fmt.Errorf("%w: name is required", ErrProfile)
	}
	if p.Users < 1 {
		return bad("users must be at least 1, got %d", p.Users)
	}
	if p.Lead < 0 {
		return bad("lead must not be negative")
	}
	switch {
	case len(p.Stages) > 0 && p.Search != nil:
		return bad("has both stages and search; a profile is one or the other")
	case len(p.Stages) == 0 && p.Search == nil:
		return bad("needs stages or search")
	}
	for i, s := range p.Stages {
		if _, _, err := s.rates(); err != nil {
			return bad("stages[%d]: %v", i, err)
		}
		if s.Duration <= 0 {
			return bad("stages[%d]: duration must be positive", i)
		}
	}
	if len(p.Stages) > 0 && p.PeakRate() <= 0 {
		return bad("every stage has rate 0")
	}
	if s := p.Search; s != nil {
		switch {
		case !positive(s.From):
			return bad("search.from must be a positive rate")
		case s.Step != 0 && s.Factor != 0:
			return bad("search has both step and factor; give one")
		case s.Step == 0 && s.Factor == 0:
			return bad("search needs step (added each step) or factor (multiplied)")
		case s.Step != 0 && !positive(s.Step):
			return bad("search.step must be positive")
		case s.Factor != 0 && (!positive(s.Factor) || s.Factor <= 1):
			return bad("search.factor must be greater than 1")
		case s.StepDuration <= 0:
			return bad("search.stepDuration must be positive")
		case !positive(s.MaxRate) || s.MaxRate < s.From:
			return bad("search.maxRate must be at least search.from")
		case len(s.Holds) == 0:
			return bad("search.holds needs at least one threshold, or no step can break")
		}
		for _, h := range s.Holds {
			if _, err := ParseThreshold(h); err != nil {
				return bad("search.holds: %v", err)
			}
		}
	}
	for _, t := range p.Thresholds {
		if _, err := ParseThreshold(t); err != nil {
			return bad("thresholds: %v", err)
		}
	}
	return nil
}

func positive(f float64) bool { return f > 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }

func finiteNonNegative(f float64) bool { return f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }

// rates returns the stage's start and end rate.
func (s Stage) rates() (from, to float64, err error) {
	switch {
	case s.Rate != nil && (s.From != nil || s.To != nil):
		return 0, 0, errors.New("give rate, or from and to, not both")
	case s.Rate != nil:
		from, to = *s.Rate, *s.Rate
	case s.From != nil && s.To != nil:
		from, to = *s.From, *s.To
	default:
		return 0, 0, errors.New("needs rate, or from and to")
	}
	if !finiteNonNegative(from) || !finiteNonNegative(to) {
		return 0, 0, errors.New("rates must be finite and not negative")
	}
	return from, to, nil
}

// PolicyName is the policy of the renewals, DefaultPolicy when unset.
func (p *Profile) PolicyName() string {
	if p.Policy == "" {
		return DefaultPolicy
	}
	return p.Policy
}

// LeadTime is the producer's lead, DefaultLead when unset.
func (p *Profile) LeadTime() time.Duration {
	if p.Lead == 0 {
		return DefaultLead
	}
	return time.Duration(p.Lead)
}

// PeakRate is the highest rate the profile asks for: the top of its stages, or the
// search's MaxRate.
func (p *Profile) PeakRate() float64 {
	if p.Search != nil {
		return p.Search.MaxRate
	}
	peak := 0.0
	for _, s := range p.Stages {
		a, b, _ := s.rates()
		peak = math.Max(peak, math.Max(a, b))
	}
	return peak
}

// Duration is the planned length of the attack: the sum of the stages, or for a
// search the length of every step up to MaxRate (an upper bound: the search stops at
// the first step that breaks).
func (p *Profile) Duration() time.Duration {
	if p.Search != nil {
		return time.Duration(len(p.Search.Rates())) * time.Duration(p.Search.StepDuration)
	}
	var d time.Duration
	for _, s := range p.Stages {
		d += time.Duration(s.Duration)
	}
	return d
}

// Rates lists the rate of every step of the search, From up to MaxRate.
func (s *Search) Rates() []float64 {
	var rates []float64
	for r := s.From; r <= s.MaxRate*(1+1e-9) && len(rates) < 10000; {
		rates = append(rates, r)
		if s.Factor > 1 {
			r *= s.Factor
		} else {
			r += s.Step
		}
	}
	return rates
}

// Overrides change a profile from the command line. A zero field changes nothing.
type Overrides struct {
	// Rate scales every rate so that the peak becomes Rate; for a search it sets
	// MaxRate, where the search stops at the latest.
	Rate float64
	// Duration scales every stage so that they add up to Duration; for a search it
	// sets StepDuration.
	Duration time.Duration
	// Users replaces the number of users.
	Users int
	// Policy replaces the passcode policy.
	Policy string
}

// With returns a copy of p with the overrides applied and validated.
func (p Profile) With(o Overrides) (*Profile, error) {
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return nil, fmt.Errorf("%w: rate override must be a positive number", ErrProfile)
	}
	if o.Duration < 0 || o.Users < 0 {
		return nil, fmt.Errorf("%w: duration and users overrides must be positive", ErrProfile)
	}
	q := p
	q.Thresholds = append([]string(nil), p.Thresholds...)
	if o.Users > 0 {
		q.Users = o.Users
	}
	if o.Policy != "" {
		q.Policy = o.Policy
	}
	if p.Search != nil {
		s := *p.Search
		s.Holds = append([]string(nil), p.Search.Holds...)
		if o.Rate > 0 {
			s.MaxRate = o.Rate
			if s.From > s.MaxRate {
				s.From = s.MaxRate
			}
		}
		if o.Duration > 0 {
			s.StepDuration = Duration(o.Duration)
		}
		q.Search = &s
	} else {
		rateScale, timeScale := 1.0, 1.0
		if o.Rate > 0 {
			rateScale = o.Rate / p.PeakRate()
		}
		if o.Duration > 0 {
			timeScale = float64(o.Duration) / float64(p.Duration())
		}
		q.Stages = make([]Stage, len(p.Stages))
		for i, s := range p.Stages {
			from, to, err := s.rates()
			if err != nil {
				return nil, fmt.Errorf("%w %q: stages[%d]: %v", ErrProfile, p.Name, i, err)
			}
			from, to = from*rateScale, to*rateScale
			d := Duration(math.Round(float64(s.Duration) * timeScale))
			if from == to {
				q.Stages[i] = Stage{Duration: d, Rate: &from}
			} else {
				q.Stages[i] = Stage{Duration: d, From: &from, To: &to}
			}
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return &q, nil
}
