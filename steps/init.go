package steps

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/sut"
)

// Unwrap makes a notApplicable error a godog.ErrSkip, so that godog skips the rest
// of the scenario instead of failing it; the hooks record why.
func (n notApplicable) Unwrap() error { return godog.ErrSkip }

// InitScenario registers the hooks and every step for one scenario: it is the
// suite's godog.TestSuite.ScenarioInitializer.
func (w *Suite) InitScenario(c *godog.ScenarioContext) {
	c.Before(w.beforeScenario)
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
	c.After(w.afterScenario)
	if w.tgt.Has(sut.Process) {
		w.processSteps(c)
	}
	// The steps many features share, then each feature's own (steps/<feature>.go).
	setupSteps(c)
	flowSteps(c)
	answerSteps(c)
	adminSteps(c)
	authenticationSteps(c)
	badInputSteps(c)
	errorsSteps(c)
	historySteps(c)
	hostPathsSteps(c)
	invariantsSteps(c)
	lockoutSteps(c)
	notFoundSteps(c)
	operationsSteps(c)
	permissionsSteps(c)
	proofsSteps(c)
	publicValuesSteps(c)
	registrationSteps(c)
	renewalExternalSteps(c)
	renewalSteps(c)
	requirementsSteps(c)
	sessionsSteps(c)
	tenantsSteps(c)
	throttleSteps(c)
	tokensSteps(c)
}

// beforeScenario gives a starting scenario its record and its state, or skips it
// when the name filter excludes it.
func (w *Suite) beforeScenario(ctx context.Context, p *godog.Scenario) (context.Context, error) {
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
}

// afterScenario runs the scenario's cleanups, records its outcome and hands it to
// Config.Done. A scenario whose steps passed still fails for a breach of an
// invariant, and with StrictShould for a failed error code.
func (w *Suite) afterScenario(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
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
	defer func() { w.done(s.rec.snapshot()) }()
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
}

// processSteps registers the steps of features/process.feature, which has its
// own steps and state (process.go); its scenarios are checks of this run like
// the others. A process scenario whose admin client cannot be made fails with the
// reason (InitializeProcessScenario), not with undefined steps.
func (w *Suite) processSteps(c *godog.ScenarioContext) {
	InitializeProcessScenario(c, w.tgt, w.tokens)
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
