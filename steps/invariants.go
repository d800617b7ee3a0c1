package steps

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// invariantsSteps registers the steps of features/invariants.feature.
func invariantsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^no answer so far broke the invariant (INV-\d{3})$`), noBreachSoFar)
	c.Step(stepRE(`^another user with a registered passcode is made$`), anotherRegisteredUserMade)
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

func anotherRegisteredUserMade(ctx context.Context) error {
	return sc(ctx).givenUser(ctx, true, sut.PolicyStandard)
}

// The invariants (package invariant) run over every exchange of every scenario:
// each api client a scenario gets observes its exchanges (Suite.client), and a
// breach fails the scenario under the invariant's own check id, with the exchange
// as evidence, whatever the scenario itself expected. The scenario's own check keeps
// the verdict of its own assertions.

// invariantLog is what one scenario's exchanges did to the invariants.
type invariantLog struct {
	mu        sync.Mutex
	exchanges int
	first     map[string]Breach // by invariant id
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
			log.first = map[string]Breach{}
		}
		msg := s.render(b.ID, failure{msg: b.Problem, ex: b.Exchange})
		log.first[b.ID] = Breach{ID: b.ID, Step: s.step, Problem: b.Problem, Message: msg}
		log.order = append(log.order, b.ID)
	}
}

// breaches returns the scenario's breaches in the order they happened.
func (l *invariantLog) breaches() []Breach {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Breach, 0, len(l.order))
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
func breachError(bs []Breach) error {
	if len(bs) == 0 {
		return nil
	}
	msgs := make([]string, len(bs))
	for i, b := range bs {
		msgs[i] = b.Message
	}
	return errors.New(strings.Join(msgs, "\n"))
}
