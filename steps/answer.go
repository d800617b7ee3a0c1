package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/sut"
)

// answerSteps registers the Then steps many features share: the status and code of
// the answer, its shape, and which passcodes authenticate afterwards.
func answerSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the answer is a user object with a 26-character id, the external id, status ACTIVE and a creation date$`), answerIsNewUserObject)
	c.Step(stepRE(`^the answer is the user's object$`), answerIsUsersObject)
	c.Step(stepRE(`^the answer is (\d{3})$`), answerIsStatus)
	c.Step(stepRE(`^the answer is (\d{3}) ([A-Z_]+)$`), answerIsStatusCode)
	c.Step(stepRE(`^the start answer has the (registration|authentication|renewal) shape$`), startAnswerShape)
	c.Step(stepRE(`^the answer's m2 verifies$`), answerM2Verifies)
	c.Step(stepRE(`^the answer holds no m2$`), answerHoldsNoM2)
	c.Step(stepRE(`^the answer names the user$`), answerNamesUser)
	c.Step(stepRE(`^the new passcode authenticates$`), newPasscodeAuthenticates)
	c.Step(stepRE(`^the old passcode no longer authenticates$`), oldPasscodeNoLongerAuthenticates)
	c.Step(stepRE(`^the passcode still authenticates$`), passcodeStillAuthenticates)
	c.Step(stepRE(`^the passcode of session "(\w+)" authenticates$`), namedSessionPasscodeAuthenticates)
	c.Step(stepRE(`^the identity i and the salt are those of the user's credential$`), credentialIsUsers)
	c.Step(stepRE(`^the answer's requirements are those of the "(standard|pin6|nohistory)" policy$`), answerRequirementsOfPolicy)
	c.Step(stepRE(`^the answer's requirements are exactly (\{.*\})$`), answerRequirementsExactly)
	c.Step(stepRE(`^the answer has the section 10 error body$`), answerHasErrorBody)
	c.Step(stepRE(`^the answer's Content-Type is application/json$`), answerIsJSON)
}

func answerIsNewUserObject(ctx context.Context) error {
	s := sc(ctx)
	u, ex, err := s.answerUser()
	if err != nil {
		return err
	}
	if !api.ValidID(u.ID) || u.ExternalID != s.user.ext || u.Status != api.StatusActive || u.DateCreated.IsZero() {
		return s.fail(ex, "the user object is {id %q, externalId %q, status %q, dateCreated %v}, want a 26-character id, externalId %q, ACTIVE and a date",
			u.ID, u.ExternalID, u.Status, u.DateCreated, s.user.ext)
	}
	return nil
}

func answerIsUsersObject(ctx context.Context) error {
	s := sc(ctx)
	u, ex, err := s.answerUser()
	if err != nil {
		return err
	}
	if u.ID != s.user.id || u.ExternalID != s.user.ext || !u.Status.Valid() || u.DateCreated.IsZero() {
		return s.fail(ex, "the user object is {id %q, externalId %q, status %q}, want {id %q, externalId %q} with a status and a date",
			u.ID, u.ExternalID, u.Status, s.user.id, s.user.ext)
	}
	return nil
}

func answerIsStatus(ctx context.Context, status int) error {
	return sc(ctx).expectStatus(ctx, status, "")
}

func answerIsStatusCode(ctx context.Context, status int, code string) error {
	return sc(ctx).expectStatus(ctx, status, api.Code(code))
}

func startAnswerShape(ctx context.Context, flow string) error {
	return sc(ctx).expectStartShape(api.Flow(flow))
}

func answerM2Verifies(ctx context.Context) error {
	return sc(ctx).expectM2()
}

func answerHoldsNoM2(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	var m map[string]any
	_ = json.Unmarshal(ex.ResponseBody, &m)
	if _, ok := m["algorithmInfo"]; ok || bytes.Contains(ex.ResponseBody, []byte(`"m2"`)) {
		return s.fail(ex, "the answer to a refused proof carries algorithmInfo or m2: nothing derived from S may leave the server unless M1 is correct")
	}
	return nil
}

func answerNamesUser(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	cr, err := completeResponse(ex)
	if err != nil {
		return s.fail(ex, "%v", err)
	}
	u := s.user
	if cr.User.ID != u.id || cr.User.ExternalID != u.ext {
		return s.fail(ex, "the answer's user is {id %q, externalId %q}, want {id %q, externalId %q}", cr.User.ID, cr.User.ExternalID, u.id, u.ext)
	}
	if cr.User.Status != api.StatusActive || cr.User.DateCreated.IsZero() {
		return s.fail(ex, "the answer's user has status %q and dateCreated %v, want ACTIVE and a date", cr.User.Status, cr.User.DateCreated)
	}
	return nil
}

func newPasscodeAuthenticates(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.newPass == "" {
		return s.fail(nil, "the session sent no new passcode")
	}
	return s.expectAuth(ctx, sess.user, sess.newPass, "the new passcode")
}

func oldPasscodeNoLongerAuthenticates(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	return s.expectNoAuth(ctx, sess.user, sess.pass, "the old passcode")
}

func passcodeStillAuthenticates(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	return s.expectAuth(ctx, u, u.pass, "the current passcode")
}

func namedSessionPasscodeAuthenticates(ctx context.Context, name string) error {
	s := sc(ctx)
	sess, ok := s.named[name]
	if !ok || sess.newPass == "" {
		return s.fail(nil, "session %q sent no new passcode", name)
	}
	return s.expectAuth(ctx, sess.user, sess.newPass, fmt.Sprintf("the passcode of session %q", name))
}

func credentialIsUsers(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	sp, err := s.usable(sess)
	if err != nil {
		return err
	}
	want := sess.user.cred
	if want == nil {
		return s.fail(nil, "the harness does not know the credential's i and salt")
	}
	if i := sess.start.AlgorithmInfo.Parameters.I; i != want.identity || !bytes.Equal(sp.Salt, want.salt) {
		return s.fail(sess.startEx, "i %q and salt %s, want the credential's i %q and salt %s: i and the salt are fixed for the life of the credential",
			i, srp.EncodeSalt(sp.Salt), want.identity, srp.EncodeSalt(want.salt))
	}
	return nil
}

func answerRequirementsOfPolicy(ctx context.Context, role string) error {
	s := sc(ctx)
	pol, err := s.w.policy(role)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	return s.expectRequirements(*pol.Requirements, fmt.Sprintf("the %q policy (%s) as the target defines it", pol.Name, role))
}

func answerRequirementsExactly(ctx context.Context, raw string) error {
	s := sc(ctx)
	want, err := parseRequirements(raw)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	return s.expectRequirements(want, "the policy as created")
}

func answerHasErrorBody(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	if err := api.ValidateErrorBody(ex.ResponseBody); err != nil {
		return s.fail(ex, "%v", err)
	}
	return nil
}

func answerIsJSON(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	ct := ex.ResponseHeader.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return s.fail(ex, "Content-Type is %q, want application/json", ct)
	}
	return nil
}

// internalDetail matches what has no place in a message for people: stack traces,
// Go and Java error text, SQL, file paths.
func internalDetail() *regexp.Regexp {
	return regexp.MustCompile(`(?i)goroutine \d|panic:|runtime error|nil pointer|\.go:\d+|\bsql\b|sqlite|select .* from|insert into|exception|traceback|stack trace|\bat [a-z0-9_.$]+\(|/home/|/usr/|/src/|0x[0-9a-f]{6,}`)
}

// expectStatus checks the answer's status (the scenario's level) and, when code is
// given, its error code (the SHOULD-level sub-check of SPEC section 10).
func (s *scenario) expectStatus(ctx context.Context, status int, code api.Code) error {
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	if ex.Status != status {
		why := fmt.Sprintf("the answer is %s, want %s", statusCode(ex.Status, errorCode(ex)), statusCode(status, code))
		if ex.Status >= 500 {
			why += ": no input from a client may produce a 5xx (SPEC section 2)"
		}
		diag := ""
		if status == http.StatusOK && errorCode(ex) == api.CodeInvalidProof && s.cur != nil && s.cur.completeEx == ex && s.cur.user != nil {
			// The server refused a proof the SPEC's formulas accept: find out which
			// formulas it uses instead.
			diag = s.diagnoseRejected(ctx, s.cur.user)
		}
		return s.failDiag(ex, diag, "%s", strings.TrimSpace(why))
	}
	if code == "" {
		return nil
	}
	e, derr := api.DecodeError(ex.ResponseBody)
	switch {
	case derr != nil:
		s.soft(ex, "the %d answer has no section 10 error body to read the code %s from: %v", status, code, derr)
	case e.Code != code:
		s.soft(ex, "the error code is %q, want %q", e.Code, code)
	default:
		s.rec.codeChecked()
	}
	return nil
}

// expectAuth fails unless pass authenticates u and the server proves itself.
func (s *scenario) expectAuth(ctx context.Context, u *user, pass, what string) error {
	res, err := s.tryAuth(ctx, u, pass)
	if err != nil {
		return err
	}
	if !res.ok {
		return s.fail(res.ex, "%s does not authenticate: %s", what, res.why)
	}
	return nil
}

// expectNoAuth fails unless the server refuses pass for u with 400.
func (s *scenario) expectNoAuth(ctx context.Context, u *user, pass, what string) error {
	res, err := s.tryAuth(ctx, u, pass)
	if err != nil {
		return err
	}
	if res.ok || res.status == http.StatusOK {
		return s.fail(res.ex, "%s still authenticates", what)
	}
	if res.status != http.StatusBadRequest {
		return s.fail(res.ex, "%s: the authentication answered %d, want 400 INVALID_PROOF", what, res.status)
	}
	return nil
}

// expectNoPasscode fails unless u has no credential: an authentication start must
// be 400 PASSCODE_NOT_REGISTERED.
func (s *scenario) expectNoPasscode(ctx context.Context, u *user) error {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return err
	}
	_, ex, err := c.Start(ctx, api.FlowAuthentication, u.store, api.ByID(u.id), s.policyName(sut.PolicyStandard))
	if err == nil {
		return s.fail(ex, "the user has a passcode now: an authentication start answered 200")
	}
	if api.IsTransport(err) {
		return s.fail(ex, "no answer from the server: %v", err)
	}
	if ex.Status != http.StatusBadRequest {
		return s.fail(ex, "an authentication start of the user answered %d, want 400 PASSCODE_NOT_REGISTERED", ex.Status)
	}
	return nil
}

// expectM2 checks the m2 of the last answer against the current session's proof,
// and diagnoses a mismatch.
func (s *scenario) expectM2() error {
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	sess := s.cur
	if sess == nil || sess.proof == nil || sess.completeEx != ex {
		return s.fail(ex, "the last answer is not the completion of a proof")
	}
	cr, err := completeResponse(ex)
	if err != nil {
		return s.fail(ex, "%v", err)
	}
	if cr.AlgorithmInfo == nil || cr.AlgorithmInfo.Parameters.M2 == "" {
		return s.fail(ex, "the answer has no algorithmInfo.parameters.m2: the client cannot trust a server that does not prove itself")
	}
	if err := sess.proof.CheckM2(cr.AlgorithmInfo.Parameters.M2); err != nil {
		return s.failDiag(ex, srpclient.DiagnoseM2(sess.proof, cr.AlgorithmInfo.Parameters.M2), "%v", err)
	}
	return nil
}

// answerObject returns the last answer and its body decoded as a JSON object, or the
// step's failure when there is no answer or the body is not an object.
func (s *scenario) answerObject() (*api.Exchange, map[string]any, error) {
	ex, err := s.needAnswer()
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(ex.ResponseBody, &m); err != nil {
		return nil, nil, s.fail(ex, "the answer is not a JSON object: %v", err)
	}
	return ex, m, nil
}

// expectStartShape checks a start answer against the members SPEC section 4 lists.
func (s *scenario) expectStartShape(flow api.Flow) error {
	ex, m, err := s.answerObject()
	if err != nil {
		return err
	}
	var probs []string
	if flow != api.FlowAuthentication {
		if _, ok := m["passcodeRequirements"].(map[string]any); !ok {
			probs = append(probs, "passcodeRequirements is missing or not an object")
		}
	}
	if id, _ := m["sessionId"].(string); id == "" {
		probs = append(probs, "sessionId is missing or not a string")
	}
	ai, _ := m["algorithmInfo"].(map[string]any)
	if ai == nil {
		probs = append(probs, "algorithmInfo is missing or not an object")
	} else {
		if ai["type"] != api.AlgorithmSRP {
			probs = append(probs, fmt.Sprintf("algorithmInfo.type is %v, want %q", ai["type"], api.AlgorithmSRP))
		}
		params, _ := ai["parameters"].(map[string]any)
		want := []string{"i", "n", "hashAlgorithm", "salt"}
		if flow != api.FlowRegistration {
			want = append(want, "serverPublicKey")
		}
		for _, k := range want {
			if v, _ := params[k].(string); v == "" {
				probs = append(probs, fmt.Sprintf("algorithmInfo.parameters.%s is missing or not a string", k))
			}
		}
		if _, ok := params["g"].(float64); !ok {
			probs = append(probs, "algorithmInfo.parameters.g is missing or not a JSON number")
		}
	}
	if len(probs) > 0 {
		return s.fail(ex, "the %s start answer does not have the shape of SPEC section 4: %s", flow, strings.Join(probs, "; "))
	}
	return nil
}

// requirementsShape lists what is wrong with a passcodeRequirements member: every
// field of the guide's example, with its JSON type.
func requirementsShape(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{"passcodeRequirements is missing or not an object"}
	}
	var probs []string
	for _, k := range []string{"minimumLength", "maximumLength", "digitCount", "symbolCount", "lowerCaseCount", "upperCaseCount", "characterVariety", "passcodeHistory"} {
		if _, ok := m[k].(float64); !ok {
			probs = append(probs, "passcodeRequirements."+k+" is missing or not a number")
		}
	}
	for _, k := range []string{"requiredRegExes", "allowedRegExes", "disallowedRegExes"} {
		if _, ok := m[k].([]any); !ok {
			probs = append(probs, "passcodeRequirements."+k+" is missing or not an array")
		}
	}
	return probs
}

// expectProofShape checks a completion answer of a proving flow (SPEC section 4).
func (s *scenario) expectProofShape() error {
	ex, m, err := s.answerObject()
	if err != nil {
		return err
	}
	var probs []string
	ai, _ := m["algorithmInfo"].(map[string]any)
	params, _ := ai["parameters"].(map[string]any)
	if ai == nil || ai["type"] != api.AlgorithmSRP {
		probs = append(probs, `algorithmInfo.type is not "SRP"`)
	}
	if h, _ := params["hashAlgorithm"].(string); h != s.w.params.HashName() {
		probs = append(probs, fmt.Sprintf("algorithmInfo.parameters.hashAlgorithm is %v, want %q", params["hashAlgorithm"], s.w.params.HashName()))
	}
	if m2, _ := params["m2"].(string); m2 == "" {
		probs = append(probs, "algorithmInfo.parameters.m2 is missing")
	}
	u, _ := m["user"].(map[string]any)
	for _, k := range []string{"id", "externalId", "status", "dateCreated"} {
		if v, _ := u[k].(string); v == "" {
			probs = append(probs, "user."+k+" is missing or not a string")
		}
	}
	if len(probs) > 0 {
		return s.fail(ex, "the completion answer does not have the shape of SPEC section 4: %s", strings.Join(probs, "; "))
	}
	return nil
}

// expectParameters checks the start's group, generator and hash against the target.
func (s *scenario) expectParameters() error {
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.start == nil {
		return s.fail(sess.startEx, "the start answer cannot be read: %v", sess.parseErr)
	}
	p := sess.start.AlgorithmInfo.Parameters
	g := s.w.params.Group()
	nb, err := srp.DecodeInt(p.N)
	if err != nil {
		return s.fail(sess.startEx, "n is not base64: %v", err)
	}
	if new(big.Int).SetBytes(nb).Cmp(g.N()) != 0 {
		return s.fail(sess.startEx, "n is not the prime of the target's group %s", g.Name())
	}
	if int64(p.G) != g.G().Int64() {
		return s.fail(sess.startEx, "g is %d, want %d", p.G, g.G().Int64())
	}
	if p.HashAlgorithm != s.w.params.HashName() {
		return s.fail(sess.startEx, "hashAlgorithm is %q, want %q", p.HashAlgorithm, s.w.params.HashName())
	}
	if sess.start.AlgorithmInfo.Type != api.AlgorithmSRP {
		return s.fail(sess.startEx, "algorithmInfo.type is %q, want %q", sess.start.AlgorithmInfo.Type, api.AlgorithmSRP)
	}
	return nil
}

// expectRequirements compares the current start's requirements with want.
func (s *scenario) expectRequirements(want passcode.Requirements, what string) error {
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.start == nil || sess.start.PasscodeRequirements == nil {
		return s.fail(sess.startEx, "the start answer has no passcodeRequirements")
	}
	got := *sess.start.PasscodeRequirements
	if !passcode.Equal(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		return s.fail(sess.startEx, "passcodeRequirements are %s, want %s, %s, verbatim", gb, wb, what)
	}
	return nil
}

// diagnoseRejected explains why a server refused the SPEC's M1 (srpclient's online
// diagnosis), stopping before the lockout.
func (s *scenario) diagnoseRejected(ctx context.Context, u *user) string {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return ""
	}
	tries := math.MaxInt
	if s.w.tgt.Has(sut.Lockout) {
		// One failure is already counted; leave one more before the lock.
		tries = s.lock().MaxFailedAttempts - 2
	}
	return srpclient.DiagnoseRejected(ctx, c, s.w.params.Profile(), u.store, api.ByID(u.id), s.policyName(sut.PolicyStandard), u.pass, tries)
}

// statusCode renders "400 INVALID_PROOF", or "200" without a code.
func statusCode(status int, code api.Code) string {
	if code == "" {
		return fmt.Sprint(status)
	}
	return fmt.Sprintf("%d %s", status, code)
}
