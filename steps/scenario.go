package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cucumber/godog"
	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/sut"
)

// scenario is the state of one running scenario. It lives in the scenario's
// context (scenarioKey) and is only touched by that scenario's steps, one at a time;
// the few steps that fan out requests collect their answers before returning.
type scenario struct {
	w   *Suite
	rec *record
	// step is the text of the step running now, for failure messages.
	step string

	// Who and how requests are sent.
	role   sut.Role
	auth   *string // an exact Authorization header instead of role's token ("" sends none)
	tenant string
	store  string
	host   bool
	// hostTenant is the tenant the Host header names in the host form, when it is
	// not tenant.
	hostTenant string

	user *user

	// policy is "that policy" of the admin steps: its name and requirements.
	policy     string
	policyReqs *passcode.Requirements

	cur   *session // the last session started
	named map[string]*session

	last    *api.Exchange   // the answer the "Then the answer ..." steps look at
	answers []*api.Exchange // answers of a concurrent batch

	cleanups []func(context.Context)
}

// credentialRef is what identifies a credential on the wire: i and the salt.
type credentialRef struct {
	identity string
	salt     []byte
}

type scenarioKey struct{}

// stateKey is the context key of a feature's state type T: one key per type.
type stateKey[T any] struct{}

// newState registers the Before hook that gives every scenario a fresh T, the
// state a feature's steps keep between steps (godog's _examples keep theirs the
// same way).
func newState[T any](c *godog.ScenarioContext) {
	c.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, stateKey[T]{}, new(T)), nil
	})
}

// state returns the scenario's T. Its feature's newState hook runs before every
// step, so a missing T is a registration bug, not a scenario's failure.
func state[T any](ctx context.Context) *T {
	st, ok := ctx.Value(stateKey[T]{}).(*T)
	if !ok {
		panic(fmt.Sprintf("steps: no %T in the scenario's context: its newState hook is not registered", st))
	}
	return st
}

// sc returns the scenario of ctx. Every step runs after the Before hook that puts
// it there, so it is never nil in a step.
func sc(ctx context.Context) *scenario {
	s, _ := ctx.Value(scenarioKey{}).(*scenario)
	return s
}

// user is a user a scenario made (or took from the target's pre-provisioned ones),
// with what the harness knows about its passcode.
type user struct {
	id, ext       string
	tenant, store string
	// pass is the current passcode, "" when the user has none; old holds the
	// previous ones, oldest first.
	pass string
	old  []string
	// policyRole is the policy role the passcode was registered under.
	policyRole string
	// cred is the credential's i and salt, once a start showed them.
	cred *credentialRef
	// pooled users belong to the target; original is the passcode to restore.
	pooled   bool
	original string
}

// ref names the user by form: "user id" or "external id".
func (u *user) ref(form string) api.UserRef {
	if form == formExternal {
		return api.ByExternalID(u.ext)
	}
	return api.ByID(u.id)
}

// setPass records a new current passcode.
func (u *user) setPass(p string) {
	if u.pass != "" {
		u.old = append(u.old, u.pass)
	}
	u.pass = p
}

// The ways a step names a user.
const (
	formID       = "user id"
	formExternal = "external id"
)

// session is one started session and what the scenario did with it.
type session struct {
	flow api.Flow
	user *user
	// form and policy it was started with.
	form   string
	policy string
	id     string
	// start and startEx are the start answer; sp its decoded parameters (nil when
	// the answer was not a usable 200, with parseErr saying why).
	start    *api.StartResponse
	startEx  *api.Exchange
	sp       *api.StartParams
	parseErr error
	// pass is the passcode the session proves: the user's when it started.
	pass string
	// newPass is the new passcode a completion sent, proof its SRP values.
	newPass    string
	proof      *srpclient.Proof
	completeEx *api.Exchange
}

// failure is a step failure: what went wrong and the exchange that shows it.
type failure struct {
	msg string
	ex  *api.Exchange
	// diag is the interop diagnosis, when proofs were involved.
	diag string
}

// fail returns the error of a failed hard (MUST-level for the scenario) assertion,
// with the evidence the report and go test print. ex may be nil.
func (s *scenario) fail(ex *api.Exchange, format string, args ...any) error {
	return s.failDiag(ex, "", format, args...)
}

// failDiag is fail with an interop diagnosis.
func (s *scenario) failDiag(ex *api.Exchange, diag, format string, args ...any) error {
	f := failure{msg: fmt.Sprintf(format, args...), ex: ex, diag: diag}
	s.rec.setFailure(s.step, f)
	return errors.New(s.render(s.rec.o.ID, f))
}

// soft records a failed sub-check (an error code) without failing the step.
func (s *scenario) soft(ex *api.Exchange, format string, args ...any) {
	f := failure{msg: fmt.Sprintf(format, args...), ex: ex}
	s.rec.setCode(false, s.step, f, s.render(s.rec.o.ID+CodeSuffix, f))
}

// render formats a failure with the check, the spec, the exchange and the rerun
// commands.
func (s *scenario) render(id string, f failure) string {
	var b strings.Builder
	c, _ := LookupCheck(id)
	fmt.Fprintf(&b, "%s (%s, SPEC %s: %s)\n", id, strings.ToUpper(string(c.Level)), c.Section, c.Title)
	fmt.Fprintf(&b, "  step:      %s\n", s.step)
	fmt.Fprintf(&b, "  problem:   %s\n", indent(f.msg, "             "))
	fmt.Fprintf(&b, "  spec:      %s\n", c.Spec)
	if f.ex != nil {
		fmt.Fprintf(&b, "  exchange:  %s\n", indent(f.ex.String(), "             "))
	}
	if f.diag != "" {
		fmt.Fprintf(&b, "  diagnosis: %s\n", indent(f.diag, "             "))
	}
	if r := s.w.rerun(s.rec.o.Name, s.rec.o.ID); r != "" {
		fmt.Fprintf(&b, "  rerun:     %s\n", indent(r, "             "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// indent prefixes every line but the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// notApplicable ends a scenario that cannot run on this target (it has no users of
// the kind the scenario needs, say): reported as not applicable, never as passed.
type notApplicable struct {
	reason string
	// optional is set when what the scenario lacks is a part of the API or of the
	// set-up that SPEC.md does not ask of a deployment: the check is then not
	// applicable without making the run INCOMPLETE, as an optional capability's.
	optional bool
}

func (n notApplicable) Error() string { return "not applicable: " + n.reason }

// client returns the api client of the scenario's current identity, path form and
// tenant.
func (s *scenario) client(ctx context.Context) (*api.Client, error) {
	role := s.role
	if s.auth != nil {
		role = ""
	}
	// In the host form the path has no tenant and the Host header names one:
	// hostTenant when a step set it (the token stays the scenario's), else tenant.
	tenant := s.tenant
	if s.hostTenant != "" {
		tenant = s.hostTenant
	}
	c, err := s.w.client(ctx, tenant, role, s.host)
	if err != nil {
		return nil, s.fail(nil, "cannot prepare the request: %v", err)
	}
	return c, nil
}

// send sends one request as the scenario's identity and records it as the answer.
func (s *scenario) send(ctx context.Context, method, path string, body []byte) (*api.Exchange, error) {
	ex, err := s.sendQuiet(ctx, method, path, body, nil)
	if ex != nil {
		s.last = ex
	}
	return ex, err
}

// sendQuiet sends one request without recording it as the answer. extra headers
// are added.
func (s *scenario) sendQuiet(ctx context.Context, method, path string, body []byte, extra http.Header) (*api.Exchange, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range extra {
		h[k] = v
	}
	if s.auth != nil && *s.auth != "" {
		h.Set("Authorization", *s.auth)
	}
	ex, err := c.Do(ctx, method, path, body, h)
	if err != nil {
		return ex, s.fail(ex, "no answer from the server: %v", err)
	}
	return ex, nil
}

// paths returns the path builder of the scenario's tenant and form.
func (s *scenario) paths() api.Paths {
	return api.Paths{Prefix: s.w.tgt.Prefix, Tenant: s.tenant, HostForm: s.host || s.w.tgt.PathForm == sut.PathFormHost}
}

// admin returns a client of the full role for the target's tenant (or the other
// tenant), for the setup steps that use the admin API.
func (s *scenario) adminClient(ctx context.Context, tenant string) (*api.Client, error) {
	role := sut.RoleFull
	if tenant == s.w.tgt.OtherTenantID && tenant != s.w.tgt.Tenant {
		role = sut.RoleOtherTenant
	}
	c, err := s.w.client(ctx, tenant, role, false)
	if err != nil {
		return nil, s.fail(nil, "cannot prepare the admin client: %v", err)
	}
	return c, nil
}

// needAnswer returns the last answer or fails the step.
func (s *scenario) needAnswer() (*api.Exchange, error) {
	if s.last == nil {
		return nil, s.fail(nil, "no request has been sent yet")
	}
	return s.last, nil
}

// answerUser decodes the last answer as a user object; an answer that is not one is the
// server's failure, with the exchange as evidence.
func (s *scenario) answerUser() (api.User, *api.Exchange, error) {
	var u api.User
	ex, err := s.needAnswer()
	if err != nil {
		return u, nil, err
	}
	if err := json.Unmarshal(ex.ResponseBody, &u); err != nil {
		return u, ex, s.fail(ex, "the answer is not a user object: %v", err)
	}
	return u, ex, nil
}

// needSession returns the current session or fails.
func (s *scenario) needSession() (*session, error) {
	if s.cur == nil {
		return nil, s.fail(nil, "no session has been started")
	}
	return s.cur, nil
}

// needUser returns the scenario's user or fails.
func (s *scenario) needUser() (*user, error) {
	if s.user == nil {
		return nil, s.fail(nil, "the scenario has no user")
	}
	return s.user, nil
}
