package steps

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/target"
)

// flowSteps are the When steps that start and complete sessions.
func flowSteps(c *godog.ScenarioContext) {
	const flowRe = `(?:an? |the )(registration|authentication|renewal)`
	const formRe = `(user id|external id)`
	c.Step(stepRE(`^the client starts `+flowRe+` for the user by `+formRe+`$`), func(ctx context.Context, flow, form string) error {
		s := sc(ctx)
		_, err := s.startSession(ctx, api.Flow(flow), form, s.defaultPolicy(), emptyObject())
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` for the user by `+formRe+` under the "(standard|pin6|nohistory)" policy$`), func(ctx context.Context, flow, form, role string) error {
		s := sc(ctx)
		_, err := s.startSession(ctx, api.Flow(flow), form, s.policyName(role), emptyObject())
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` for the user by `+formRe+` under that policy$`), func(ctx context.Context, flow, form string) error {
		s := sc(ctx)
		if s.policy == "" {
			return s.fail(nil, "no policy was created")
		}
		_, err := s.startSession(ctx, api.Flow(flow), form, s.policy, emptyObject())
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` for the user by `+formRe+` with the body (.+)$`), func(ctx context.Context, flow, form, body string) error {
		s := sc(ctx)
		var b []byte
		if body != "<absent>" {
			b = []byte(body)
		}
		_, err := s.startSession(ctx, api.Flow(flow), form, s.defaultPolicy(), b)
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` naming an unknown (store|policy|user|tenant) by `+formRe+`$`), func(ctx context.Context, flow, what, form string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		t := s.w.tgt
		p := s.paths()
		store, policy, ref := s.store, s.defaultPolicy(), u.ref(form)
		switch what {
		case "store":
			store = "rk-no-store-" + randomHex(4)
		case "policy":
			policy = "rk-no-policy-" + randomHex(4)
		case "user":
			if form == formExternal {
				ref = api.ByExternalID(freshExternalID())
			} else {
				ref = api.ByID(unknownID())
			}
		case "tenant":
			s.role = target.RoleUnknownTenant
			p.Tenant = t.UnknownTenantID
			if p.HostForm {
				s.hostTenant = t.UnknownTenantID
			}
		}
		_, err = s.send(ctx, http.MethodPost, p.Start(api.Flow(flow), store, ref, policy), emptyObject())
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` naming the (store|policy|user) in another case by `+formRe+`$`), func(ctx context.Context, flow, what, form string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		store, policy, ref := s.store, s.defaultPolicy(), u.ref(form)
		var same bool
		switch what {
		case "store":
			store, same = otherCase(store)
		case "policy":
			policy, same = otherCase(policy)
		case "user":
			if form == formExternal {
				return s.fail(nil, "the user in another case is its user id: the feature names it by user id")
			}
			var id string
			id, same = otherCase(u.id)
			ref = api.ByID(id)
		}
		if same {
			return notApplicable{fmt.Sprintf("the %s's name has no letters, so it has no case variant", what)}
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Start(api.Flow(flow), store, ref, policy), emptyObject())
		return err
	})
	c.Step(stepRE(`^the client starts `+flowRe+` for the user by `+formRe+` through the second store$`), func(ctx context.Context, flow, form string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Start(api.Flow(flow), s.w.tgt.SecondStoreName, u.ref(form), s.defaultPolicy()), emptyObject())
		return err
	})
	c.Step(stepRE(`^the client completes the (registration|authentication|renewal) of a session that does not exist$`), func(ctx context.Context, flow string) error {
		s := sc(ctx)
		body := []byte(`{"srpRegistrationData":{"verifier":"AAEC"}}`)
		switch api.Flow(flow) {
		case api.FlowAuthentication:
			body = []byte(`{"srpVerificationData":{"a":"AAEC","m1":"AAEC"}}`)
		case api.FlowRenewal:
			body = []byte(`{"srpRegistrationData":{"verifier":"AAEC"},"srpVerificationData":{"a":"AAEC","m1":"AAEC"}}`)
		}
		_, err := s.send(ctx, http.MethodPost, s.paths().Complete(api.Flow(flow), s.store, unknownID()), body)
		return err
	})
	c.Step(stepRE(`^the client starts (\d+) authentications for the user$`), func(ctx context.Context, n int) error {
		s := sc(ctx)
		for range n {
			sess, err := s.startSession(ctx, api.FlowAuthentication, formID, s.defaultPolicy(), emptyObject())
			if err != nil {
				return err
			}
			if sess.startEx.Status != http.StatusOK {
				return s.fail(sess.startEx, "an authentication start answered %d, want 200", sess.startEx.Status)
			}
			s.starts = append(s.starts, sess)
		}
		return nil
	})

	// Completions of the current session.
	correct := func(flow api.Flow) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			s := sc(ctx)
			sess, err := s.needFlow(flow)
			if err != nil {
				return err
			}
			_, err = s.complete(ctx, sess, completion{})
			return err
		}
	}
	c.Step(stepRE(`^the client completes the registration with the verifier of a new passcode$`), correct(api.FlowRegistration))
	c.Step(stepRE(`^the client proves the passcode$`), correct(api.FlowAuthentication))
	c.Step(stepRE(`^the client proves the old passcode and sends the verifier of a new passcode$`), correct(api.FlowRenewal))
	c.Step(stepRE(`^the client completes the registration with the verifier of "([^"]*)"$`), func(ctx context.Context, pass string) error {
		s := sc(ctx)
		sess, err := s.needFlow(api.FlowRegistration)
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{newPass: pass})
		return err
	})
	c.Step(stepRE(`^the client completes the session correctly$`), correct(""))
	c.Step(stepRE(`^the client completes the same session again correctly$`), correct(""))
	wrong := func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{pass: wrongPasscode()})
		return err
	}
	c.Step(stepRE(`^the client proves a wrong passcode$`), wrong)
	c.Step(stepRE(`^the client proves a wrong passcode and sends the verifier of a new passcode$`), wrong)
	c.Step(stepRE(`^the client proves a wrong passcode and sends the verifier of the current passcode$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needFlow(api.FlowRenewal)
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{pass: wrongPasscode(), newPass: sess.user.pass})
		return err
	})
	c.Step(stepRE(`^the client completes the session with the body (.+)$`), func(ctx context.Context, body string) error {
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
	})
	c.Step(stepRE(`^the client completes the session with A = (0|N|2N|1|N-1|A\+N|A\+2N) and a proof forged for it$`), func(ctx context.Context, which string) error {
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
		_, err = s.complete(ctx, sess, completion{vd: vd})
		return err
	})
	c.Step(stepRE(`^the client completes the session correctly but with the verifier (0|1|N-1|N|N\+1)$`), func(ctx context.Context, which string) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		v, err := srpclient.OutOfRange(s.w.params, which)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		_, err = s.complete(ctx, sess, completion{verifier: v})
		return err
	})
	const grind = 4096 // tries to steer one byte: P(failure) = (255/256)^4096 < 1e-7
	c.Step(stepRE(`^the client completes the session with an m1 that has a leading zero byte, sent stripped of it$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{
			keep:  func(pr *srpclient.Proof) bool { return pr.M1[0] == 0 },
			tries: grind,
			encM1: func(b []byte) string { return srp.EncodeInt(srpclient.StripZeros(b)) },
		})
		return err
	})
	c.Step(stepRE(`^the client completes the session with an m1 whose top bit is set, sent with an extra leading zero byte$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{
			keep:  func(pr *srpclient.Proof) bool { return pr.M1[0]&0x80 != 0 },
			tries: 64,
			encM1: func(b []byte) string { return srp.EncodeInt(srpclient.ExtraZero(b)) },
		})
		return err
	})
	c.Step(stepRE(`^the client completes the session with an A that has a leading zero byte, sent stripped of it$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{
			keep:  func(pr *srpclient.Proof) bool { return pr.A[0] == 0 },
			tries: grind,
			encA:  func(b []byte) string { return srp.EncodeInt(srpclient.StripZeros(b)) },
		})
		return err
	})
	c.Step(stepRE(`^the client completes the session with the (a|verifier) (in the base64url alphabet|without = padding|in base64url without = padding|with one extra leading zero byte)$`), func(ctx context.Context, value, encoding string) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		var enc func([]byte) string
		// Steer the value so that the encoding really differs: a '+' or '/' in
		// standard base64 for the url alphabet (always, in practice, for 256 bytes).
		keep := func(pr *srpclient.Proof) bool { return true }
		switch encoding {
		case "in the base64url alphabet":
			enc = srpclient.EncodeURL
			if value == "a" {
				keep = func(pr *srpclient.Proof) bool { return strings.ContainsAny(srp.EncodeInt(pr.A), "+/") }
			}
		case "without = padding":
			enc = srpclient.EncodeNoPad
		case "in base64url without = padding":
			enc = srpclient.EncodeURLNoPad
		default:
			enc = func(b []byte) string { return srp.EncodeInt(srpclient.ExtraZero(b)) }
		}
		o := completion{keep: keep, tries: 64}
		if value == "a" {
			o.encA = enc
		} else {
			o.encV = enc
		}
		_, err = s.complete(ctx, sess, o)
		return err
	})
	c.Step(stepRE(`^the client completes the session with an M1 of the rfc5054-padded profile$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{profile: srp.ProfileRFC5054Padded})
		return err
	})
	c.Step(stepRE(`^the client completes the session through the (registration|authentication|renewal) endpoint$`), func(ctx context.Context, flow string) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{flow: api.Flow(flow)})
		return err
	})
	c.Step(stepRE(`^the client completes the session correctly through the second store$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{store: s.w.tgt.SecondStoreName})
		return err
	})
	named := func(ctx context.Context, name string) error {
		s := sc(ctx)
		sess, ok := s.named[name]
		if !ok {
			return s.fail(nil, "no session %q was started", name)
		}
		s.cur = sess
		_, err := s.complete(ctx, sess, completion{})
		return err
	}
	c.Step(stepRE(`^nothing else happened$`), func(context.Context) error { return nil })
	c.Step(stepRE(`^the client completes session "(\w+)" with (A = 0 and an m1 of 64 bytes|A = 0 and a forged proof|the verifier 1|a wrong passcode)$`), func(ctx context.Context, name, defects string) error {
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
		var o completion
		switch defects {
		case "A = 0 and an m1 of 64 bytes":
			o.vd = &api.SRPVerificationData{A: srp.EncodeInt(s.w.params.Pad(nil)), M1: srp.EncodeInt(bytesOf(0x7f, 64))}
		case "A = 0 and a forged proof":
			if o.vd, err = srpclient.Forged(sp.Params, sp, sess.pass, "0"); err != nil {
				return s.fail(sess.startEx, "cannot forge the proof: %v", err)
			}
		case "the verifier 1":
			o.verifier = s.w.params.Pad([]byte{1})
		case "a wrong passcode":
			o.pass = wrongPasscode()
		}
		_, err = s.complete(ctx, sess, o)
		return err
	})
	c.Step(stepRE(`^the client completes session "(\w+)" correctly$`), named)
	c.Step(stepRE(`^the client completes session "(\w+)" with the passcode it started on$`), named)
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
		b, err := s.body(sess, completion{})
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

// transportSteps are the steps of bodies and paths a server must refuse.
func transportSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client sends an? (renewal start|renewal completion|authentication completion|registration completion) with a body of (\d+) bytes$`), func(ctx context.Context, what string, n int) error {
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
	})
	c.Step(stepRE(`^the client sends a renewal request with the (user id|external id|policy|session id) path segment (.+)$`), func(ctx context.Context, where, segment string) error {
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
	})
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
