package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/invariant"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// Config is what a Suite needs from its runner. Target, HTTP and Tokens are
// required; the runner shares HTTP and Tokens with its preflight, so that the tokens
// the preflight fetched are the ones the scenarios use.
type Config struct {
	// Target is the server under test, already started.
	Target *sut.Target
	// HTTP sends every request of the suite; Tokens gets the target's tokens.
	HTTP   *http.Client
	Tokens *sut.TokenSource
	// Name, when set, is a regular expression a scenario's name must match to run;
	// the others are skipped.
	Name *regexp.Regexp
	// StrictShould makes a scenario with a failed SHOULD sub-check fail in godog
	// too (go test), not only in the report.
	StrictShould bool
	// Rerun formats the commands that rerun one scenario, for failure evidence;
	// none when nil.
	Rerun func(name, id string) string
	// Done, when set, is called with the outcome of every scenario as it ends.
	Done func(Outcome)
}

// Suite is what all scenarios of one run share: the target, its SRP parameters,
// tokens, the pre-provisioned users and the outcomes. Everything in it is either
// immutable or guarded; scenarios keep their own state in their context.
type Suite struct {
	tgt    *sut.Target
	params *srp.Params
	hc     *http.Client
	tokens *sut.TokenSource
	pool   *userPool
	// rerun formats the commands that rerun one scenario.
	rerun        func(name, id string) string
	strictShould bool
	done         func(Outcome)
	results      *collector

	genMu sync.Mutex
	gens  map[string]*passcode.Generator

	// inv checks the invariants over every exchange of every scenario.
	inv *invariant.Checker
}

// New prepares a run of the suite against c.Target.
func New(c Config) (*Suite, error) {
	t := c.Target
	if t == nil || c.HTTP == nil || c.Tokens == nil {
		return nil, errors.New("steps: a suite needs a target, an HTTP client and a token source")
	}
	p, err := t.Params()
	if err != nil {
		return nil, fmt.Errorf("steps: target srp parameters: %w", err)
	}
	inv, err := invariant.New(invariant.Options{Prefix: t.Prefix})
	if err != nil {
		return nil, err
	}
	inv.Secrets().SetModulus(p.Group().N())
	rerun := c.Rerun
	if rerun == nil {
		rerun = func(string, string) string { return "" }
	}
	done := c.Done
	if done == nil {
		done = func(Outcome) {}
	}
	return &Suite{
		tgt:          t,
		params:       p,
		hc:           c.HTTP,
		tokens:       c.Tokens,
		pool:         newUserPool(t.Users),
		rerun:        rerun,
		strictShould: c.StrictShould,
		done:         done,
		results:      newCollector(c.Name),
		inv:          inv,
		gens:         map[string]*passcode.Generator{},
	}, nil
}

// client returns an api.Client for tenant at the target with the token of role
// (none for the empty role).
func (w *Suite) client(ctx context.Context, tenant string, role sut.Role, hostForm bool) (*api.Client, error) {
	c, err := w.tgt.NewClient(tenant, w.hc)
	if err != nil {
		return nil, err
	}
	if hostForm {
		c.HostForm = true
	}
	if s := sc(ctx); s != nil {
		c.Observe = s.observe
	}
	if role != "" {
		tok, err := w.tokens.Token(ctx, role)
		if err != nil {
			return nil, err
		}
		c.AccessToken = tok
	}
	return c, nil
}

// generate returns a random passcode that r accepts. Generators are cached per
// policy, since building one for a policy with allowedRegExes costs milliseconds.
func (w *Suite) generate(r passcode.Requirements) (string, error) {
	key, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	w.genMu.Lock()
	g, ok := w.gens[string(key)]
	w.genMu.Unlock()
	if !ok {
		g, err = passcode.NewGenerator(r, passcode.GenerateOptions{})
		if err != nil {
			return "", fmt.Errorf("steps: cannot make passcodes for the policy: %w", err)
		}
		w.genMu.Lock()
		w.gens[string(key)] = g
		w.genMu.Unlock()
	}
	return g.Generate(nil)
}

// policy returns the target's policy of a role (standard, pin6, nohistory).
func (w *Suite) policy(role string) (sut.Policy, error) {
	p, ok := w.tgt.Policies[role]
	if !ok || p.Requirements == nil {
		return sut.Policy{}, fmt.Errorf("steps: the target names no %q policy", role)
	}
	return p, nil
}

// freshExternalID returns an external id no other scenario uses.
func freshExternalID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "rk-" + hex.EncodeToString(b[:])
}

// userPool hands out the target's pre-provisioned users, each at most once per
// run, for targets without the admin API.
type userPool struct {
	mu    sync.Mutex
	avail map[string][]sut.User
	// shared lists are read-only uses (locked, disabled): handed out repeatedly.
	shared map[string][]sut.User
}

// The kinds of pre-provisioned users.
const (
	poolRegistered   = "registered"
	poolUnregistered = "unregistered"
	poolLocked       = "locked"
	poolDisabled     = "disabled"
)

func newUserPool(u sut.Users) *userPool {
	return &userPool{
		avail: map[string][]sut.User{
			poolRegistered:   append([]sut.User(nil), u.Registered...),
			poolUnregistered: append([]sut.User(nil), u.Unregistered...),
		},
		shared: map[string][]sut.User{
			poolLocked:   u.Locked,
			poolDisabled: u.Disabled,
		},
	}
}

// take returns an unused user of a kind, or false when none is left.
func (p *userPool) take(kind string) (sut.User, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.shared[kind]; len(s) > 0 {
		return s[0], true
	}
	s := p.avail[kind]
	if len(s) == 0 {
		return sut.User{}, false
	}
	p.avail[kind] = s[1:]
	return s[0], true
}
