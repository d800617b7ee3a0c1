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
	"github.com/seedb14f67b8/renewkit/sut"
)

// badInputState is what the bad-input corpus steps keep (BAD-008, BAD-009).
type badInputState struct {
	corpus *corpusRun
}

// badInputSteps registers the steps of features/bad-input.feature.
func badInputSteps(c *godog.ScenarioContext) {
	newState[badInputState](c)
	c.Step(stepRE(`^the client sends a well-formed (registration|authentication|renewal) (start|completion) padded with whitespace to (\d+) bytes$`), sendPadded)
	c.Step(stepRE(`^the answer is a 4xx answer$`), answerIs4xx)
	c.Step(stepRE(`^the user still has no passcode$`), userStillNoPasscode)
	c.Step(stepRE(`^the client sends each request of the bad-input corpus where (SPEC\.md decides|renewkit chose) the answer$`), sendBadInputCorpus)
	c.Step(stepRE(`^each got its status, never a 5xx, and the victim's passcode still authenticated after it$`), eachGotStatusVictimUnharmed)
	c.Step(stepRE(`^the client starts `+flowPattern+` for the user by `+formPattern+` with the body (.+)$`), startWithBody)
	c.Step(stepRE(`^the client sends an? (renewal start|renewal completion|authentication completion|registration completion) with a body of (\d+) bytes$`), sendBodyOfSize)
	c.Step(stepRE(`^the client sends a renewal request with the (user id|external id|policy|session id) path segment (.+)$`), sendPathSegment)
}

// sendPadded sends a request a correct server accepts, padded with JSON whitespace
// to exactly n bytes: a start's {} or a correct completion of a session started for
// the scenario's user. Up to 65,536 bytes only its size is new, so a correct server
// answers as it would without the padding (200); one byte more is over 64 KiB.
func sendPadded(ctx context.Context, flow, what string, n int) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	f := api.Flow(flow)
	if what == "start" {
		body, err := padJSON(emptyObject(), n)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Start(f, s.store, u.ref(formID), s.defaultPolicy()), body)
		return err
	}
	sess, err := s.startSession(ctx, f, formID, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	if sess.id == "" {
		return s.fail(sess.startEx, "the %s start answered %d, want 200", f, sess.startEx.Status)
	}
	body, err := s.body(sess)
	if err != nil {
		return err
	}
	if body, err = padJSON(body, n); err != nil {
		return s.fail(nil, "%v", err)
	}
	ex, err := s.send(ctx, http.MethodPost, s.paths().Complete(f, s.store, sess.id), body)
	if err != nil {
		return err
	}
	sess.completeEx = ex
	if ex.Status == http.StatusOK {
		s.accepted(sess)
	}
	return nil
}

func answerIs4xx(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	if ex.Status < 400 || ex.Status > 499 {
		return s.fail(ex, "the answer is %d, want a 4xx: no input from a client may produce a 5xx (SPEC section 2), and this path names nothing", ex.Status)
	}
	return nil
}

func userStillNoPasscode(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	return s.expectNoPasscode(ctx, u)
}

func sendBadInputCorpus(ctx context.Context, which string) error {
	return sc(ctx).runCorpus(ctx, which == "renewkit chose")
}

func eachGotStatusVictimUnharmed(ctx context.Context) error {
	s := sc(ctx)
	r := state[badInputState](ctx).corpus
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
}

func startWithBody(ctx context.Context, flow, form, body string) error {
	s := sc(ctx)
	var b []byte
	if body != "<absent>" {
		b = []byte(body)
	}
	_, err := s.startSession(ctx, api.Flow(flow), form, s.defaultPolicy(), b)
	return err
}

func sendBodyOfSize(ctx context.Context, what string, n int) error {
	s := sc(ctx)
	flow := api.Flow(strings.Fields(what)[0])
	if strings.HasSuffix(what, "start") {
		u, err := s.needUser()
		if err != nil {
			return err
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Start(flow, s.store, u.ref(formID), s.defaultPolicy()), oversized(n))
		return err
	}
	sess, err := s.startSession(ctx, flow, formID, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	if sess.id == "" {
		return s.fail(sess.startEx, "the %s start answered %d, want 200", flow, sess.startEx.Status)
	}
	_, err = s.send(ctx, http.MethodPost, s.paths().Complete(flow, s.store, sess.id), oversized(n))
	return err
}

func sendPathSegment(ctx context.Context, where, segment string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	const mark = "RKSEGMENTMARK"
	if segment == "$LONG" {
		segment = strings.Repeat("A", 2048)
	}
	p := s.paths()
	var path string
	var body []byte = emptyObject()
	switch where {
	case "user id":
		path = p.Start(api.FlowRenewal, s.store, api.ByID(mark), s.defaultPolicy())
	case "external id":
		path = p.Start(api.FlowRenewal, s.store, api.ByExternalID(mark), s.defaultPolicy())
	case "policy":
		path = p.Start(api.FlowRenewal, s.store, api.ByID(u.id), mark)
	case "session id":
		path = p.Complete(api.FlowRenewal, s.store, mark)
		body = []byte(`{"srpRegistrationData":{"verifier":"AAEC"},"srpVerificationData":{"a":"AAEC","m1":"AAEC"}}`)
	}
	_, err = s.send(ctx, http.MethodPost, strings.Replace(path, mark, segment, 1), body)
	return err
}

// padJSON returns the JSON object body with JSON whitespace (RFC 8259 section 2:
// space, tab, line feed, carriage return) after its opening brace, so that it is
// exactly n bytes long and still the same object.
func padJSON(body []byte, n int) ([]byte, error) {
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("steps: padJSON needs a JSON object, not %.20q", body)
	}
	pad := n - len(body)
	if pad < 0 {
		return nil, fmt.Errorf("steps: the body is %d bytes already, more than %d", len(body), n)
	}
	ws := strings.Repeat(" \t\n\r", pad/4+1)[:pad]
	out := make([]byte, 0, n)
	out = append(out, '{')
	out = append(out, ws...)
	out = append(out, body[1:]...)
	return out, nil
}

// corpusWorkers is how many victims work through the bad-input corpus at once; each
// takes its own share of the cases, since a case may consume a session or count
// toward its victim's lockout.
const corpusWorkers = 4

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
	state[badInputState](ctx).corpus = r
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
	if t.Has(sut.Admin) {
		if policy, err = s.copyPolicy(ctx, sut.PolicyStandard); err != nil {
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
			if victim, err = s.newUser(ctx, true, sut.PolicyStandard); err != nil {
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
func corpusNeeds(c fixtures.BadInputCase) sut.Capability {
	switch {
	case strings.HasPrefix(c.Path, "/oauth/"):
		return sut.OAuth
	case c.Host != "" || strings.Contains(c.Path, "${HP}"):
		return sut.HostPaths
	case c.Token == fixtures.TokenReadonly:
		return sut.NoPermissionToken
	case strings.Contains(c.Path, "/passcodePolicy") || !strings.Contains(c.Path, "/passcodes/"):
		return sut.Admin
	}
	return ""
}

// corpusWorker sends cases for one victim, in order. It touches only r (guarded)
// and its own requests, never the scenario's answer fields.
func (s *scenario) corpusWorker(ctx context.Context, cases []fixtures.BadInputCase, victim *user, policy string, vals map[string]string, r *corpusRun) error {
	t := s.w.tgt
	vars := corpusVars(t, victim, policy, vals)
	full, err := s.w.client(ctx, t.Tenant, sut.RoleFull, false)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	for _, c := range cases {
		if c.Session != "" {
			owner := victim
			if c.Session == string(api.FlowRegistration) {
				if owner, err = s.newUser(ctx, false, sut.PolicyStandard); err != nil {
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
		cl, h, err := s.corpusClient(ctx, full, c, req)
		if err != nil {
			return err
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

// corpusVars are the values the corpus's request templates name: the target's
// prefix, tenant and store in both path forms, the victim and the policy, and vals.
func corpusVars(t *sut.Target, victim *user, policy string, vals map[string]string) map[string]string {
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
	return vars
}

// corpusClient returns the client and headers a corpus case is sent with: its Host
// and Content-Type (none at all when the case has none), and its token.
func (s *scenario) corpusClient(ctx context.Context, full *api.Client, c fixtures.BadInputCase, req fixtures.BadRequest) (*api.Client, http.Header, error) {
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
		tok, err := s.w.tokens.Token(ctx, sut.RoleNone)
		if err != nil {
			return nil, nil, s.fail(nil, "%v", err)
		}
		cl = full.WithToken(tok)
	}
	return cl, h, nil
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
