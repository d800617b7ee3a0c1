package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
	"github.com/seedb14f67b8/renewkit/sut"
)

// The helpers here run the SRP flows for the steps: setting up users, starting and
// completing sessions, and the quiet flows that check a passcode still works.

// newUser gives the scenario a user of its own: created through the admin API when
// the target has it (with a registered passcode under policyRole when registered),
// else taken from the target's pre-provisioned users.
func (s *scenario) newUser(ctx context.Context, registered bool, policyRole string) (*user, error) {
	t := s.w.tgt
	if !t.Has(sut.Admin) {
		kind := poolUnregistered
		if registered {
			kind = poolRegistered
		}
		pu, ok := s.w.pool.take(kind)
		if !ok {
			return nil, notApplicable{reason: fmt.Sprintf("the target has no admin API and no %s user left (list more under users.%s)", kind, kind)}
		}
		u := &user{id: pu.ID, ext: pu.ExternalID, tenant: t.Tenant, store: t.Store, pass: pu.Passcode,
			policyRole: policyRole, pooled: true, original: pu.Passcode}
		if registered {
			s.cleanups = append(s.cleanups, func(ctx context.Context) { s.restore(ctx, u) })
		}
		return u, nil
	}
	u, err := s.createUser(ctx, t.Tenant, t.Store, freshExternalID(), "")
	if err != nil {
		return nil, err
	}
	if registered {
		if err := s.register(ctx, u, policyRole, ""); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// createUser creates a user through the admin API.
func (s *scenario) createUser(ctx context.Context, tenant, store, ext string, status api.UserStatus) (*user, error) {
	c, err := s.adminClient(ctx, tenant)
	if err != nil {
		return nil, err
	}
	au, ex, err := c.CreateUser(ctx, store, api.CreateUserRequest{ExternalID: ext, Status: status})
	if err != nil {
		return nil, s.fail(ex, "setup: creating a user through the admin API failed: %v", err)
	}
	return &user{id: au.ID, ext: au.ExternalID, tenant: tenant, store: store}, nil
}

// register registers pass (a generated one when empty) for u under the policy of
// policyRole, as the full role, and remembers the credential's i and salt.
func (s *scenario) register(ctx context.Context, u *user, policyRole, pass string) error {
	pol, err := s.w.policy(policyRole)
	if err != nil {
		return s.fail(nil, "setup: %v", err)
	}
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return err
	}
	sr, ex, err := c.Start(ctx, api.FlowRegistration, u.store, api.ByID(u.id), pol.Name)
	if err != nil {
		return s.fail(ex, "setup: the registration start of a new user failed: %v", err)
	}
	sp, err := api.ParseStart(sr, s.w.params.Profile(), false)
	if err != nil {
		return s.fail(ex, "setup: the registration start answer cannot be used: %v", err)
	}
	if pass == "" {
		if pass, err = s.newPasscode(sr.PasscodeRequirements, policyRole); err != nil {
			return s.fail(ex, "setup: %v", err)
		}
	}
	req := api.CompleteRequest{SRPRegistrationData: &api.SRPRegistrationData{Verifier: sp.Verifier(pass)}}
	_, ex, err = c.Complete(ctx, api.FlowRegistration, u.store, sr.SessionID, req)
	if err != nil {
		return s.fail(ex, "setup: registering a passcode for a new user failed: %v", err)
	}
	u.pass, u.policyRole = pass, policyRole
	u.cred = &credentialRef{identity: sr.AlgorithmInfo.Parameters.I, salt: sp.Salt}
	return nil
}

// newPasscode returns a passcode for the requirements a start answered, or for the
// target's policy of policyRole when the answer had none.
func (s *scenario) newPasscode(r *passcode.Requirements, policyRole string) (string, error) {
	if r == nil {
		pol, err := s.w.policy(policyRole)
		if err != nil {
			return "", err
		}
		r = pol.Requirements
	}
	p, err := s.w.generate(*r)
	if err != nil {
		return "", fmt.Errorf("no passcode satisfies the requirements: %v", err)
	}
	return p, nil
}

// policyName returns the target's name of a policy role, or the role itself when
// it is "that policy" of the admin steps.
func (s *scenario) policyName(role string) string {
	if p, ok := s.w.tgt.Policies[role]; ok {
		return p.Name
	}
	return role
}

// startSession starts flow for the scenario's user by form under the policy named
// policy, as the scenario's current identity, and makes it the current session.
// body is the start body; nil sends none.
func (s *scenario) startSession(ctx context.Context, flow api.Flow, form, policy string, body []byte) (*session, error) {
	u, err := s.needUser()
	if err != nil {
		return nil, err
	}
	path := s.paths().Start(flow, s.store, u.ref(form), policy)
	ex, err := s.send(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	sess := &session{flow: flow, user: u, form: form, policy: policy, startEx: ex, pass: u.pass}
	s.cur = sess
	s.decodeStart(sess)
	if sess.sp != nil && u.cred == nil && flow != api.FlowRegistration {
		// A pre-provisioned user: the first start shows its credential.
		u.cred = &credentialRef{identity: sess.start.AlgorithmInfo.Parameters.I, salt: sess.sp.Salt}
	}
	return sess, nil
}

// decodeStart reads a start answer into the session, leaving parseErr when it
// cannot be used.
func (s *scenario) decodeStart(sess *session) {
	ex := sess.startEx
	if ex.Status != http.StatusOK {
		sess.parseErr = fmt.Errorf("the start answered %d", ex.Status)
		return
	}
	var sr api.StartResponse
	if err := json.Unmarshal(ex.ResponseBody, &sr); err != nil {
		sess.parseErr = fmt.Errorf("the start answer is not the JSON of SPEC section 4: %v", err)
		return
	}
	sess.start, sess.id = &sr, sr.SessionID
	sp, err := api.ParseStart(&sr, s.w.params.Profile(), sess.flow != api.FlowRegistration)
	if err != nil {
		sess.parseErr = err
		return
	}
	sess.sp = sp
}

// usable returns the session's decoded parameters or a failure naming why there
// are none.
func (s *scenario) usable(sess *session) (*api.StartParams, error) {
	if sess.sp == nil {
		return nil, s.fail(sess.startEx, "the session cannot be used: %v", sess.parseErr)
	}
	return sess.sp, nil
}

// completion is how to complete a session: a correct completion, changed by the
// completeOptions a step gives.
type completion struct {
	pass, newPass     string
	verifier          []byte
	encA, encV, encM1 func([]byte) string
	keep              func(*srpclient.Proof) bool
	tries             int
	vd                *api.SRPVerificationData
	flow              api.Flow
	store             string
	profile           srp.Profile
}

// completeOption changes one thing of a correct completion; options compose, and
// none at all completes correctly.
type completeOption func(*completion)

// completionOf applies opts (a nil one changes nothing) to a correct completion.
func completionOf(opts []completeOption) completion {
	var o completion
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// proving proves pass instead of the passcode the session was started with.
func proving(pass string) completeOption { return func(o *completion) { o.pass = pass } }

// wrongProof proves a passcode the user never had.
func wrongProof() completeOption { return proving(wrongPasscode()) }

// toPasscode registers pass as the new passcode instead of a generated one.
func toPasscode(pass string) completeOption { return func(o *completion) { o.newPass = pass } }

// withVerifier sends these bytes as the new verifier (PUB-002).
func withVerifier(v []byte) completeOption { return func(o *completion) { o.verifier = v } }

// aEncoding, verifierEncoding and m1Encoding replace the standard encoding of a,
// the verifier and m1 on the wire.
func aEncoding(enc func([]byte) string) completeOption { return func(o *completion) { o.encA = enc } }

func verifierEncoding(enc func([]byte) string) completeOption {
	return func(o *completion) { o.encV = enc }
}

func m1Encoding(enc func([]byte) string) completeOption { return func(o *completion) { o.encM1 = enc } }

// steering walks the client secret a until keep accepts the proof, at most tries
// times (see srpclient.NewProof).
func steering(keep func(*srpclient.Proof) bool, tries int) completeOption {
	return func(o *completion) { o.keep, o.tries = keep, tries }
}

// withVerification sends vd instead of a proof (forged public values).
func withVerification(vd *api.SRPVerificationData) completeOption {
	return func(o *completion) { o.vd = vd }
}

// throughFlow sends the body of, and to the endpoint of, another flow (SES-005).
func throughFlow(f api.Flow) completeOption { return func(o *completion) { o.flow = f } }

// throughStore completes through another store's path (SES-006).
func throughStore(store string) completeOption { return func(o *completion) { o.store = store } }

// withProfile computes the proof under another profile (PRF-010).
func withProfile(p srp.Profile) completeOption { return func(o *completion) { o.profile = p } }

// body builds the completion body for sess; it also sets sess.newPass and
// sess.proof.
func (s *scenario) body(sess *session, opts ...completeOption) ([]byte, error) {
	o := completionOf(opts)
	flow := sess.flow
	if o.flow != "" {
		flow = o.flow
	}
	var req api.CompleteRequest
	if flow != api.FlowAuthentication {
		rd, err := s.registrationData(sess, o)
		if err != nil {
			return nil, err
		}
		req.SRPRegistrationData = rd
	}
	if flow != api.FlowRegistration {
		vd, err := s.verificationData(sess, o)
		if err != nil {
			return nil, err
		}
		req.SRPVerificationData = vd
	}
	return json.Marshal(req)
}

// registrationData is the new verifier of a completion; it sets sess.newPass.
func (s *scenario) registrationData(sess *session, o completion) (*api.SRPRegistrationData, error) {
	sp := sess.sp
	v := o.verifier
	if v == nil {
		newPass := o.newPass
		if newPass == "" {
			var reqs *passcode.Requirements
			if sess.start != nil {
				reqs = sess.start.PasscodeRequirements
			}
			p, err := s.newPasscode(reqs, policyRoleOf(sess, s))
			if err != nil {
				return nil, s.fail(sess.startEx, "%v", err)
			}
			newPass = p
		}
		sess.newPass = newPass
		if sp != nil {
			v = sp.Params.Verifier(sp.Identity, []byte(passcode.Normalize(newPass)), sp.Salt)
		} else {
			// A session of another flow without i and salt (SES-005): any
			// well-formed verifier will do.
			v = s.w.params.Verifier([]byte("renewkit"), []byte(newPass), make([]byte, 16))
		}
	}
	enc := o.encV
	if enc == nil {
		enc = srp.EncodeInt
	}
	return &api.SRPRegistrationData{Verifier: enc(v)}, nil
}

// verificationData is the proof of a completion; it sets sess.proof.
func (s *scenario) verificationData(sess *session, o completion) (*api.SRPVerificationData, error) {
	sp := sess.sp
	switch {
	case o.vd != nil:
		return o.vd, nil
	case sp == nil || sp.B == nil:
		// Completing a registration session through a proving flow (SES-005): a
		// well-formed but meaningless proof.
		p, err := s.w.params.NewEphemeral()
		if err != nil {
			return nil, err
		}
		return &api.SRPVerificationData{A: srp.EncodeInt(p.A()), M1: srp.EncodeInt(make([]byte, s.w.params.Hash().Size()))}, nil
	}
	pass := o.pass
	if pass == "" {
		pass = sess.pass
	}
	params := sp
	if o.profile != "" {
		alt, err := api.ParseStart(sess.start, o.profile, true)
		if err != nil {
			return nil, s.fail(sess.startEx, "%v", err)
		}
		params = alt
	}
	pr, err := srpclient.NewProof(params.Params, params, pass, o.keep, o.tries)
	if err != nil {
		return nil, s.fail(sess.startEx, "cannot compute the proof: %v", err)
	}
	sess.proof = pr
	encA, encM1 := o.encA, o.encM1
	if encA == nil {
		encA = srp.EncodeInt
	}
	if encM1 == nil {
		encM1 = srp.EncodeInt
	}
	return &api.SRPVerificationData{A: encA(pr.A), M1: encM1(pr.M1)}, nil
}

// completeCurrent completes the scenario's current session with opts: the step
// "the client completes the session ..." in its plainest form.
func completeCurrent(ctx context.Context, opts ...completeOption) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess, opts...)
	return err
}

// complete sends a completion of sess and, on 200, updates what the scenario knows
// about the user.
func (s *scenario) complete(ctx context.Context, sess *session, opts ...completeOption) (*api.Exchange, error) {
	if sess.id == "" {
		return nil, s.fail(sess.startEx, "the session cannot be completed: %v", sess.parseErr)
	}
	body, err := s.body(sess, opts...)
	if err != nil {
		return nil, err
	}
	o := completionOf(opts)
	flow, store := sess.flow, s.store
	if o.flow != "" {
		flow = o.flow
	}
	if o.store != "" {
		store = o.store
	}
	ex, err := s.send(ctx, http.MethodPost, s.paths().Complete(flow, store, sess.id), body)
	if err != nil {
		return nil, err
	}
	sess.completeEx = ex
	if ex.Status == http.StatusOK && flow == sess.flow {
		s.accepted(sess)
	}
	return ex, nil
}

// accepted updates the user after a 200 completion of sess.
func (s *scenario) accepted(sess *session) {
	u := sess.user
	switch sess.flow {
	case api.FlowRegistration:
		u.pass, u.old = sess.newPass, nil
		if sess.sp != nil {
			u.cred = &credentialRef{identity: sess.start.AlgorithmInfo.Parameters.I, salt: sess.sp.Salt}
		}
	case api.FlowRenewal:
		if sess.newPass != "" {
			u.setPass(sess.newPass)
		}
	}
}

// policyRoleOf returns the policy role to generate a new passcode for sess by.
func policyRoleOf(sess *session, s *scenario) string {
	if _, ok := s.w.tgt.Policies[sess.user.policyRole]; ok && sess.user.policyRole != "" {
		return sess.user.policyRole
	}
	return sut.PolicyStandard
}

// authResult is the outcome of a quiet authentication.
type authResult struct {
	ok     bool
	status int
	ex     *api.Exchange // the decisive exchange
	why    string
}

// tryAuth runs a whole authentication of u with pass as the full role, outside the
// scenario's answers, and reports whether the server accepted it and proved itself.
func (s *scenario) tryAuth(ctx context.Context, u *user, pass string) (authResult, error) {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return authResult{}, err
	}
	pol := s.policyName(sut.PolicyStandard)
	sr, ex, err := c.Start(ctx, api.FlowAuthentication, u.store, api.ByID(u.id), pol)
	if err != nil {
		if api.IsTransport(err) {
			return authResult{}, s.fail(ex, "no answer from the server: %v", err)
		}
		return authResult{status: ex.Status, ex: ex, why: fmt.Sprintf("the authentication start answered %d %s", ex.Status, api.ErrorCode(err))}, nil
	}
	sp, err := api.ParseStart(sr, s.w.params.Profile(), true)
	if err != nil {
		return authResult{ex: ex, status: ex.Status, why: err.Error()}, nil
	}
	pr, err := srpclient.NewProof(sp.Params, sp, pass, nil, 0)
	if err != nil {
		return authResult{ex: ex, status: ex.Status, why: err.Error()}, nil
	}
	cr, ex, err := c.Complete(ctx, api.FlowAuthentication, u.store, sr.SessionID, api.CompleteRequest{SRPVerificationData: pr.Data()})
	if err != nil {
		if api.IsTransport(err) {
			return authResult{}, s.fail(ex, "no answer from the server: %v", err)
		}
		return authResult{status: ex.Status, ex: ex, why: fmt.Sprintf("the authentication answered %d %s", ex.Status, api.ErrorCode(err))}, nil
	}
	if cr.AlgorithmInfo == nil {
		return authResult{status: ex.Status, ex: ex, why: "the authentication answered 200 without algorithmInfo.parameters.m2"}, nil
	}
	if err := pr.CheckM2(cr.AlgorithmInfo.Parameters.M2); err != nil {
		return authResult{status: ex.Status, ex: ex, why: "the authentication answered 200 but " + err.Error()}, nil
	}
	return authResult{ok: true, status: ex.Status, ex: ex}, nil
}

// renewQuiet renews u's passcode to newPass as the full role, outside the scenario's
// answers; it fails the step unless the server accepts and proves itself.
func (s *scenario) renewQuiet(ctx context.Context, u *user, newPass string) error {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return err
	}
	role := u.policyRole
	if role == "" {
		role = sut.PolicyStandard
	}
	flow := api.SRPFlow{Client: c, Profile: s.w.params.Profile(), SkipPolicyCheck: true}
	res, err := flow.Renew(ctx, u.store, api.ByID(u.id), s.policyName(role), u.pass, newPass)
	if err != nil {
		ex := res.CompleteExchange
		if ex == nil {
			ex = res.StartExchange
		}
		return s.fail(ex, "setup: renewing the user's passcode failed: %v", err)
	}
	u.setPass(newPass)
	return nil
}

// restore renews a pre-provisioned user's passcode back to the one the target file
// lists, under the history-free policy, so that the next run finds it as listed.
func (s *scenario) restore(ctx context.Context, u *user) {
	if u.pass == u.original || u.pass == "" {
		return
	}
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return
	}
	flow := api.SRPFlow{Client: c, Profile: s.w.params.Profile(), SkipPolicyCheck: true}
	if _, err := flow.Renew(ctx, u.store, api.ByID(u.id), s.policyName(sut.PolicyNoHistory), u.pass, u.original); err == nil {
		u.setPass(u.original)
	}
}

// errorCode returns the code of an error answer, or "" when its body has none.
func errorCode(ex *api.Exchange) api.Code {
	e, err := api.DecodeError(ex.ResponseBody)
	if err != nil {
		return ""
	}
	return e.Code
}

// completeResponse decodes a 200 completion answer.
func completeResponse(ex *api.Exchange) (*api.CompleteResponse, error) {
	var cr api.CompleteResponse
	if err := json.Unmarshal(ex.ResponseBody, &cr); err != nil {
		return nil, errors.New("the answer is not the JSON of a completion (SPEC section 4): " + err.Error())
	}
	return &cr, nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
