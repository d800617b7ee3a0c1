package steps

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"github.com/seedb14f67b8/renewkit/target"
)

// answerSteps are the Then steps about the last answer and the state it left.
func answerSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the answer is (\d{3})$`), func(ctx context.Context, status int) error {
		return sc(ctx).expectStatus(ctx, status, "")
	})
	c.Step(stepRE(`^the answer is (\d{3}) ([A-Z_]+)$`), func(ctx context.Context, status int, code string) error {
		return sc(ctx).expectStatus(ctx, status, api.Code(code))
	})
	c.Step(stepRE(`^the answer is a 4xx answer$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		if ex.Status < 400 || ex.Status > 499 {
			return s.fail(ex, "the answer is %d, want a 4xx: no input from a client may produce a 5xx (SPEC section 2), and this path names nothing", ex.Status)
		}
		return nil
	})
	c.Step(stepRE(`^the start answer has the (registration|authentication|renewal) shape$`), func(ctx context.Context, flow string) error {
		return sc(ctx).expectStartShape(api.Flow(flow))
	})
	c.Step(stepRE(`^the requirements have every member of the guide's example with its JSON type$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, m, err := s.answerObject()
		if err != nil {
			return err
		}
		if probs := requirementsShape(m["passcodeRequirements"]); len(probs) > 0 {
			return s.fail(ex, "passcodeRequirements differ from the guide's example: %s (an empty pattern list is [], as in the guide)", strings.Join(probs, "; "))
		}
		return nil
	})
	c.Step(stepRE(`^the completion answer has the proof shape$`), func(ctx context.Context) error {
		return sc(ctx).expectProofShape()
	})
	c.Step(stepRE(`^the answer's m2 verifies$`), func(ctx context.Context) error {
		return sc(ctx).expectM2()
	})
	c.Step(stepRE(`^the answer holds no m2$`), func(ctx context.Context) error {
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
	})
	c.Step(stepRE(`^the answer names the user$`), func(ctx context.Context) error {
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
	})
	c.Step(stepRE(`^the new passcode authenticates$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		if sess.newPass == "" {
			return s.fail(nil, "the session sent no new passcode")
		}
		return s.expectAuth(ctx, sess.user, sess.newPass, "the new passcode")
	})
	c.Step(stepRE(`^the old passcode no longer authenticates$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		return s.expectNoAuth(ctx, sess.user, sess.pass, "the old passcode")
	})
	c.Step(stepRE(`^the refused new passcode does not authenticate$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		return s.expectNoAuth(ctx, sess.user, sess.newPass, "the new passcode of the refused renewal")
	})
	c.Step(stepRE(`^the passcode still authenticates$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		return s.expectAuth(ctx, u, u.pass, "the current passcode")
	})
	c.Step(stepRE(`^the user still has no passcode$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		return s.expectNoPasscode(ctx, u)
	})
	c.Step(stepRE(`^nothing moved for the user$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		if u.pass == "" {
			return s.expectNoPasscode(ctx, u)
		}
		return s.expectAuth(ctx, u, u.pass, "the current passcode")
	})
	c.Step(stepRE(`^the passcode of session "(\w+)" authenticates$`), func(ctx context.Context, name string) error {
		s := sc(ctx)
		sess, ok := s.named[name]
		if !ok || sess.newPass == "" {
			return s.fail(nil, "session %q sent no new passcode", name)
		}
		return s.expectAuth(ctx, sess.user, sess.newPass, fmt.Sprintf("the passcode of session %q", name))
	})
	c.Step(stepRE(`^the identity i and the salt are those of the user's credential$`), func(ctx context.Context) error {
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
	})
	c.Step(stepRE(`^the session id is a 26-character ID$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		if !api.ValidID(sess.id) {
			return s.fail(sess.startEx, "sessionId %q is not a 26-character ID (base32 of 16 bytes, upper case, no padding)", sess.id)
		}
		return nil
	})
	c.Step(stepRE(`^the user id in the answer is a 26-character ID$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		cr, err := completeResponse(ex)
		if err != nil {
			return s.fail(ex, "%v", err)
		}
		if !api.ValidID(cr.User.ID) {
			return s.fail(ex, "user id %q is not a 26-character ID (base32 of 16 bytes, upper case, no padding)", cr.User.ID)
		}
		return nil
	})
	c.Step(stepRE(`^the answer's requirements are those of the "(standard|pin6|nohistory)" policy$`), func(ctx context.Context, role string) error {
		s := sc(ctx)
		pol, err := s.w.policy(role)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		return s.expectRequirements(*pol.Requirements, fmt.Sprintf("the %q policy (%s) as the target defines it", pol.Name, role))
	})
	c.Step(stepRE(`^the answer's requirements are exactly (\{.*\})$`), func(ctx context.Context, raw string) error {
		s := sc(ctx)
		want, err := parseRequirements(raw)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		return s.expectRequirements(want, "the policy as created")
	})
	c.Step(stepRE(`^the passcode "([^"]*)" meets them and "([^"]*)" breaks (\S+)$`), func(ctx context.Context, good, bad, rule string) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		if sess.start == nil || sess.start.PasscodeRequirements == nil {
			return s.fail(sess.startEx, "the start answer has no passcodeRequirements")
		}
		r := *sess.start.PasscodeRequirements
		if v := r.Validate(good); len(v) > 0 {
			return s.fail(sess.startEx, "the client-side check refuses %q under the returned requirements: %v", good, v)
		}
		for _, v := range r.Validate(bad) {
			if v.Rule == rule {
				return nil
			}
		}
		return s.fail(sess.startEx, "the client-side check does not refuse %q for %s under the returned requirements (violations: %v)", bad, rule, r.Validate(bad))
	})
	c.Step(stepRE(`^the SRP parameters are the target's group, generator and hash$`), func(ctx context.Context) error {
		return sc(ctx).expectParameters()
	})
	c.Step(stepRE(`^the salt is base64url without padding and at least 16 bytes long$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		if sess.start == nil {
			return s.fail(sess.startEx, "the start answer cannot be read: %v", sess.parseErr)
		}
		salt := sess.start.AlgorithmInfo.Parameters.Salt
		b, err := base64.RawURLEncoding.Strict().DecodeString(salt)
		if err != nil || strings.ContainsAny(salt, "+/=") {
			return s.fail(sess.startEx, "salt %q is not base64url without padding (RFC 4648 section 5)", salt)
		}
		if len(b) < srp.MinSaltBytes {
			return s.fail(sess.startEx, "salt is %d bytes, want at least %d", len(b), srp.MinSaltBytes)
		}
		return nil
	})
	c.Step(stepRE(`^every n and serverPublicKey is exactly as long as N$`), func(ctx context.Context) error {
		s := sc(ctx)
		size := s.w.params.Group().Size()
		for _, sess := range s.starts {
			p := sess.start.AlgorithmInfo.Parameters
			for name, v := range map[string]string{"n": p.N, "serverPublicKey": p.ServerPublicKey} {
				b, err := srp.DecodeInt(v)
				if err != nil {
					return s.fail(sess.startEx, "%s is not base64: %v", name, err)
				}
				if len(b) != size {
					return s.fail(sess.startEx, "%s is %d bytes, want len(N) = %d: senders SHOULD pad", name, len(b), size)
				}
			}
		}
		return nil
	})
	c.Step(stepRE(`^every serverPublicKey is in the range 0 < B < N$`), func(ctx context.Context) error {
		s := sc(ctx)
		for _, sess := range s.starts {
			if sess.sp == nil {
				return s.fail(sess.startEx, "the start answer cannot be used: %v", sess.parseErr)
			}
			if err := s.w.params.CheckPublicB(sess.sp.B); err != nil {
				return s.fail(sess.startEx, "serverPublicKey is outside 0 < B < N: a client must refuse it")
			}
		}
		return nil
	})
	c.Step(stepRE(`^no two sessions share a serverPublicKey or a session id$`), func(ctx context.Context) error {
		s := sc(ctx)
		seenB, seenID := map[string]bool{}, map[string]bool{}
		for _, sess := range s.starts {
			b := new(big.Int).SetBytes(sess.sp.B).String()
			if seenB[b] || seenID[sess.id] {
				return s.fail(sess.startEx, "two of %d sessions share a serverPublicKey or a sessionId: secret exponents must be fresh per session", len(s.starts))
			}
			seenB[b], seenID[sess.id] = true, true
		}
		return nil
	})
	c.Step(stepRE(`^the answer's m2 is standard padded base64 of exactly the hash size$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		cr, err := completeResponse(ex)
		if err != nil || cr.AlgorithmInfo == nil {
			return s.fail(ex, "the answer has no algorithmInfo.parameters.m2")
		}
		m2 := cr.AlgorithmInfo.Parameters.M2
		b, err := base64.StdEncoding.Strict().DecodeString(m2)
		if err != nil || len(b) != s.w.params.Hash().Size() {
			return s.fail(ex, "m2 %q is not standard padded base64 of %d bytes (the H output)", m2, s.w.params.Hash().Size())
		}
		return nil
	})
	c.Step(stepRE(`^the user's status is (TEMP_LOCKED|LOCKED|ACTIVE|DISABLED)$`), func(ctx context.Context, status string) error {
		s := sc(ctx)
		u, ex, err := s.answerUser()
		if err != nil {
			return err
		}
		if string(u.Status) != status {
			return s.fail(ex, "the user's status is %q, want %s", u.Status, status)
		}
		return nil
	})
	c.Step(stepRE(`^the passcode of the other tenant's user still authenticates there$`), func(ctx context.Context) error {
		s := sc(ctx)
		if s.other == nil {
			return s.fail(nil, "the scenario has no user of the other tenant")
		}
		return s.expectAuth(ctx, s.other, s.other.pass, "the other tenant's user's passcode")
	})
	c.Step(stepRE(`^the answer has the section 10 error body$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		if err := api.ValidateErrorBody(ex.ResponseBody); err != nil {
			return s.fail(ex, "%v", err)
		}
		return nil
	})
	c.Step(stepRE(`^the answer's message holds no internal detail$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		e, err := api.DecodeError(ex.ResponseBody)
		if err != nil {
			return s.fail(ex, "%v", err)
		}
		msgs := []string{e.Message}
		for _, d := range e.ProcessingDetails {
			msgs = append(msgs, d.Message)
		}
		for _, m := range msgs {
			if loc := internalDetail().FindString(m); loc != "" {
				return s.fail(ex, "the message %q holds what looks like internal detail (%q): messages are for people", m, loc)
			}
		}
		return nil
	})
	c.Step(stepRE(`^the answer's Content-Type is application/json$`), func(ctx context.Context) error {
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
	})
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
	_, ex, err := c.Start(ctx, api.FlowAuthentication, u.store, api.ByID(u.id), s.policyName(target.PolicyStandard))
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
	if s.w.tgt.Has(target.Lockout) {
		// One failure is already counted; leave one more before the lock.
		tries = s.w.tgt.Lock.MaxFailedAttempts - 2
	}
	return srpclient.DiagnoseRejected(ctx, c, s.w.params.Profile(), u.store, api.ByID(u.id), s.policyName(target.PolicyStandard), u.pass, tries)
}

// statusCode renders "400 INVALID_PROOF", or "200" without a code.
func statusCode(status int, code api.Code) string {
	if code == "" {
		return fmt.Sprint(status)
	}
	return fmt.Sprintf("%d %s", status, code)
}
