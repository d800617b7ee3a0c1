package load

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuiltinProfiles(t *testing.T) {
	t.Parallel()
	names := ProfileNames()
	want := []string{"max", "ramp", "smoke", "soak", "spike", "steady"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("built-in profiles %v, want %v", names, want)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			p, err := BuiltinProfile(n)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != n || p.Description == "" {
				t.Errorf("profile %s is named %q, description %q", n, p.Name, p.Description)
			}
			if p.Duration() <= 0 || p.PeakRate() <= 0 {
				t.Errorf("duration %v, peak %v", p.Duration(), p.PeakRate())
			}
			if (n == "max") != (p.Search != nil) {
				t.Errorf("only max searches; %s has search %v", n, p.Search != nil)
			}
			if n != "max" && len(p.Thresholds) == 0 {
				t.Errorf("%s has no thresholds", n)
			}
			src, err := BuiltinProfileYAML(n)
			if err != nil || !strings.Contains(string(src), "name: "+n) {
				t.Errorf("source of %s: %v", n, err)
			}
		})
	}
	if _, err := BuiltinProfile("nope"); !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "smoke") {
		t.Errorf("unknown profile: %v", err)
	}
	if _, err := BuiltinProfile("../go.mod"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("path as profile name: %v", err)
	}
}

func TestParseProfileErrors(t *testing.T) {
	t.Parallel()
	stage := "stages: [{duration: 1s, rate: 5}]\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "name: x\nusers: 1\nrps: 4\n" + stage, "field rps not found"},
		{"no name", "users: 1\n" + stage, "name is required"},
		{"no users", "name: x\n" + stage, "users must be at least 1"},
		{"neither", "name: x\nusers: 1\n", "needs stages or search"},
		{"both", "name: x\nusers: 1\n" + stage + "search: {from: 1, step: 1, stepDuration: 1s, maxRate: 2, holds: [errors==0]}\n", "both stages and search"},
		{"bare number duration", "name: x\nusers: 1\nstages: [{duration: 30, rate: 5}]\n", "not a duration"},
		{"zero duration", "name: x\nusers: 1\nstages: [{duration: 0s, rate: 5}]\n", "duration must be positive"},
		{"rate and from", "name: x\nusers: 1\nstages: [{duration: 1s, rate: 5, from: 1, to: 2}]\n", "not both"},
		{"from without to", "name: x\nusers: 1\nstages: [{duration: 1s, from: 1}]\n", "needs rate, or from and to"},
		{"negative rate", "name: x\nusers: 1\nstages: [{duration: 1s, rate: -5}]\n", "not negative"},
		{"all zero", "name: x\nusers: 1\nstages: [{duration: 1s, rate: 0}]\n", "every stage has rate 0"},
		{"bad threshold", "name: x\nusers: 1\n" + stage + "thresholds: [p99<1]\n", "needs a unit"},
		{"search step and factor", "name: x\nusers: 1\nsearch: {from: 1, step: 1, factor: 2, stepDuration: 1s, maxRate: 2, holds: [errors==0]}\n", "both step and factor"},
		{"search factor one", "name: x\nusers: 1\nsearch: {from: 1, factor: 1, stepDuration: 1s, maxRate: 2, holds: [errors==0]}\n", "greater than 1"},
		{"search no holds", "name: x\nusers: 1\nsearch: {from: 1, step: 1, stepDuration: 1s, maxRate: 2}\n", "holds needs at least one"},
		{"search max below from", "name: x\nusers: 1\nsearch: {from: 5, step: 1, stepDuration: 1s, maxRate: 2, holds: [errors==0]}\n", "maxRate must be at least"},
		{"search bad hold", "name: x\nusers: 1\nsearch: {from: 1, step: 1, stepDuration: 1s, maxRate: 2, holds: [p99]}\n", "search.holds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProfile([]byte(c.yaml))
			if !errors.Is(err, ErrProfile) {
				t.Fatalf("err %v, want ErrProfile", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestReadProfileFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mine.yaml")
	src := "name: mine\nusers: 3\npolicy: nohistory\nlead: 250ms\nstages:\n  - {duration: 2s, from: 0, to: 10}\n  - {duration: 1s, rate: 10}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ReadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.PolicyName() != "nohistory" || p.LeadTime() != 250*time.Millisecond || p.Duration() != 3*time.Second || p.PeakRate() != 10 {
		t.Errorf("read %+v", p)
	}
	if _, err := ReadProfile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file read without error")
	}
}

func TestProfileOverrides(t *testing.T) {
	t.Parallel()
	spike, err := BuiltinProfile("spike")
	if err != nil {
		t.Fatal(err)
	}
	q, err := spike.With(Overrides{Rate: 400, Duration: 140 * time.Second, Users: 50, Policy: "nohistory"})
	if err != nil {
		t.Fatal(err)
	}
	if q.PeakRate() != 400 || q.Duration() != 140*time.Second || q.Users != 50 || q.PolicyName() != "nohistory" {
		t.Errorf("overridden spike: peak %v, duration %v, users %d, policy %s", q.PeakRate(), q.Duration(), q.Users, q.PolicyName())
	}
	// The shape stays: baseline is a tenth of the peak, the spike a seventh of the time.
	if r, _, _ := q.Stages[0].rates(); r != 40 || time.Duration(q.Stages[1].Duration) != 20*time.Second {
		t.Errorf("shape changed: %+v", q.Stages)
	}
	if spike.PeakRate() != 200 || spike.Users != 400 {
		t.Error("With changed the original profile")
	}

	max, err := BuiltinProfile("max")
	if err != nil {
		t.Fatal(err)
	}
	m, err := max.With(Overrides{Rate: 100, Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if m.Search.MaxRate != 100 || time.Duration(m.Search.StepDuration) != 3*time.Second || max.Search.MaxRate != 5000 {
		t.Errorf("search overrides: %+v (original max rate %v)", m.Search, max.Search.MaxRate)
	}
	if _, err := spike.With(Overrides{Rate: math.NaN()}); !errors.Is(err, ErrProfile) {
		t.Errorf("NaN rate: %v", err)
	}
}

func TestSearchRates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    Search
		want []float64
	}{
		{"step", Search{From: 10, Step: 10, MaxRate: 40}, []float64{10, 20, 30, 40}},
		{"factor", Search{From: 100, Factor: 2, MaxRate: 700}, []float64{100, 200, 400}},
		{"from is max", Search{From: 5, Step: 1, MaxRate: 5}, []float64{5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := c.s.Rates()
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if math.Abs(got[i]-c.want[i]) > 1e-9 {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		stages  []Stage
		planned uint64
		checks  map[uint64]time.Duration // hit -> intended time
	}{
		{"constant", []Stage{{Duration: Duration(time.Minute), Rate: f64(50)}}, 3000,
			map[uint64]time.Duration{0: 0, 1: 20 * time.Millisecond, 2999: time.Minute - 20*time.Millisecond}},
		{"ramp from zero", []Stage{{Duration: Duration(10 * time.Second), From: f64(0), To: f64(20)}}, 100,
			// H(t) = t²: hit n at sqrt(n) seconds.
			map[uint64]time.Duration{0: 0, 1: time.Second, 4: 2 * time.Second, 81: 9 * time.Second}},
		{"ramp down", []Stage{{Duration: Duration(10 * time.Second), From: f64(20), To: f64(0)}}, 100,
			// H(t) = 20t - t²: hit 19 at 1s, hit 64 at 4s.
			map[uint64]time.Duration{0: 0, 19: time.Second, 64: 4 * time.Second}},
		{"stages with a pause", []Stage{
			{Duration: Duration(time.Second), Rate: f64(10)},
			{Duration: Duration(time.Second), Rate: f64(0)},
			{Duration: Duration(time.Second), Rate: f64(4)},
		}, 14, map[uint64]time.Duration{9: 900 * time.Millisecond, 10: 2 * time.Second, 13: 2750 * time.Millisecond}},
		{"fractional", []Stage{{Duration: Duration(time.Second), Rate: f64(2.5)}}, 3,
			map[uint64]time.Duration{2: 800 * time.Millisecond}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(c.stages)
			if err != nil {
				t.Fatal(err)
			}
			if s.Planned() != c.planned {
				t.Errorf("planned %d, want %d", s.Planned(), c.planned)
			}
			for n, want := range c.checks {
				got, ok := s.Intended(n)
				if !ok || (got-want).Abs() > time.Microsecond {
					t.Errorf("hit %d at %v (%v), want %v", n, got, ok, want)
				}
			}
			// Every planned hit lies within the schedule, in order, where H reaches n.
			prev := time.Duration(-1)
			for n := uint64(0); n < s.Planned(); n++ {
				got, ok := s.Intended(n)
				if !ok || got < prev || got >= s.Duration() {
					t.Fatalf("hit %d at %v after %v (ok %v), schedule %v", n, got, prev, ok, s.Duration())
				}
				if h := s.Hits(got); math.Abs(h-float64(n)) > 1e-3 && s.Rate(got) > 0 {
					t.Fatalf("H(intended(%d)) = %v", n, h)
				}
				prev = got
			}
			if _, ok := s.Intended(s.Planned()); ok {
				t.Error("a hit beyond the plan has an intended time")
			}
		})
	}
}
