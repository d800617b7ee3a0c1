package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/invariant"
	"github.com/seedb14f67b8/renewkit/sut"
)

// The invariants (package invariant) run over every exchange of every scenario:
// each api client a scenario gets observes its exchanges (world.client), and a
// breach fails the scenario under the invariant's own check id, with the exchange
// as evidence, whatever the scenario itself expected. The scenario's own check keeps
// the verdict of its own assertions.

// breach is the first breach of one invariant in one scenario.
type breach struct {
	ID      string
	Step    string
	Problem string
	Message string // the rendered evidence
}

// invariantLog is what one scenario's exchanges did to the invariants.
type invariantLog struct {
	mu        sync.Mutex
	exchanges int
	first     map[string]breach // by invariant id
	order     []string
}

// observe checks one exchange of the scenario. It runs inside the step that sent it,
// so the breach names that step.
func (s *scenario) observe(ex *api.Exchange) {
	if s.w.inv == nil {
		return
	}
	found := s.w.inv.Check(ex)
	log := &s.rec.inv
	log.mu.Lock()
	defer log.mu.Unlock()
	log.exchanges++
	for _, b := range found {
		if _, seen := log.first[b.ID]; seen {
			continue
		}
		if log.first == nil {
			log.first = map[string]breach{}
		}
		msg := s.render(b.ID, failure{msg: b.Problem, ex: b.Exchange})
		log.first[b.ID] = breach{ID: b.ID, Step: s.step, Problem: b.Problem, Message: msg}
		log.order = append(log.order, b.ID)
	}
}

// breaches returns the scenario's breaches in the order they happened.
func (l *invariantLog) breaches() []breach {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]breach, 0, len(l.order))
	for _, id := range l.order {
		out = append(out, l.first[id])
	}
	return out
}

func (l *invariantLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.exchanges
}

// breachError is the error that fails a scenario in godog (and go test) for its
// breaches, when its own steps passed.
func breachError(bs []breach) error {
	if len(bs) == 0 {
		return nil
	}
	msgs := make([]string, len(bs))
	for i, b := range bs {
		msgs[i] = b.Message
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// invariantResults adds the invariants' check results: per invariant, a failed
// scenario result for each scenario that broke it, else one passed result that says
// how many exchanges were checked.
func invariantResults(o Options, plan *Plan, results *collector, add func(string, ScenarioResult)) {
	scenarios, exchanges := 0, 0
	failed := map[string][]ScenarioResult{}
	for _, p := range plan.Scenarios {
		rec := results.get(p.pickleID)
		if rec == nil || rec.Status == "" || len(p.Missing) > 0 {
			continue
		}
		n := rec.inv.count()
		if n == 0 {
			continue
		}
		scenarios++
		exchanges += n
		for _, b := range rec.inv.breaches() {
			failed[b.ID] = append(failed[b.ID], ScenarioResult{
				ID: b.ID, Level: Must, Name: p.Name, Feature: p.Feature, Status: StatusFailed,
				Step: b.Step, Problem: b.Problem, Evidence: b.Message,
				Rerun: rerunCommands(o.Rerun, o.RerunImage, p.Name, p.ID),
			})
		}
	}
	for _, id := range invariant.IDs() {
		if rs := failed[id]; len(rs) > 0 {
			for _, r := range rs {
				add(id, r)
			}
			continue
		}
		if exchanges == 0 {
			continue // no scenario sent a request: the check did not run
		}
		add(id, ScenarioResult{ID: id, Level: Must, Status: StatusPassed, Feature: "every feature",
			Name: fmt.Sprintf("every exchange of the run (%d exchanges in %d scenarios)", exchanges, scenarios)})
	}
}

// invariantSteps are the steps of features/invariants.feature.
func invariantSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^no answer so far broke the invariant (INV-\d{3})$`), noBreachSoFar)
	c.Step(stepRE(`^another user with a registered passcode is made$`), func(ctx context.Context) error {
		return sc(ctx).givenUser(ctx, true, sut.PolicyStandard)
	})
}

// noBreachSoFar fails when the scenario's exchanges broke the invariant id. The
// After hook fails the scenario for any breach anyway; this step makes the
// invariant's own scenario say which one it is about, at the point it is checked.
func noBreachSoFar(ctx context.Context, id string) error {
	s := sc(ctx)
	for _, b := range s.rec.inv.breaches() {
		if b.ID == id {
			return s.fail(nil, "an earlier answer broke %s: %s", id, b.Problem)
		}
	}
	if s.rec.inv.count() == 0 {
		return s.fail(nil, "the scenario sent no request, so %s checked nothing", id)
	}
	return nil
}
