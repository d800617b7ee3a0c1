package steps

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/sut"
)

// flowPattern and formPattern are the parts of the start steps' patterns that name
// the flow and how the user is named.
const (
	flowPattern = `(?:an? |the )(registration|authentication|renewal)`
	formPattern = `(user id|external id)`
)

// startsState holds the many starts of one user that the PUB-003 and PRF-003
// steps look at.
type startsState struct {
	sessions []*session
}

// flowSteps registers the When steps many features share: starting, completing
// and failing sessions, reading users, and requests as another identity.
func flowSteps(c *godog.ScenarioContext) {
	newState[startsState](c)
	c.Step(stepRE(`^the client reads the user by (user id|external id)$`), readUser)
	c.Step(stepRE(`^the client provokes a (400|401|403|404|413|renewal start|renewal success) answer$`), provokeAnswer)
	c.Step(stepRE(`^the client starts `+flowPattern+` for the user by `+formPattern+`$`), startUser)
	c.Step(stepRE(`^the client starts `+flowPattern+` for the user by `+formPattern+` under that policy$`), startUnderThatPolicy)
	c.Step(stepRE(`^the client starts (\d+) authentications for the user$`), startAuthentications)
	c.Step(stepRE(`^the client completes the registration with the verifier of a new passcode$`), completeCorrectly(api.FlowRegistration))
	c.Step(stepRE(`^the client proves the passcode$`), completeCorrectly(api.FlowAuthentication))
	c.Step(stepRE(`^the client proves the old passcode and sends the verifier of a new passcode$`), completeCorrectly(api.FlowRenewal))
	c.Step(stepRE(`^the client completes the session correctly$`), completeCorrectly(""))
	c.Step(stepRE(`^the client proves a wrong passcode$`), proveWrongPasscode)
	c.Step(stepRE(`^the client completes the session with the body (.+)$`), completeWithBody)
	c.Step(stepRE(`^the client completes the session with A = (0|N|2N|1|N-1|A\+N|A\+2N) and a proof forged for it$`), completeWithForgedA)
	c.Step(stepRE(`^the client completes the session correctly but with the verifier (0|1|N-1|N|N\+1)$`), completeWithVerifierOutOfRange)
	c.Step(stepRE(`^the client completes session "(\w+)" with (A = 0 and an m1 of 64 bytes|A = 0 and a forged proof|the verifier 1|a wrong passcode)$`), completeNamedWithDefects)
	c.Step(stepRE(`^the client completes session "(\w+)" correctly$`), completeNamed)
	c.Step(stepRE(`^the client completes session "(\w+)" with the passcode it started on$`), completeNamed)
	c.Step(stepRE(`^the client fails the authentication one time less than the store allows$`), failAuthenticationToLockButOne)
	c.Step(stepRE(`^the client sends (an? (?:registration|authentication|renewal) (?:start by (?:user id|external id)|completion)|a renewal start for an unknown user|a renewal start in an unknown store|an admin user creation|an admin user read|an admin policy read)$`), sendAsIdentity)
}

func readUser(ctx context.Context, form string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	_, err = s.send(ctx, http.MethodGet, s.paths().User(s.store, u.ref(form)), nil)
	return err
}

func provokeAnswer(ctx context.Context, kind string) error {
	return sc(ctx).provoke(ctx, kind)
}

func startUser(ctx context.Context, flow, form string) error {
	s := sc(ctx)
	_, err := s.startSession(ctx, api.Flow(flow), form, s.defaultPolicy(), emptyObject())
	return err
}

func startUnderThatPolicy(ctx context.Context, flow, form string) error {
	s := sc(ctx)
	if s.policy == "" {
		return s.fail(nil, "no policy was created")
	}
	_, err := s.startSession(ctx, api.Flow(flow), form, s.policy, emptyObject())
	return err
}

func startAuthentications(ctx context.Context, n int) error {
	s, st := sc(ctx), state[startsState](ctx)
	for range n {
		sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "an authentication start answered %d, want 200", sess.startEx.Status)
		}
		st.sessions = append(st.sessions, sess)
	}
	return nil
}

// proveWrongPasscode completes the current session with a proof of a wrong
// passcode.
func proveWrongPasscode(ctx context.Context) error {
	return completeCurrent(ctx, wrongProof())
}

func completeWithBody(ctx context.Context, body string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	b, err := s.templateBody(sess, body)
	if err != nil {
		return err
	}
	if sess.id == "" {
		return s.fail(sess.startEx, "the session cannot be completed: %v", sess.parseErr)
	}
	_, err = s.send(ctx, http.MethodPost, s.paths().Complete(sess.flow, s.store, sess.id), b)
	return err
}

func completeWithForgedA(ctx context.Context, which string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	sp, err := s.usable(sess)
	if err != nil {
		return err
	}
	vd, err := srpclient.Forged(sp.Params, sp, sess.pass, which)
	if err != nil {
		return s.fail(sess.startEx, "cannot forge the proof: %v", err)
	}
	_, err = s.complete(ctx, sess, withVerification(vd))
	return err
}

func completeWithVerifierOutOfRange(ctx context.Context, which string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	v, err := srpclient.OutOfRange(s.w.params, which)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	_, err = s.complete(ctx, sess, withVerifier(v))
	return err
}

func completeNamedWithDefects(ctx context.Context, name, defects string) error {
	s := sc(ctx)
	sess, ok := s.named[name]
	if !ok {
		return s.fail(nil, "no session %q was started", name)
	}
	s.cur = sess
	sp, err := s.usable(sess)
	if err != nil {
		return err
	}
	var opt completeOption
	switch defects {
	case "A = 0 and an m1 of 64 bytes":
		opt = withVerification(&api.SRPVerificationData{A: srp.EncodeInt(s.w.params.Pad(nil)), M1: srp.EncodeInt(bytesOf(0x7f, 64))})
	case "A = 0 and a forged proof":
		vd, err := srpclient.Forged(sp.Params, sp, sess.pass, "0")
		if err != nil {
			return s.fail(sess.startEx, "cannot forge the proof: %v", err)
		}
		opt = withVerification(vd)
	case "the verifier 1":
		opt = withVerifier(s.w.params.Pad([]byte{1}))
	case "a wrong passcode":
		opt = wrongProof()
	}
	_, err = s.complete(ctx, sess, opt)
	return err
}

// completeNamed completes the session a scenario started under a name correctly,
// and makes it the current one.
func completeNamed(ctx context.Context, name string) error {
	s := sc(ctx)
	sess, ok := s.named[name]
	if !ok {
		return s.fail(nil, "no session %q was started", name)
	}
	s.cur = sess
	_, err := s.complete(ctx, sess)
	return err
}

func failAuthenticationToLockButOne(ctx context.Context) error {
	s := sc(ctx)
	return s.failAuth(ctx, s.lock().MaxFailedAttempts-1)
}

func sendAsIdentity(ctx context.Context, what string) error {
	return sc(ctx).sendRequest(ctx, what)
}

// provoke sends a request that gets the named kind of answer from a conforming
// server, for the checks of every answer's form (ERR).
func (s *scenario) provoke(ctx context.Context, kind string) error {
	u, err := s.needUser()
	if err != nil {
		return err
	}
	pol := s.defaultPolicy()
	start := s.paths().Start(api.FlowRenewal, s.store, api.ByID(u.id), pol)
	switch kind {
	case "renewal start":
		_, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		return err
	case "renewal success":
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess)
		return err
	case "400":
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		if err != nil {
			return err
		}
		if sess.id == "" {
			return s.fail(sess.startEx, "the renewal start answered %d, want 200", sess.startEx.Status)
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Complete(api.FlowRenewal, s.store, sess.id), []byte(`{"srpRegistrationData":`))
		return err
	case "401":
		empty := ""
		s.auth = &empty
		_, err := s.send(ctx, http.MethodPost, start, emptyObject())
		return err
	case "403":
		switch {
		case s.w.tgt.Has(sut.NoPermissionToken):
			s.role = sut.RoleNone
		case s.w.tgt.Has(sut.OtherTenant):
			s.role = sut.RoleOtherTenant
		default:
			return notApplicable{reason: "the target has neither a no-permission nor an other-tenant token"}
		}
		_, err := s.send(ctx, http.MethodPost, start, emptyObject())
		return err
	case "404":
		_, err := s.send(ctx, http.MethodPost, s.paths().Start(api.FlowRenewal, s.store, api.ByID(unknownID()), pol), emptyObject())
		return err
	case "413":
		_, err := s.send(ctx, http.MethodPost, start, oversized(65537))
		return err
	}
	return s.fail(nil, "unknown answer kind %q", kind)
}

// oversized returns a well-formed JSON object of n bytes (a body over 64 KiB must
// be refused for its size, not its content).
func oversized(n int) []byte {
	const head, tail = `{"srpRegistrationData":{"verifier":"`, `"}}`
	pad := n - len(head) - len(tail)
	return []byte(head + strings.Repeat("A", max(pad, 0)) + tail)
}

// passcodeRoutes are the nine passcode endpoints of SPEC section 4 with the prefix
// and parameter names left out.
func passcodeRoutes() []string {
	var out []string
	for _, f := range api.Flows() {
		seg := f.Segment()
		out = append(out,
			"/stores/{}/users/{}/passcodes/"+seg+"/{}",
			"/stores/{}/users/{}/passcodes/"+seg+"/{}/ext",
			"/stores/{}/passcodes/"+seg+"/sessions/{}")
	}
	return out
}

// normalizeRoute replaces every {parameter} of an OpenAPI path by {}.
func normalizeRoute(p string) string {
	return regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(p, "{}")
}

// mustJSON encodes a value the harness built itself.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("steps: encoding %T: %v", v, err))
	}
	return b
}

// grindTries is how many secrets a proof walks through to steer one byte:
// P(failure) = (255/256)^4096 < 1e-7.
const grindTries = 4096

// completeCorrectly returns the step that completes the current session (of flow,
// or of any flow when flow is "") correctly.
func completeCorrectly(flow api.Flow) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needFlow(flow)
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess)
		return err
	}
}

// needFlow returns the current session, which must be of flow (any when empty).
func (s *scenario) needFlow(flow api.Flow) (*session, error) {
	sess, err := s.needSession()
	if err != nil {
		return nil, err
	}
	if flow != "" && sess.flow != flow {
		return nil, s.fail(nil, "the current session is a %s, not a %s", sess.flow, flow)
	}
	return sess, nil
}

// templateBody replaces the placeholders of a feature's body: $A, $M1 and $V by a
// well-formed a, m1 and verifier for sess, $M1_64 by 64 bytes, $INVALID_UTF8 by a
// whole body with bytes that are not UTF-8.
func (s *scenario) templateBody(sess *session, body string) ([]byte, error) {
	if body == "$INVALID_UTF8" {
		return []byte("{\"srpRegistrationData\":{\"verifier\":\"\xff\xfe\xfd\"}}"), nil
	}
	if strings.Contains(body, "$A") || strings.Contains(body, "$M1") || strings.Contains(body, "$V") {
		b, err := s.body(sess)
		if err != nil {
			return nil, err
		}
		var req api.CompleteRequest
		if err := json.Unmarshal(b, &req); err != nil {
			return nil, err
		}
		pairs := []string{"$M1_64", base64.StdEncoding.EncodeToString(bytesOf(0x7f, 64))}
		if req.SRPVerificationData != nil {
			pairs = append(pairs, "$A", req.SRPVerificationData.A, "$M1", req.SRPVerificationData.M1)
		} else {
			pairs = append(pairs, "$A", srp.EncodeInt(s.w.params.Pad([]byte{2})), "$M1", srp.EncodeInt(bytesOf(1, 32)))
		}
		if req.SRPRegistrationData != nil {
			pairs = append(pairs, "$V", req.SRPRegistrationData.Verifier)
		}
		body = strings.NewReplacer(pairs...).Replace(body)
	}
	return []byte(body), nil
}

// bytesOf returns n bytes of value b.
func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// unknownID returns a well-formed 26-character ID that names nothing.
func unknownID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.TrimRight(base32.StdEncoding.EncodeToString(b[:]), "=")
}

// wrongPasscode returns a passcode no scenario registers.
func wrongPasscode() string { return "Wrong-" + randomHex(8) + "-9!" }

// completeBatch sends the completions of sessions at once, one body each, and
// returns the answers in order.
func (s *scenario) completeBatch(ctx context.Context, sessions []*session, bodies [][]byte) ([]*api.Exchange, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	answers := make([]*api.Exchange, len(sessions))
	errs := make([]error, len(sessions))
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range sessions {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			answers[i], errs[i] = c.Do(ctx, http.MethodPost, s.paths().Complete(sessions[i].flow, s.store, sessions[i].id), bodies[i], nil)
		}(i)
	}
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, s.fail(answers[i], "no answer from the server: %v", err)
		}
	}
	s.answers = answers
	return answers, nil
}

// steer draws passcodes until f accepts the verifier they give under sp.
func steerVerifier(w *Suite, sp *api.StartParams, r *passcode.Requirements, f func(v []byte) bool, tries int) (string, []byte, error) {
	for range tries {
		p, err := w.generate(*r)
		if err != nil {
			return "", nil, err
		}
		v := sp.Params.Verifier(sp.Identity, []byte(passcode.Normalize(p)), sp.Salt)
		if f(v) {
			return p, v, nil
		}
	}
	return "", nil, fmt.Errorf("no passcode in %d tries gave the wanted verifier", tries)
}

// otherCase returns name in lower case, or in upper case when that is name itself
// (a 26-character ID is upper case), and whether no case changes it at all.
func otherCase(name string) (string, bool) {
	v := strings.ToLower(name)
	if v == name {
		v = strings.ToUpper(name)
	}
	return v, v == name
}

// failAuth sends n authentications with a wrong passcode; each must be refused
// with 400 INVALID_PROOF (a lock reached early shows as USER_LOCKED and fails).
func (s *scenario) failAuth(ctx context.Context, n int) error {
	for i := range n {
		sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "authentication start %d of %d answered %d, want 200 (the user is locked too early?)", i+1, n, sess.startEx.Status)
		}
		ex, err := s.complete(ctx, sess, wrongProof())
		if err != nil {
			return err
		}
		if ex.Status != http.StatusBadRequest || errorCode(ex) == api.CodeUserLocked {
			return s.fail(ex, "wrong proof %d of %d answered %d %s, want 400 INVALID_PROOF", i+1, n, ex.Status, errorCode(ex))
		}
	}
	return nil
}

// sessionLifetimePasses waits out the lifetime of the scenario's current session
// (SES-004). The target declares a short lifetime for one store
// (sut.SessionExpiryStore, the fixtures' "ephemeral" on the reference server);
// a session started in another store is started again there, the same flow by the
// same form and policy, for a user of that store made through the admin API, and
// the scenario goes on in that store. The wait, from now, is the lifetime plus
// waitMargin of the start: the server started the session before its answer
// arrived, so the lifetime has passed by the margin when the next request leaves.
func (s *scenario) sessionLifetimePasses(ctx context.Context) error {
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	t := s.w.tgt
	if st := t.SessionExpiryStore(); st != s.store {
		if sess, err = s.restartIn(ctx, sess, st); err != nil {
			return err
		}
		if sess.parseErr != nil {
			return s.fail(sess.startEx, "setup: the %s start in store %s, whose sessions live %v, failed: %v",
				sess.flow, st, time.Duration(t.SessionTTL), sess.parseErr)
		}
	}
	return sleep(ctx, time.Duration(t.SessionTTL)+waitMargin(sess.startEx, s.last))
}

// restartIn starts old's flow again in storeName, for a new user of that store in
// the state old's user was in (a registered passcode unless old is a registration),
// and makes that store, user and session the scenario's.
func (s *scenario) restartIn(ctx context.Context, old *session, storeName string) (*session, error) {
	t := s.w.tgt
	if !t.Has(sut.Admin) {
		return nil, notApplicable{reason: fmt.Sprintf("the short session lifetime is declared for store %s (sessionTTLStore), "+
			"and without the admin API no user of that store can be made", storeName)}
	}
	u, err := s.createUser(ctx, t.Tenant, storeName, freshExternalID(), "")
	if err != nil {
		return nil, err
	}
	if old.flow != api.FlowRegistration {
		role := old.user.policyRole
		if role == "" {
			role = sut.PolicyStandard
		}
		if err := s.register(ctx, u, role, ""); err != nil {
			return nil, err
		}
	}
	s.user, s.store = u, storeName
	return s.startSession(ctx, old.flow, old.form, old.policy, emptyObject())
}
