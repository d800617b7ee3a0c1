package steps

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/target"
)

// corpusWorkers is how many victims work through the bad-input corpus at once; each
// takes its own share of the cases, since a case may consume a session or count
// toward its victim's lockout.
const corpusWorkers = 4

// corpusSteps run fixtures/badinput.yaml, the reference server's corpus of
// malformed requests with the answers SPEC.md names for them.
func corpusSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client sends each request of the bad-input corpus where (SPEC\.md decides|renewkit chose) the answer$`), func(ctx context.Context, which string) error {
		return sc(ctx).runCorpus(ctx, which == "renewkit chose")
	})
	c.Step(stepRE(`^each got its status, never a 5xx, and the victim's passcode still authenticated after it$`), func(ctx context.Context) error {
		s := sc(ctx)
		r := s.corpus
		if r == nil {
			return s.fail(nil, "the corpus was not run")
		}
		if len(r.bad) == 0 {
			return nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d corpus requests got another answer than the corpus names (%d skipped: %s):", len(r.bad), r.sent, r.skipped, r.skipWhy)
		for i, f := range r.bad {
			if i == 5 {
				fmt.Fprintf(&b, "\n... and %d more", len(r.bad)-5)
				break
			}
			fmt.Fprintf(&b, "\n- %s", f.msg)
			if f.ex != nil {
				fmt.Fprintf(&b, "\n  %s", indent(f.ex.String(), "  "))
			}
		}
		return s.fail(nil, "%s", b.String())
	})
}

// corpusRun is what running the corpus found.
type corpusRun struct {
	mu      sync.Mutex
	sent    int
	skipped int
	skipWhy string
	bad     []failure
}

func (r *corpusRun) add(f failure) {
	r.mu.Lock()
	r.bad = append(r.bad, f)
	r.mu.Unlock()
}

// runCorpus sends the corpus cases (the strict ones, where SPEC.md is silent and
// the corpus holds renewkit's choice, or the others), each as its case says, and
// collects every answer that differs from the case's status. Codes are checked
// softly, as everywhere (SPEC section 10).
func (s *scenario) runCorpus(ctx context.Context, strict bool) error {
	cases, err := fixtures.BadInput()
	if err != nil {
		return s.fail(nil, "the corpus cannot be read: %v", err)
	}
	vals, err := fixtures.BadInputValues(s.w.params)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	t := s.w.tgt
	var run []fixtures.BadInputCase
	skips := map[string]int{}
	for _, c := range cases {
		if c.Strict != strict {
			continue
		}
		if need := corpusNeeds(c); need != "" && !t.Has(need) {
			skips[string(need)]++
			continue
		}
		run = append(run, c)
	}
	r := &corpusRun{}
	s.corpus = r
	for k, n := range skips {
		r.skipped += n
		r.skipWhy += fmt.Sprintf("%d need @%s ", n, k)
	}
	r.skipWhy = strings.TrimSpace(r.skipWhy)
	if r.skipWhy == "" {
		r.skipWhy = "none"
	}
	// A policy of its own, so that an update case a server wrongly accepts cannot
	// change a policy other scenarios use.
	policy := s.defaultPolicy()
	if t.Has(target.Admin) {
		if policy, err = s.copyPolicy(ctx, target.PolicyStandard); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, corpusWorkers)
	for w := range corpusWorkers {
		var mine []fixtures.BadInputCase
		for i := w; i < len(run); i += corpusWorkers {
			mine = append(mine, run[i])
		}
		if len(mine) == 0 {
			continue
		}
		victim := s.user
		if w > 0 {
			if victim, err = s.newUser(ctx, true, target.PolicyStandard); err != nil {
				return err
			}
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = s.corpusWorker(ctx, mine, victim, policy, vals, r)
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// corpusNeeds returns the capability a case needs beyond the passcode endpoints.
func corpusNeeds(c fixtures.BadInputCase) target.Capability {
	switch {
	case strings.HasPrefix(c.Path, "/oauth/"):
		return target.OAuth
	case c.Host != "" || strings.Contains(c.Path, "${HP}"):
		return target.HostPaths
	case c.Token == fixtures.TokenReadonly:
		return target.NoPermissionToken
	case strings.Contains(c.Path, "/passcodePolicy") || !strings.Contains(c.Path, "/passcodes/"):
		return target.Admin
	}
	return ""
}

// corpusWorker sends cases for one victim, in order. It touches only r (guarded)
// and its own requests, never the scenario's answer fields.
func (s *scenario) corpusWorker(ctx context.Context, cases []fixtures.BadInputCase, victim *user, policy string, vals map[string]string, r *corpusRun) error {
	t := s.w.tgt
	vars := map[string]string{
		"prefix": strings.TrimSuffix(t.Prefix, "/"), "tenant": t.Tenant, "store": t.Store,
		"tenantUpper": strings.ToUpper(t.Tenant),
		"P":           api.Paths{Prefix: t.Prefix, Tenant: t.Tenant}.Store(t.Store),
		"HP":          api.Paths{Prefix: t.Prefix, HostForm: true}.Store(t.Store),
		"tenantHost":  t.Tenant + "." + t.HostSuffix,
		"otherHost":   "rk-no-permission." + t.HostSuffix,
		"userId":      victim.id, "userIdLower": strings.ToLower(victim.id), "extUserId": victim.ext,
		"policy": policy,
	}
	for k, v := range vals {
		vars[k] = v
	}
	full, err := s.w.client(ctx, t.Tenant, target.RoleFull, false)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	for _, c := range cases {
		if c.Session != "" {
			owner := victim
			if c.Session == string(api.FlowRegistration) {
				if owner, err = s.newUser(ctx, false, target.PolicyStandard); err != nil {
					return err
				}
			}
			vars["freshUserId"] = owner.id
			sr, ex, err := full.Start(ctx, api.Flow(c.Session), t.Store, api.ByID(owner.id), policy)
			if err != nil {
				r.add(failure{msg: fmt.Sprintf("%s: the %s start it needs answered %d", c.Name, c.Session, statusOf(ex)), ex: ex})
				continue
			}
			vars["session"] = sr.SessionID
		}
		req, err := c.Expand(vars)
		if err != nil {
			return s.fail(nil, "corpus case %q: %v", c.Name, err)
		}
		h := http.Header{}
		if req.Host != "" {
			h.Set("Host", req.Host)
		}
		if req.ContentType != "" {
			h.Set("Content-Type", req.ContentType)
		} else {
			// No value at all: api.Client.Do would otherwise send application/json.
			h["Content-Type"] = []string{}
		}
		cl := full
		switch c.Token {
		case fixtures.TokenNone:
			cl = full.WithToken("")
		case fixtures.TokenMalformed:
			h.Set("Authorization", "Bearer "+fixtures.MalformedToken)
		case fixtures.TokenReadonly:
			tok, err := s.w.tokens.Token(ctx, target.RoleNone)
			if err != nil {
				return s.fail(nil, "%v", err)
			}
			cl = full.WithToken(tok)
		}
		ex, err := cl.Do(ctx, req.Method, req.Path, req.Body, h)
		r.mu.Lock()
		r.sent++
		r.mu.Unlock()
		switch {
		case err != nil:
			r.add(failure{msg: fmt.Sprintf("%s: no answer: %v", c.Name, err), ex: ex})
			continue
		case ex.Status >= 500:
			r.add(failure{msg: fmt.Sprintf("%s: %d, want %d %s: no input from a client may produce a 5xx", c.Name, ex.Status, c.Status, c.Code), ex: ex})
		case ex.Status != c.Status:
			r.add(failure{msg: fmt.Sprintf("%s: %s, want %d %s", c.Name, statusCode(ex.Status, errorCode(ex)), c.Status, c.Code), ex: ex})
		case string(errorCode(ex)) != c.Code:
			s.softShared(ex, fmt.Sprintf("corpus case %s: the error code is %q, want %q", c.Name, errorCode(ex), c.Code))
		default:
			s.rec.codeChecked()
		}
		if c.Session != "" || c.CountsTowardLockout() {
			// Nothing moved, and the failure count is reset for the next case.
			res, err := s.tryAuth(ctx, victim, victim.pass)
			if err != nil {
				return err
			}
			if !res.ok {
				r.add(failure{msg: fmt.Sprintf("%s: afterwards the victim's passcode does not authenticate: %s", c.Name, res.why), ex: res.ex})
			}
		}
	}
	return nil
}

// softShared records a failed code sub-check from a worker goroutine.
func (s *scenario) softShared(ex *api.Exchange, msg string) {
	f := failure{msg: msg, ex: ex}
	s.rec.setCode(false, s.step, f, s.render(s.rec.o.ID+CodeSuffix, f))
}

// copyPolicy creates a policy with the requirements of a role's policy, under a
// fresh name, deleted when the scenario ends.
func (s *scenario) copyPolicy(ctx context.Context, role string) (string, error) {
	pol, err := s.w.policy(role)
	if err != nil {
		return "", s.fail(nil, "%v", err)
	}
	c, err := s.adminClient(ctx, s.w.tgt.Tenant)
	if err != nil {
		return "", err
	}
	name := "rk-policy-" + randomHex(6)
	if _, ex, err := c.CreatePolicy(ctx, s.w.tgt.Store, api.PolicyRequest{Name: name, Requirements: *pol.Requirements}); err != nil {
		return "", s.fail(ex, "setup: creating a policy through the admin API failed: %v", err)
	}
	s.cleanups = append(s.cleanups, func(ctx context.Context) { _, _ = c.DeletePolicy(ctx, s.w.tgt.Store, name) })
	return name, nil
}

func statusOf(ex *api.Exchange) int {
	if ex == nil {
		return 0
	}
	return ex.Status
}
