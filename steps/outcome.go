package steps

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// The statuses of a scenario or a check.
const (
	StatusPassed        = "passed"
	StatusFailed        = "failed"
	StatusNotApplicable = "not-applicable"
)

// Outcome is what one scenario's steps and hooks found, as the runner reads it once
// the scenario is over.
type Outcome struct {
	// Identity of the scenario.
	ID      string
	Level   Level
	Name    string
	Feature string
	Tags    []string
	// Status is one of the status constants; Reason says why a scenario is not
	// applicable.
	Status string
	Reason string
	// Optional is set when the scenario is not applicable for an optional part
	// the target lacks (notApplicable.optional): it leaves no check incomplete.
	Optional bool
	// Step is the step that failed, Problem what was wrong, Message the full
	// failure text (evidence) and Diag the interop diagnosis.
	Step    string
	Problem string
	Message string
	Diag    string
	// Code is the error-code sub-check: nil when the scenario checked no code.
	Code     *CodeOutcome
	Duration time.Duration
	// Exchanges counts the scenario's exchanges the invariants checked;
	// Breaches are the first breach of each invariant, in order.
	Exchanges int
	Breaches  []Breach
}

// CodeOutcome is the outcome of a scenario's error-code sub-check.
type CodeOutcome struct {
	Passed  bool
	Step    string
	Problem string
	Message string
}

// Breach is the first breach of one invariant in one scenario.
type Breach struct {
	ID      string
	Step    string
	Problem string
	Message string // the rendered evidence
}

// Gating reports whether the outcome counts as a failure on the progress line: its
// steps failed at a level that gates, or an exchange breached an invariant. A
// SHOULD that is not met is no failure there.
func (o Outcome) Gating() bool {
	return (o.Status == StatusFailed && o.Level != Should) || len(o.Breaches) > 0
}

// Outcome returns the outcome of the scenario of a pickle id, once it has ended;
// false for a scenario that did not run or did not finish.
func (w *Suite) Outcome(pickleID string) (Outcome, bool) {
	rec := w.results.get(pickleID)
	if rec == nil {
		return Outcome{}, false
	}
	o := rec.snapshot()
	return o, o.Status != ""
}

// record is the outcome of one scenario while it runs, filled by the hooks and the
// steps.
type record struct {
	mu sync.Mutex
	o  Outcome
	// started is when the scenario began.
	started time.Time
	// inv is what the scenario's exchanges did to the invariants.
	inv invariantLog
}

// snapshot copies the outcome, with the invariants' part.
func (r *record) snapshot() Outcome {
	r.mu.Lock()
	o := r.o
	if o.Code != nil {
		c := *o.Code
		o.Code = &c
	}
	r.mu.Unlock()
	o.Exchanges = r.inv.count()
	o.Breaches = r.inv.breaches()
	return o
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
	id, level := CheckTags(tags)
	rec := &record{o: Outcome{ID: id, Level: level, Name: p.Name, Feature: p.Uri, Tags: tags}, started: time.Now()}
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

// CheckTags returns the check id and the level among a scenario's tags ("" for
// what it lacks).
func CheckTags(tags []string) (string, Level) {
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
	r.o.Status, r.o.Reason, r.o.Optional = StatusNotApplicable, reason, optional
}

// finish sets the outcome from the scenario's error.
func (r *record) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.Duration = time.Since(r.started)
	switch {
	case r.o.Status == StatusNotApplicable:
	case err != nil && !errors.Is(err, godog.ErrSkip):
		r.o.Status, r.o.Message = StatusFailed, err.Error()
		if r.o.Problem == "" {
			r.o.Problem = err.Error()
		}
	default:
		r.o.Status = StatusPassed
	}
}

// codeFailure returns the message of a failed error-code sub-check, or "".
func (r *record) codeFailure() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Code != nil && !r.o.Code.Passed {
		return r.o.Code.Message
	}
	return ""
}

func (r *record) setFailure(step string, f failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Step != "" {
		return // the first failure is the one that counts
	}
	r.o.Step, r.o.Problem, r.o.Diag = step, f.msg, f.diag
}

func (r *record) setCode(ok bool, step string, f failure, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Code == nil {
		r.o.Code = &CodeOutcome{Passed: true}
	}
	if !ok && r.o.Code.Passed {
		r.o.Code = &CodeOutcome{Passed: false, Step: step, Problem: f.msg, Message: msg}
	}
}

// codeChecked notes that an error code was checked and matched.
func (r *record) codeChecked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Code == nil {
		r.o.Code = &CodeOutcome{Passed: true}
	}
}
