package mutant

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps"
)

var update = flag.Bool("update", false, "rewrite the table of docs/mutation.md from a full run (implies RENEWKIT_MUTANTS=all)")

// fullMatrix reports whether every variant runs the whole suite.
func fullMatrix() bool { return *update || os.Getenv("RENEWKIT_MUTANTS") == "all" }

// Session lifetimes of the variants' servers: the suite's own in-process lifetime for
// the whole suite, a shorter one when only a variant's catchers run (SES-004 waits
// one out; no catcher holds a session longer). On a slow machine (two CPU hogs,
// -race, other packages' tests beside this one) both stretch with the measured
// cost of a burst's SRP work, so that no session of a correct server expires
// while the suite is still computing for it.
const (
	fullTTL     = 6 * time.Second
	targetedTTL = 3 * time.Second
	// raceFullTTL is fullTTL under -race, where `go test ./...` runs this package
	// beside others on two cores: the slowest flows of the whole suite (a search for
	// an A with a leading zero byte) must finish well within a session's life.
	raceFullTTL = 10 * time.Second
	// burstMargin is how many times the probe's work a session must outlive: a
	// burst (LCK-010) computes half the probe's proofs while its server computes
	// as many B values and verifications, all before any session may expire.
	burstMargin = 30
)

// wholeTTL is the session lifetime of a whole-suite run.
func wholeTTL() time.Duration {
	if raceEnabled {
		return scaledTTL(raceFullTTL)
	}
	return scaledTTL(fullTTL)
}

// scaledTTL is base, or burstMargin times the probe when that is longer.
func scaledTTL(base time.Duration) time.Duration { return max(base, burstMargin*srpProbe()) }

// srpProbe times 32 client proofs of the default group here, now: the most a
// burst of the suite computes while its sessions are open.
var srpProbe = sync.OnceValue(func() time.Duration {
	p := srp.DefaultParams()
	other, err := p.NewEphemeral()
	if err != nil {
		panic(err)
	}
	began := time.Now()
	for range 32 {
		c, err := srp.NewClient(p, []byte("probe"), []byte("probe passcode"), []byte("probe salt"))
		if err != nil {
			panic(err)
		}
		if _, err := c.Proof(other.A()); err != nil {
			panic(err)
		}
	}
	return time.Since(began)
})

// outcome is what one run of the suite against a variant found.
type outcome struct {
	// failures are the failed MUST and MAY checks, warnings the failed SHOULD checks,
	// in catalogue order.
	failures []string
	warnings []string
	exit     int
	// diagnosis is the first interop diagnosis of a failed scenario, if any.
	diagnosis string
	scenarios int
	elapsed   time.Duration
	// problems holds, by check id, the step and problem of its first failed
	// scenario, for the log of an unexpected failure.
	problems map[string]string
}

// runSuite runs the scenarios tags selects ("" for all) against a fresh server of v.
func runSuite(tb testing.TB, v variant, tags string, ttl time.Duration) outcome {
	tb.Helper()
	tg := startVariant(tb, v, ttl)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	sum, err := conform.Run(ctx, conform.Options{Target: tg, Tags: tags})
	if err != nil {
		tb.Fatalf("variant %s: the suite could not run: %v", v.name, err)
	}
	o := outcome{failures: sum.Failures, warnings: sum.Warnings, exit: sum.ExitCode(),
		scenarios: sum.Scenarios, elapsed: time.Since(start), problems: map[string]string{}}
	for _, cr := range sum.Checks {
		for _, sr := range cr.Scenarios {
			if sr.Diagnosis != "" && o.diagnosis == "" {
				o.diagnosis = sr.Diagnosis
			}
			if _, ok := o.problems[sr.ID]; !ok && sr.Status == steps.StatusFailed {
				o.problems[sr.ID] = fmt.Sprintf("%q: %s: %s", sr.Name, sr.Step, sr.Problem)
			}
		}
	}
	return o
}

// tagsOf selects the scenarios of the given check ids.
func tagsOf(ids []string) string {
	tags := make([]string, len(ids))
	for i, id := range ids {
		tags[i] = "@" + id
	}
	return strings.Join(tags, ",")
}

// fullSuiteByDefault are the variants that run the whole suite even in the default
// mode, one per layer, so that every `go test` compares these rows of
// docs/mutation.md in full. They run one after another, after the others: the
// suite's timing-sensitive checks (a search for an A with a leading zero byte within
// the session lifetime, say) must not compete with a dozen other servers under -race.
var fullSuiteByDefault = []string{"requirements-changed", "lockout-off", "b-fixed-per-user"}

// slowUnderRace are the checks a whole-suite run leaves out under the race detector,
// as TestConformance in package steps does: 200 renewals and 128 starts of SRP
// arithmetic, which the race detector slows tenfold.
var slowUnderRace = []string{"RNW-007", "PRF-003"}

// wholeSuite is the tag expression of a whole-suite run, and the checks it leaves out.
func wholeSuite() (tags string, left []string) {
	if !raceEnabled {
		return "", nil
	}
	ex := make([]string, len(slowUnderRace))
	for i, id := range slowUnderRace {
		ex[i] = "~@" + id
	}
	return strings.Join(ex, " && "), slowUnderRace
}

// TestMutation runs the suite against the control and against every variant. Each
// variant's run must fail, by at least its catchers; the control's must pass. Then
// docs/mutation.md must agree with what the runs found (see checkTable).
//
// By default each variant runs only its catchers (all at once), then the variants of
// fullSuiteByDefault run the whole suite, one at a time. With RENEWKIT_MUTANTS=all
// (or -update) every variant runs the whole suite, and -update rewrites the table
// from the results. -short runs the catchers only.
func TestMutation(t *testing.T) {
	all := variants()
	full := fullMatrix()
	wholeTags, left := wholeSuite()
	t.Logf("32 SRP proofs take %v here: session lifetimes %v for catchers, %v for the whole suite",
		srpProbe().Round(time.Millisecond), scaledTTL(targetedTTL).Round(time.Millisecond), wholeTTL().Round(time.Millisecond))
	var (
		mu      sync.Mutex
		results = map[string]outcome{}
		fullRun = map[string]bool{}
	)
	check := func(t *testing.T, v variant, whole bool) {
		tags, ttl := tagsOf(v.catchers), scaledTTL(targetedTTL)
		need := v.catchers
		if whole {
			tags, ttl = wholeTags, wholeTTL()
			need = append(slices.Clone(need), v.fullCatchers...)
		}
		o := runSuite(t, v, tags, ttl)
		t.Logf("%s: %d scenarios in %v; fails %v; warns %v", v.name, o.scenarios, o.elapsed.Round(time.Millisecond), o.failures, o.warnings)
		if o.exit == 0 {
			t.Errorf("variant %s (%s) passes the suite: nothing catches it", v.name, v.wrong)
		}
		for _, id := range need {
			if !slices.Contains(o.failures, id) && !slices.Contains(left, id) {
				t.Errorf("variant %s: check %s should catch it and passes (failures: %v)", v.name, id, o.failures)
			}
		}
		mu.Lock()
		results[v.name], fullRun[v.name] = o, whole
		mu.Unlock()
	}
	var sequential []variant
	t.Run("variants", func(t *testing.T) {
		t.Run("control", func(t *testing.T) {
			t.Parallel()
			tags := wholeTags
			if !full {
				var ids []string
				for _, v := range all {
					ids = append(ids, v.catchers...)
				}
				tags = tagsOf(ids)
			}
			ttl := scaledTTL(fullTTL)
			if full {
				ttl = wholeTTL()
			}
			o := runSuite(t, controlVariant, tags, ttl)
			t.Logf("control: %d scenarios in %v", o.scenarios, o.elapsed.Round(time.Millisecond))
			if o.exit != 0 || len(o.failures)+len(o.warnings) > 0 {
				t.Errorf("the control (no fault) fails %v and warns %v: the mutation machinery itself breaks the server: %v", o.failures, o.warnings, o.problems)
			}
		})
		for _, v := range all {
			if !full && !testing.Short() && slices.Contains(fullSuiteByDefault, v.name) {
				sequential = append(sequential, v)
				continue
			}
			t.Run(v.name, func(t *testing.T) {
				t.Parallel()
				check(t, v, full)
			})
		}
	})
	for _, v := range sequential {
		t.Run("whole/"+v.name, func(t *testing.T) { check(t, v, true) })
	}
	if t.Failed() {
		return
	}
	if *update {
		if raceEnabled {
			t.Fatal("-update needs the whole suite: run it without -race")
		}
		if err := writeTable(tablePath, all, results); err != nil {
			t.Fatal(err)
		}
		return
	}
	checkTable(t, all, results, fullRun, left)
}
