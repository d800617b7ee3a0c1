package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
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

// lockoutSteps registers the steps of features/lockout.feature.
func lockoutSteps(c *godog.ScenarioContext) {
	newState[verdictState](c)
	c.Step(stepRE(`^a user with a registered passcode in the store with a short lock$`), givenShortLockUser)
	c.Step(stepRE(`^the client locks the user with wrong proofs$`), lockUser)
	c.Step(stepRE(`^the user is still locked$`), expectStillLocked)
	c.Step(stepRE(`^the lock's duration passes$`), waitLockOut)
	c.Step(stepRE(`^the user's status is (TEMP_LOCKED|LOCKED|ACTIVE|DISABLED)$`), userStatus)
	c.Step(stepRE(`^the client fails the authentication as often as the store allows$`), failAuthenticationToLock)
	c.Step(stepRE(`^the client authenticates the user with the passcode$`), authenticateUser)
	c.Step(stepRE(`^the client sends A = 0 in as many renewals as the store allows$`), sendAZeroInAllowedRenewals)
	c.Step(stepRE(`^a user created with the status (LOCKED|TEMP_LOCKED|DISABLED)$`), userCreatedStatus)
	c.Step(stepRE(`^a pre-provisioned (locked|disabled) user$`), preProvisionedUser)
	c.Step(stepRE(`^the client renews with a wrong proof and the current passcode as the new one, as often as the store allows$`), renewWrongAndHistory)
	c.Step(stepRE(`^the user has failed (no|all but one of the allowed) authentications$`), failAuthentications)
	c.Step(stepRE(`^the client starts a burst of (authentication|renewal) sessions, three times as many as the store allows failures and at least 16$`), startBurst)
	c.Step(stepRE(`^the client completes the burst at once with wrong proofs$`), completeBurstAllWrong)
	c.Step(stepRE(`^the client completes the burst at once, one session with the right proof and the others with wrong proofs$`), completeBurstOneRight)
	c.Step(stepRE(`^no more answers of the burst are 400 INVALID_PROOF than the store still allowed failures, and the others are 400 USER_LOCKED$`), burstRefusalsWithinAllowance)
	c.Step(stepRE(`^the right proof is answered 200 or exactly as the wrong proofs refused for the lock are$`), judgeRightProof)
	c.Step(stepRE(`^the answers to sessions "(\w+)" and "(\w+)" are the same$`), sameAnswers)
}

func userStatus(ctx context.Context, status string) error {
	s := sc(ctx)
	u, ex, err := s.answerUser()
	if err != nil {
		return err
	}
	if string(u.Status) != status {
		return s.fail(ex, "the user's status is %q, want %s", u.Status, status)
	}
	return nil
}

func failAuthenticationToLock(ctx context.Context) error {
	s := sc(ctx)
	return s.failAuth(ctx, s.lock().MaxFailedAttempts)
}

func authenticateUser(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	return s.expectAuth(ctx, u, u.pass, "the registered passcode")
}

func sendAZeroInAllowedRenewals(ctx context.Context) error {
	s := sc(ctx)
	for i := range s.lock().MaxFailedAttempts {
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		sp, err := s.usable(sess)
		if err != nil {
			return err
		}
		vd, err := srpclient.Forged(sp.Params, sp, sess.pass, "0")
		if err != nil {
			return s.fail(sess.startEx, "cannot forge the proof: %v", err)
		}
		ex, err := s.complete(ctx, sess, withVerification(vd))
		if err != nil {
			return err
		}
		if ex.Status != http.StatusBadRequest {
			return s.fail(ex, "completion %d with A = 0 answered %d, want 400 INVALID_PUBLIC_VALUE", i+1, ex.Status)
		}
	}
	return nil
}

func userCreatedStatus(ctx context.Context, status string) error {
	s := sc(ctx)
	u, err := s.createUser(ctx, s.w.tgt.Tenant, s.w.tgt.Store, freshExternalID(), api.UserStatus(status))
	if err != nil {
		return err
	}
	s.user = u
	return nil
}

func preProvisionedUser(ctx context.Context, kind string) error {
	s := sc(ctx)
	pu, ok := s.w.pool.take(kind)
	if !ok {
		return notApplicable{reason: fmt.Sprintf("the target lists no %s user with a passcode (users.%s)", kind, kind)}
	}
	s.user = &user{id: pu.ID, ext: pu.ExternalID, tenant: s.w.tgt.Tenant, store: s.w.tgt.Store, pass: pu.Passcode, pooled: true}
	return nil
}

// renewWrongAndHistory sends maxFailedAttempts renewals, each with a wrong proof and
// the current passcode as the new one: INVALID_PROOF, since the proof is checked
// before history (SPEC section 2), so each counts toward the lock.
func renewWrongAndHistory(ctx context.Context) error {
	s := sc(ctx)
	n := s.lock().MaxFailedAttempts
	for i := range n {
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "renewal start %d of %d answered %d, want 200 (the user is locked too early?)", i+1, n, sess.startEx.Status)
		}
		ex, err := s.complete(ctx, sess, wrongProof(), toPasscode(sess.user.pass))
		if err != nil {
			return err
		}
		if ex.Status != http.StatusBadRequest {
			return s.fail(ex, "renewal %d of %d (wrong proof, new passcode in the history) answered %d, want 400 INVALID_PROOF", i+1, n, ex.Status)
		}
		s.softCode(ex, api.CodeInvalidProof, fmt.Sprintf("renewal %d of %d (wrong proof, new passcode in the history): the proof is checked before history", i+1, n))
	}
	state[verdictState](ctx).failed += n
	return nil
}

// failAuthentications uses up none or all but one of the failures the store allows.
func failAuthentications(ctx context.Context, which string) error {
	s := sc(ctx)
	n := 0
	if which != "no" {
		n = s.lock().MaxFailedAttempts - 1
	}
	if err := s.failAuth(ctx, n); err != nil {
		return err
	}
	state[verdictState](ctx).failed += n
	return nil
}

// startBurst starts the sessions of a burst one after another, all before any
// completes.
func startBurst(ctx context.Context, flow string) error {
	s := sc(ctx)
	k := max(3*s.lock().MaxFailedAttempts, burstMin)
	b := &burst{flow: api.Flow(flow), right: -1}
	for i := range k {
		sess, err := s.startSession(ctx, b.flow, formID, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return s.fail(sess.startEx, "%s start %d of %d answered %d, want 200", flow, i+1, k, sess.startEx.Status)
		}
		b.sessions = append(b.sessions, sess)
	}
	state[verdictState](ctx).burst = b
	return nil
}

func completeBurstAllWrong(ctx context.Context) error {
	return sc(ctx).completeBurst(ctx, state[verdictState](ctx).burst, false)
}

func completeBurstOneRight(ctx context.Context) error {
	return sc(ctx).completeBurst(ctx, state[verdictState](ctx).burst, true)
}

func burstRefusalsWithinAllowance(ctx context.Context) error {
	v := state[verdictState](ctx)
	return sc(ctx).judgeBurst(v.burst, v.allowance(sc(ctx)))
}

// judgeRightProof checks the right proof of a burst: accepted with an m2 that
// verifies, or refused exactly like the wrong proofs refused for the lock, never
// with an answer of its own (the lock is no passcode oracle); then the wrong ones.
func judgeRightProof(ctx context.Context) error {
	s, v := sc(ctx), state[verdictState](ctx)
	b := v.burst
	if b == nil || b.right < 0 || b.answers == nil {
		return s.fail(nil, "no burst with a right proof was sent")
	}
	ex, sess := b.answers[b.right], b.sessions[b.right]
	s.cur, s.last = sess, ex
	if ex.Status == http.StatusOK {
		if err := s.expectM2(); err != nil {
			return err
		}
		return s.judgeBurst(b, v.allowance(s))
	}
	var locked []*api.Exchange
	for i, w := range b.answers {
		if i != b.right && w.Status == http.StatusBadRequest && errorCode(w) != api.CodeInvalidProof {
			locked = append(locked, w)
		}
	}
	if len(locked) == 0 {
		return s.fail(ex, "the right proof was answered %s while every wrong proof of the burst was answered INVALID_PROOF: a completion refused for the lock gets the same answer whether its proof was right or wrong",
			statusCode(ex.Status, errorCode(ex)))
	}
	if why := differs(ex, locked); why != "" {
		return s.fail(ex, "the right proof was refused differently from the %d wrong proofs refused for the lock (%s): the lock is never a passcode oracle", len(locked), why)
	}
	return s.judgeBurst(b, v.allowance(s))
}

// sameAnswers checks that two named sessions' completions got the same answer.
func sameAnswers(ctx context.Context, a, b string) error {
	s := sc(ctx)
	var exs [2]*api.Exchange
	for i, name := range []string{a, b} {
		sess, ok := s.named[name]
		if !ok || sess.completeEx == nil {
			return s.fail(nil, "session %q was not completed", name)
		}
		exs[i] = sess.completeEx
	}
	if why := differs(exs[0], exs[1:]); why != "" {
		return s.fail(exs[1], "session %q and session %q were refused differently (%s): a completion refused for the lock gets the same answer whether its proof was right or wrong", a, b, why)
	}
	return nil
}

// The steps here make MUST checks of what only shows in what a refused completion
// counts toward the lock and what it moves: the full range rule of public values and
// verifiers (SPEC section 6: A + N is not A), the order of completion checks (section
// 2), lockout under concurrency (section 9), and the effect of a renewal, refused or
// not. Their state is a verdictState in the scenario's context, beside the shared
// scenario.

// verdictState is what these steps keep between steps of one scenario.
type verdictState struct {
	// failed counts the wrong proofs the steps here sent since the user's last
	// success: the failures the store has counted before a burst.
	failed int
	burst  *burst
}

// burst is a set of sessions of one user, started one after another and completed
// all at once (LCK-010, LCK-011).
type burst struct {
	flow     api.Flow
	sessions []*session
	// right is the index of the session completed with the right proof, -1 when
	// every proof is wrong.
	right   int
	answers []*api.Exchange
}

// burstMin is the least number of sessions in a burst: enough goroutines that a
// server which does not serialise one user's completions shows it.
const burstMin = 16

// verifierBelowLimit draws a passcode the user never had whose verifier v under the
// session's i and salt has v + N below 2^(8 len(N)), so that v + N is sent in
// len(N) bytes like an ordinary verifier.
func (s *scenario) verifierBelowLimit(sess *session) (string, []byte, error) {
	sp, err := s.usable(sess)
	if err != nil {
		return "", nil, err
	}
	reqs, err := s.requirementsOf(sess)
	if err != nil {
		return "", nil, err
	}
	for range 64 {
		pass, err := s.freshPasscode(sess.user, reqs)
		if err != nil {
			return "", nil, err
		}
		v := sp.Params.Verifier(sp.Identity, []byte(passcode.Normalize(pass)), sp.Salt)
		if srpclient.FitsPlusN(sp.Params, v) {
			return pass, v, nil
		}
	}
	return "", nil, s.fail(sess.startEx, "no passcode in 64 draws has a verifier v with v + N below 2^(8 len(N))")
}

// requirementsOf returns the requirements a new passcode of sess must meet: the
// start answer's, else the target's for the user's policy.
func (s *scenario) requirementsOf(sess *session) (passcode.Requirements, error) {
	if sess.start != nil && sess.start.PasscodeRequirements != nil {
		return *sess.start.PasscodeRequirements, nil
	}
	pol, err := s.w.policy(policyRoleOf(sess, s))
	if err != nil {
		return passcode.Requirements{}, s.fail(nil, "%v", err)
	}
	return *pol.Requirements, nil
}

// notBase64 is the standard encoding of b with a '*' in the middle: no base64
// alphabet has it, so a receiver that skips what it cannot decode (as MIME decoders
// do) is the only one that reads the verifier.
func notBase64(b []byte) string {
	e := srp.EncodeInt(b)
	return e[:len(e)/2] + "*" + e[len(e)/2:]
}

// softCode checks an error code at the SHOULD level of SPEC section 10.
func (s *scenario) softCode(ex *api.Exchange, want api.Code, what string) {
	if got := errorCode(ex); got != want {
		s.soft(ex, "%s: the error code is %q, want %q", what, got, want)
		return
	}
	s.rec.codeChecked()
}

// allowance is the number of wrong proofs the store still answers INVALID_PROOF.
func (v *verdictState) allowance(s *scenario) int {
	return max(s.lock().MaxFailedAttempts-v.failed, 0)
}

// completeBurst computes every completion body first (wrong proofs, and with right
// one in the middle with the right proof), then sends them all at once.
func (s *scenario) completeBurst(ctx context.Context, b *burst, right bool) error {
	if b == nil {
		return s.fail(nil, "no burst of sessions was started")
	}
	if right {
		b.right = len(b.sessions) / 2
	}
	bodies := make([][]byte, len(b.sessions))
	for i, sess := range b.sessions {
		opts := []completeOption{wrongProof()}
		if i == b.right {
			opts = nil
		}
		body, err := s.body(sess, opts...)
		if err != nil {
			return err
		}
		bodies[i] = body
	}
	answers, err := s.sendAtOnce(ctx, b.sessions, bodies)
	if err != nil {
		return err
	}
	b.answers = answers
	for i, ex := range answers {
		b.sessions[i].completeEx = ex
	}
	if b.right >= 0 && answers[b.right].Status == http.StatusOK {
		s.accepted(b.sessions[b.right])
	}
	return nil
}

// sendAtOnce sends the completions of sessions from one goroutine each. Every
// goroutine waits at a barrier until all of them are ready, so the server gets
// the requests as close together as the network allows.
func (s *scenario) sendAtOnce(ctx context.Context, sessions []*session, bodies [][]byte) ([]*api.Exchange, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	answers := make([]*api.Exchange, len(sessions))
	errs := make([]error, len(sessions))
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i, sess := range sessions {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			path := s.paths().Complete(sess.flow, s.store, sess.id)
			ready.Done()
			<-gate
			answers[i], errs[i] = c.Do(ctx, http.MethodPost, path, bodies[i], nil)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, s.fail(answers[i], "no answer from the server: %v", err)
		}
	}
	s.answers = answers
	s.last = answers[0]
	return answers, nil
}

// rightWon reports whether the burst's right proof was accepted.
func (b *burst) rightWon() bool {
	return b.right >= 0 && b.answers[b.right].Status == http.StatusOK
}

// judgeBurst checks the wrong proofs of a burst: SPEC section 9 counts one user's
// completions as if they ran one at a time, so at most allowance of them are
// evaluated (INVALID_PROOF), and the others are refused for the lock. A right proof
// that won resets the count, so then up to allowance - 1 + maxFailedAttempts are.
// After a won renewal the others are stale instead.
func (s *scenario) judgeBurst(b *burst, allowance int) error {
	if b == nil || b.answers == nil {
		return s.fail(nil, "no burst of completions was sent")
	}
	bound := allowance
	if b.rightWon() {
		bound = allowance - 1 + s.lock().MaxFailedAttempts
	}
	var evaluated []*api.Exchange
	codesOK := true
	for i, ex := range b.answers {
		if i == b.right {
			continue
		}
		if ex.Status != http.StatusBadRequest {
			return s.fail(ex, "a wrong proof of %d concurrent completions answered %s, want 400 INVALID_PROOF or 400 USER_LOCKED", len(b.answers), statusCode(ex.Status, errorCode(ex)))
		}
		switch code := errorCode(ex); {
		case code == api.CodeInvalidProof:
			evaluated = append(evaluated, ex)
		case code == api.CodeUserLocked, code == api.CodeStaleSession && b.flow == api.FlowRenewal && b.rightWon():
		default:
			codesOK = false
			s.soft(ex, "a wrong proof of the burst answered code %q, want INVALID_PROOF or USER_LOCKED", code)
		}
	}
	if len(evaluated) > bound {
		return s.fail(evaluated[bound], "%d of %d concurrent %s completions with wrong proofs answered INVALID_PROOF; the store allowed %d more failures, so at most %d may: the rest must be USER_LOCKED without their proof being evaluated",
			len(evaluated), len(b.answers), b.flow, allowance, bound)
	}
	if codesOK {
		s.rec.codeChecked()
	}
	return nil
}

// differs says how ex differs from the answers of others, "" when it does not: in
// status, media type, the shape of the body with its codes, or the message, when
// others all have the same one.
func differs(ex *api.Exchange, others []*api.Exchange) string {
	sig := answerSignature(ex)
	for _, o := range others {
		if got := answerSignature(o); got != sig {
			return fmt.Sprintf("%s against %s", sig, got)
		}
	}
	msg := errorMessage(others[0])
	for _, o := range others[1:] {
		if errorMessage(o) != msg {
			return "" // the server's message varies anyway: not a signal
		}
	}
	if m := errorMessage(ex); m != msg {
		return fmt.Sprintf("message %q against %q", m, msg)
	}
	return ""
}

// answerSignature is what tells two answers apart besides per-request values: the
// status, the media type, and the JSON shape of the body, where every "code"
// member keeps its value and every other value only its type.
func answerSignature(ex *api.Exchange) string {
	mt, _, _ := mime.ParseMediaType(ex.ResponseHeader.Get("Content-Type"))
	var body any
	if err := json.Unmarshal(ex.ResponseBody, &body); err != nil {
		return fmt.Sprintf("%d %s (not JSON)", ex.Status, mt)
	}
	return fmt.Sprintf("%d %s %s", ex.Status, mt, jsonShape(body, ""))
}

// jsonShape renders v with its structure and the values of "code" members only.
func jsonShape(v any, key string) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + jsonShape(t[k], k)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = jsonShape(e, "")
		}
		return "[" + strings.Join(parts, ",") + "]"
	case string:
		if key == "code" {
			return fmt.Sprintf("%q", t)
		}
		return "string"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// errorMessage returns the message of an error answer, or "".
func errorMessage(ex *api.Exchange) string {
	e, err := api.DecodeError(ex.ResponseBody)
	if err != nil {
		return ""
	}
	return e.Message
}

// The lock of SPEC.md section 9 as a store configures it: a user of a store whose
// lock differs from the target's main store (sut.ShortLockStore, the reference
// fixtures' "brief": 2 failures, 4 s) locks after that store's maxFailedAttempts,
// and is TEMP_LOCKED only until its lockDurationSeconds have passed
// (features/lockout.feature, LCK-014 and LCK-015).

// lockSpan is when a lock began: not before from (the first of the wrong proofs that
// locked the user was sent after it) and not after to (the last one's answer).
type lockSpan struct{ from, to time.Time }

type lockSpanKey struct{}

// lock is the lock configuration of the scenario's store, as the target declares
// it: ShortLock in ShortLockStore, Lock elsewhere.
func (s *scenario) lock() sut.Lock {
	if t := s.w.tgt; t.ShortLockStore != "" && s.store == t.ShortLockStore {
		return t.ShortLock
	}
	return s.w.tgt.Lock
}

// givenShortLockUser makes a user of the short-lock store with a passcode, through
// the admin API, and moves the scenario to that store.
func givenShortLockUser(ctx context.Context) error {
	s := sc(ctx)
	t := s.w.tgt
	if !t.Has(sut.LockExpiry) {
		return notApplicable{reason: "the target names no store with a lock of at most " + sut.MaxLockToWait.String() + " (shortLockStore, shortLock)", optional: true}
	}
	c, err := s.adminClient(ctx, t.Tenant)
	if err != nil {
		return err
	}
	au, ex, err := c.CreateUser(ctx, t.ShortLockStore, api.CreateUserRequest{ExternalID: freshExternalID()})
	if api.ErrorCode(err) == api.CodeStoreNotFound {
		// A deployment seeded from older reference fixtures lacks the store; it
		// need not have one (SPEC.md section 3 does not ask for it).
		return notApplicable{reason: fmt.Sprintf("the server has no store %s, the target's shortLockStore", t.ShortLockStore), optional: true}
	}
	if err != nil {
		return s.fail(ex, "setup: creating a user of store %s through the admin API failed: %v", t.ShortLockStore, err)
	}
	u := &user{id: au.ID, ext: au.ExternalID, tenant: t.Tenant, store: t.ShortLockStore}
	if err := s.register(ctx, u, sut.PolicyStandard, ""); err != nil {
		return err
	}
	u.policyRole = sut.PolicyStandard
	s.user, s.store = u, t.ShortLockStore
	return nil
}

// lockUser fails the user's authentication as often as its store allows and
// remembers when the lock began.
func lockUser(ctx context.Context) (context.Context, error) {
	s := sc(ctx)
	from := time.Now()
	if err := s.failAuth(ctx, s.lock().MaxFailedAttempts); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, lockSpanKey{}, lockSpan{from: from, to: time.Now()}), nil
}

func lockSpanOf(ctx context.Context) (lockSpan, error) {
	if sp, ok := ctx.Value(lockSpanKey{}).(lockSpan); ok {
		return sp, nil
	}
	return lockSpan{}, sc(ctx).fail(nil, "the scenario has not locked the user (the client locks the user with wrong proofs)")
}

// expectStillLocked checks that an authentication start made within the lock's
// duration is USER_LOCKED. An answer that arrives after the earliest moment the
// lock may have ended proves nothing either way: the check then did not run.
func expectStillLocked(ctx context.Context) error {
	s := sc(ctx)
	span, err := lockSpanOf(ctx)
	if err != nil {
		return err
	}
	sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	ex := sess.startEx
	if ex.Status == http.StatusBadRequest && errorCode(ex) == api.CodeUserLocked {
		return nil
	}
	d := time.Duration(s.lock().LockDurationSeconds) * time.Second
	if elapsed := time.Since(span.from); elapsed >= d {
		return notApplicable{reason: fmt.Sprintf("the authentication start after the lock was answered %v after the first wrong proof was sent, "+
			"no sooner than the store's lock of %v may have ended: the machine is too slow for this check", elapsed.Round(time.Millisecond), d)}
	}
	return s.fail(ex, "an authentication start %v after the first of %d wrong proofs answered %s, want 400 USER_LOCKED: the store %s locks for %v",
		time.Since(span.from).Round(time.Millisecond), s.lock().MaxFailedAttempts, statusCode(ex.Status, errorCode(ex)), s.store, d)
}

// waitLockOut waits until the lock has ended for sure: its duration after the
// lock's latest possible start, and waitMargin more, so that the next request
// reaches the server after the end.
func waitLockOut(ctx context.Context) error {
	s := sc(ctx)
	span, err := lockSpanOf(ctx)
	if err != nil {
		return err
	}
	end := span.to.Add(time.Duration(s.lock().LockDurationSeconds)*time.Second + waitMargin(s.last))
	return sleep(ctx, time.Until(end))
}
