package steps

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/sut"
)

// The statuses of a scenario or a check.
const (
	StatusPassed        = "passed"
	StatusFailed        = "failed"
	StatusNotApplicable = "not-applicable"
)

// Unwrap makes a notApplicable error a godog.ErrSkip, so that godog skips the rest
// of the scenario instead of failing it; the hooks record why.
func (n notApplicable) Unwrap() error { return godog.ErrSkip }

// initScenario registers the hooks and every step for one scenario.
func (w *world) initScenario(c *godog.ScenarioContext) {
	c.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		rec, run := w.results.begin(p)
		if !run {
			return ctx, godog.ErrSkip
		}
		t := w.tgt
		s := &scenario{
			w:      w,
			rec:    rec,
			role:   "full",
			tenant: t.Tenant,
			store:  t.Store,
			named:  map[string]*session{},
		}
		return context.WithValue(ctx, scenarioKey{}, s), nil
	})
	c.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		if s := sc(ctx); s != nil {
			s.step = st.Text
		}
		return ctx, nil
	})
	c.StepContext().After(func(ctx context.Context, st *godog.Step, _ godog.StepResultStatus, err error) (context.Context, error) {
		var na notApplicable
		if s := sc(ctx); s != nil && errors.As(err, &na) {
			s.rec.setNotApplicable(na.reason, na.optional)
		}
		return ctx, nil
	})
	c.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		s := sc(ctx)
		if s == nil {
			return ctx, nil
		}
		// Cleanups get their own context: the scenario's may be cancelled.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		for i := len(s.cleanups) - 1; i >= 0; i-- {
			s.cleanups[i](cctx)
		}
		cancel()
		s.rec.finish(err)
		defer w.progress.scenarioDone(s.rec)
		if err == nil {
			// A breach of an invariant fails the scenario in godog and go test too;
			// the reports count it under the invariant's id.
			if berr := breachError(s.rec.inv.breaches()); berr != nil {
				return ctx, berr
			}
		}
		if w.strictShould && err == nil {
			if code := s.rec.codeFailure(); code != "" {
				return ctx, errors.New(code)
			}
		}
		return ctx, nil
	})
	if w.tgt.Has(sut.Process) {
		// features/process.feature has its own steps and state (process_steps.go);
		// its scenarios are checks of this run like the others.
		InitializeProcessScenario(c, w.tgt, w.tokens)
	}
	setupSteps(c)
	flowSteps(c)
	transportSteps(c)
	sessionSteps(c)
	answerSteps(c)
	tokenSteps(c)
	throttleSteps(c)
	adminSteps(c)
	corpusSteps(c)
	permissionSteps(c)
	bindingSteps(c)
	identifierSteps(c)
	bodyLimitSteps(c)
	invariantSteps(c)
	verdictSteps(c)
	lockExpirySteps(c)
}

// collector gathers the records of a run's scenarios, keyed by pickle id: the plan
// and the run parse the same files in the same order, so ids agree.
type collector struct {
	name *regexp.Regexp // scenarios whose name does not match are not run

	mu   sync.Mutex
	recs map[string]*record
}

func newCollector(name *regexp.Regexp) *collector {
	return &collector{name: name, recs: map[string]*record{}}
}

// begin makes the record of a starting scenario; run is false when the name filter
// excludes it.
func (c *collector) begin(p *godog.Scenario) (*record, bool) {
	if c.name != nil && !c.name.MatchString(p.Name) {
		return nil, false
	}
	tags := make([]string, len(p.Tags))
	for i, t := range p.Tags {
		tags[i] = t.Name
	}
	id, level := checkTags(tags)
	rec := &record{ID: id, Level: level, Name: p.Name, Feature: p.Uri, Tags: tags, started: time.Now()}
	c.mu.Lock()
	c.recs[p.Id] = rec
	c.mu.Unlock()
	return rec, true
}

// get returns the record of a scenario that ran.
func (c *collector) get(pickleID string) *record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recs[pickleID]
}

// checkIDPattern matches a check id tag without its '@'.
var checkIDPattern = regexp.MustCompile(`^[A-Z]+-[0-9]{3}$`)

// checkTags returns the check id and the level among a scenario's tags.
func checkTags(tags []string) (string, Level) {
	var id string
	var level Level
	for _, t := range tags {
		t = strings.TrimPrefix(t, "@")
		switch {
		case checkIDPattern.MatchString(t):
			id = t
		case t == string(Must) || t == string(Should) || t == string(May):
			level = Level(t)
		}
	}
	return id, level
}

func (r *record) setNotApplicable(reason string, optional bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Status, r.Reason, r.Optional = StatusNotApplicable, reason, optional
}

// finish sets the outcome from the scenario's error.
func (r *record) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Duration = time.Since(r.started)
	switch {
	case r.Status == StatusNotApplicable:
	case err != nil && !errors.Is(err, godog.ErrSkip):
		r.Status, r.Message = StatusFailed, err.Error()
		if r.Problem == "" {
			r.Problem = err.Error()
		}
	default:
		r.Status = StatusPassed
	}
}

// codeFailure returns the message of a failed error-code sub-check, or "".
func (r *record) codeFailure() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Code != nil && !r.Code.Passed {
		return r.Code.Message
	}
	return ""
}

// stepREs holds the compiled step patterns. godog calls the scenario initializer
// for every scenario, and a pattern given as a string is compiled each time: a
// quarter of the suite's CPU went to compiling the same 170 expressions for each
// of 400 scenarios.
var stepREs sync.Map

// stepRE returns the compiled pattern of a step, compiled once per process.
func stepRE(pattern string) *regexp.Regexp {
	if re, ok := stepREs.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := stepREs.LoadOrStore(pattern, regexp.MustCompile(pattern))
	return re.(*regexp.Regexp)
}
