package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/sut"
)

// permissionsSteps registers the steps of features/permissions.feature.
func permissionsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^a user with a registered passcode and a user without one$`), givenMatrixUsers)
	c.Step(stepRE(`^the client sends every (passcode|admin) (operation|write) with the (renewal-only|no-permission|other tenant's|unknown-tenant|expired|broken-signature|alg-none|embedded-key) token$`), sendMatrix)
	c.Step(stepRE(`^every answer is the one the token's permissions call for$`), expectMatrixAnswers)
	c.Step(stepRE(`^no refused write changed anything$`), expectNothingMoved)
}

func givenMatrixUsers(ctx context.Context) (context.Context, error) {
	s := sc(ctx)
	reg, err := s.newUser(ctx, true, sut.PolicyStandard)
	if err != nil {
		return ctx, err
	}
	fresh, err := s.newUser(ctx, false, sut.PolicyStandard)
	if err != nil {
		return ctx, err
	}
	reg.policyRole = sut.PolicyStandard
	s.user = reg
	return context.WithValue(ctx, permKey{}, &permState{registered: reg, fresh: fresh}), nil
}

// sendMatrix sends the matrix's operations of one kind (passcode or admin), or
// only its writes, with a restricted role's token. Writes are checked right after
// their answer, before a later row could hide what they moved.
func sendMatrix(ctx context.Context, kind, which, roleName string) error {
	s := sc(ctx)
	st, err := permOf(ctx)
	if err != nil {
		return err
	}
	cred := matrixRoles[roleName]
	st.role, st.forged = cred.role, cred.forged
	if kind == "admin" && s.policy == "" {
		return s.fail(nil, "the admin rows need a policy of the scenario's own (a policy with the requirements ...)")
	}
	if st.role == sut.RoleExpired {
		// The role's client gives tokens that expire within seconds (SPEC section
		// 3): the world's token source waits one out, once per run.
		tok, err := s.w.tokens.Expired(ctx, sut.RoleExpired, waitMargin(s.last))
		if err != nil {
			return s.fail(nil, "cannot get an expired token of the expired role: %v", err)
		}
		st.auth = "Bearer " + tok
	}
	if st.forged != "" {
		tok, err := s.w.tokens.Token(ctx, sut.RoleFull)
		if err != nil {
			return s.fail(nil, "cannot get the full role's token: %v", err)
		}
		forged, err := forge(st.forged, tok)
		if errors.Is(err, errNotJWS) {
			return notApplicable{reason: "the full role's token is not a JWS, so no forgery of it can be made"}
		}
		if err != nil {
			return s.fail(nil, "cannot forge a token: %v", err)
		}
		st.auth = "Bearer " + forged
	}
	for _, op := range permissionMatrix() {
		if (op.op == api.OpAdmin) != (kind == "admin") || (which == "write" && op.effect == effectNone) {
			continue
		}
		ex, err := st.send(ctx, s, op)
		if err != nil {
			return err
		}
		st.sent = append(st.sent, permSent{op: op, ex: ex})
		if which == "write" && (ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden) {
			why, wex, err := st.movedBy(ctx, s, op)
			if err != nil {
				return err
			}
			if why != "" {
				st.moved = append(st.moved, permSent{op: op, ex: wex, why: why})
			}
		}
	}
	return nil
}

// expectMatrixAnswers checks every answer of the matrix against rolePermissions.
func expectMatrixAnswers(ctx context.Context) error {
	s := sc(ctx)
	st, err := permOf(ctx)
	if err != nil {
		return err
	}
	tok, ok := rolePermissions(s.w.tgt, st.role)
	if !ok || len(st.sent) == 0 {
		return s.fail(nil, "no operation of the matrix was sent")
	}
	var wrong []string
	var first *api.Exchange
	for _, r := range st.sent {
		status, code := tok.want(s.w.tgt.Tenant, r.op.op)
		got := r.ex.Status
		line := fmt.Sprintf("%s: %s %s (permission %s) answered %s", r.op.name, r.op.method, r.ex.Path, r.op.op, statusCode(got, errorCode(r.ex)))
		switch {
		case status == 0 && (got == http.StatusUnauthorized || got == http.StatusForbidden):
			wrong = append(wrong, line+", want neither 401 nor 403: the token grants it")
		case status != 0 && got != status:
			wrong = append(wrong, line+", want "+statusCode(status, code))
		case status != 0 && errorCode(r.ex) != code:
			s.soft(r.ex, "%s: the error code is %q, want %q", r.op.name, errorCode(r.ex), code)
			continue
		case status != 0:
			s.rec.codeChecked()
			continue
		default:
			continue
		}
		if first == nil {
			first = r.ex
		}
	}
	if len(wrong) > 0 {
		return s.fail(first, "%d of %d operations with the %s token got the wrong answer:\n%s",
			len(wrong), len(st.sent), st.credential(tok), strings.Join(wrong, "\n"))
	}
	return nil
}

// expectNothingMoved fails when a refused write of the matrix changed something.
func expectNothingMoved(ctx context.Context) error {
	s := sc(ctx)
	st, err := permOf(ctx)
	if err != nil {
		return err
	}
	if len(st.sent) == 0 {
		return s.fail(nil, "no write of the matrix was sent")
	}
	if len(st.moved) == 0 {
		return nil
	}
	lines := make([]string, len(st.moved))
	for i, m := range st.moved {
		lines[i] = fmt.Sprintf("%s (%s %s), refused, changed something: %s", m.op.name, m.op.method, m.op.path, m.why)
	}
	tok, _ := rolePermissions(s.w.tgt, st.role)
	return s.fail(st.moved[0].ex, "%d refused writes with the %s token changed what a failed request must leave alone:\n%s",
		len(st.moved), st.credential(tok), strings.Join(lines, "\n"))
}

// credential names the matrix's token in failures: its role, its permissions, and
// what makes it invalid.
func (st *permState) credential(tok roleToken) string {
	switch {
	case st.forged != "":
		return fmt.Sprintf("%s role's (forged: %s)", st.role, st.forged)
	case tok.invalid:
		return fmt.Sprintf("%s (permissions %v, expired)", st.role, tok.perms)
	}
	return fmt.Sprintf("%s (permissions %v)", st.role, tok.perms)
}

// The permission matrix of SPEC.md section 3 (features/permissions.feature): every
// operation of the matrix, sent with each restricted token, gets the answer that the
// token's permissions call for, and a write refused with 401 or 403 changes nothing.
// The operations come from one table, permissionMatrix; the expected answers from
// the roles' permissions, rolePermissions. Neither is picked per scenario.

// permOp is one operation of SPEC.md sections 4 and 5 as the matrix sends it.
type permOp struct {
	// name is how failures call it.
	name   string
	method string
	// path is SPEC.md's path template: {P} is the store's base path; {userId},
	// {extUserId}, {policyName} and {sessionId} are filled in by expandPath.
	path string
	// op is the operation whose permission, TNT#{tenantId}#{op}, grants it.
	op string
	// flow is the passcode flow the operation belongs to; "" for admin operations.
	flow   api.Flow
	body   permBody
	effect permEffect
}

// permBody is what a matrix request carries.
type permBody int

const (
	bodyNone        permBody = iota // no body (GET, DELETE)
	bodyEmptyObject                 // {} (a start)
	bodyCompletion                  // a correct completion of a session the full role started
	bodyNewUser                     // {externalId} with a fresh external id
	bodyPolicy                      // {name, ...requirements}
)

// permEffect is what a request changes when the server carries it out; a refused
// one must leave it undone (SPEC.md section 2: "A request that fails changes
// nothing").
type permEffect int

const (
	effectNone permEffect = iota
	effectRegisters
	effectRenews
	effectCreatesUser
	effectCreatesPolicy
	effectUpdatesPolicy
	effectDeletesPolicy
	effectDeletesCredential
)

// permissionMatrix is every operation of SPEC.md section 3: both start forms and
// the completion of the three flows, and every admin endpoint of section 5. The
// paths are SPEC.md's templates; TestPermissionMatrixPaths keeps them equal to what
// api.Paths builds.
func permissionMatrix() []permOp {
	const post, get, del = http.MethodPost, http.MethodGet, http.MethodDelete
	reg, auth, rnw := api.FlowRegistration, api.FlowAuthentication, api.FlowRenewal
	return []permOp{
		{"registration start by user id", post, "{P}/users/{userId}/passcodes/registrations/{policyName}", api.OpCreatePasscodeRegistrationForUser, reg, bodyEmptyObject, effectNone},
		{"registration start by external id", post, "{P}/users/{extUserId}/passcodes/registrations/{policyName}/ext", api.OpCreateUserPasscodeRegistrationForUserByExtUserID, reg, bodyEmptyObject, effectNone},
		{"registration completion", post, "{P}/passcodes/registrations/sessions/{sessionId}", api.OpCompletePasscodeRegistration, reg, bodyCompletion, effectRegisters},
		{"authentication start by user id", post, "{P}/users/{userId}/passcodes/authentications/{policyName}", api.OpCreatePasscodeAuthenticationForUser, auth, bodyEmptyObject, effectNone},
		{"authentication start by external id", post, "{P}/users/{extUserId}/passcodes/authentications/{policyName}/ext", api.OpCreateUserPasscodeAuthenticationForUserByExtUserID, auth, bodyEmptyObject, effectNone},
		{"authentication completion", post, "{P}/passcodes/authentications/sessions/{sessionId}", api.OpCompletePasscodeAuthentication, auth, bodyCompletion, effectNone},
		{"renewal start by user id", post, "{P}/users/{userId}/passcodes/renewals/{policyName}", api.OpCreatePasscodeRenewalForUser, rnw, bodyEmptyObject, effectNone},
		{"renewal start by external id", post, "{P}/users/{extUserId}/passcodes/renewals/{policyName}/ext", api.OpCreateUserPasscodeRenewalForUserByExtUserID, rnw, bodyEmptyObject, effectNone},
		{"renewal completion", post, "{P}/passcodes/renewals/sessions/{sessionId}", api.OpCompletePasscodeRenewal, rnw, bodyCompletion, effectRenews},

		{"user creation", post, "{P}/users", api.OpAdmin, "", bodyNewUser, effectCreatesUser},
		{"user read by id", get, "{P}/users/{userId}", api.OpAdmin, "", bodyNone, effectNone},
		{"user read by external id", get, "{P}/users/{extUserId}/ext", api.OpAdmin, "", bodyNone, effectNone},
		{"policy creation", post, "{P}/passcodePolicy", api.OpAdmin, "", bodyPolicy, effectCreatesPolicy},
		{"policy read", get, "{P}/passcodePolicy/{policyName}", api.OpAdmin, "", bodyNone, effectNone},
		{"policy update", post, "{P}/passcodePolicy/{policyName}", api.OpAdmin, "", bodyPolicy, effectUpdatesPolicy},
		{"policy deletion", del, "{P}/passcodePolicy/{policyName}", api.OpAdmin, "", bodyNone, effectDeletesPolicy},
		{"credential deletion", del, "{P}/users/{userId}/passcodes", api.OpAdmin, "", bodyNone, effectDeletesCredential},
	}
}

// expandPath fills in a template of permissionMatrix: {P} by the store's base path
// in p's form, every other {name} by its value in vars, escaped as one segment.
func expandPath(tpl string, p api.Paths, store string, vars map[string]string) (string, error) {
	out := strings.Replace(tpl, "{P}", p.Store(store), 1)
	for k, v := range vars {
		out = strings.ReplaceAll(out, "{"+k+"}", url.PathEscape(v))
	}
	if i := strings.IndexByte(out, '{'); i >= 0 {
		return "", fmt.Errorf("steps: the matrix has no value for %s in %s", out[i:], tpl)
	}
	return out, nil
}

// roleToken is what a matrix role's token is: the permissions it carries and
// whether it is valid at all.
type roleToken struct {
	perms []string
	// invalid tokens (expired or forged) carry the full role's permissions and are
	// still 401.
	invalid bool
}

// rolePermissions are the permissions of each restricted role's token as
// sut.Role defines the roles (and the reference fixtures issue them).
func rolePermissions(t *sut.Target, role sut.Role) (roleToken, bool) {
	switch role {
	case sut.RoleRenewal:
		return roleToken{perms: []string{
			api.Permission(t.Tenant, api.OpCreatePasscodeRenewalForUser),
			api.Permission(t.Tenant, api.OpCreateUserPasscodeRenewalForUserByExtUserID),
			api.Permission(t.Tenant, api.OpCompletePasscodeRenewal),
		}}, true
	case sut.RoleNone:
		return roleToken{}, true
	case sut.RoleOtherTenant:
		return roleToken{perms: []string{api.Permission(t.OtherTenantID, api.OpAll)}}, true
	case sut.RoleUnknownTenant:
		return roleToken{perms: []string{api.Permission(t.UnknownTenantID, api.OpAll)}}, true
	case sut.RoleExpired:
		return roleToken{perms: []string{api.Permission(t.Tenant, api.OpAll)}, invalid: true}, true
	case sut.RoleFull:
		// The matrix sends the full role's token only forged (matrixCredential).
		return roleToken{perms: []string{api.Permission(t.Tenant, api.OpAll)}, invalid: true}, true
	}
	return roleToken{}, false
}

// grants reports whether the token's permissions grant op on tenant (SPEC.md
// section 3: the operation's own permission or the tenant's wildcard).
func (r roleToken) grants(tenant, op string) bool {
	return slices.Contains(r.perms, api.Permission(tenant, op)) || slices.Contains(r.perms, api.Permission(tenant, api.OpAll))
}

// want is the answer SPEC.md section 3 calls for: 401 UNAUTHORIZED for an expired
// or forged token, 403 FORBIDDEN for a valid one without the permission, and for a granted
// operation anything but those two (status 0).
func (r roleToken) want(tenant, op string) (int, api.Code) {
	switch {
	case r.invalid:
		return http.StatusUnauthorized, api.CodeUnauthorized
	case r.grants(tenant, op):
		return 0, ""
	}
	return http.StatusForbidden, api.CodeForbidden
}

// matrixCredential is a token the matrix sends: a restricted role's, or a forgery
// of the full role's.
type matrixCredential struct {
	role   sut.Role
	forged forgery
}

// matrixRoles maps the features' names of the matrix tokens to what they are.
var matrixRoles = map[string]matrixCredential{
	"renewal-only":     {role: sut.RoleRenewal},
	"no-permission":    {role: sut.RoleNone},
	"other tenant's":   {role: sut.RoleOtherTenant},
	"unknown-tenant":   {role: sut.RoleUnknownTenant},
	"expired":          {role: sut.RoleExpired},
	"broken-signature": {role: sut.RoleFull, forged: forgedSignature},
	"alg-none":         {role: sut.RoleFull, forged: forgedAlgNone},
	"embedded-key":     {role: sut.RoleFull, forged: forgedEmbeddedKey},
}

// permState is the state of a permission matrix scenario.
type permState struct {
	role sut.Role
	// forged, when set, is the forgery of the role's token that the matrix sends.
	forged forgery
	// auth is the exact Authorization header of the role, when the token is not
	// the role's current one (the expired role's waited-out token, a forgery).
	auth       string
	registered *user // the user of the authentication, renewal and admin rows
	fresh      *user // a user without a passcode, for the registration rows
	// newExt and newPolicy are what the creations of the matrix would create.
	newExt, newPolicy string
	sent              []permSent
	// moved lists the refused writes that changed something anyway.
	moved []permSent
}

// permSent is one matrix request and its answer (why: what it moved).
type permSent struct {
	op  permOp
	ex  *api.Exchange
	why string
}

type permKey struct{}

// permOf returns the matrix state of ctx, or a failure when no Given made it.
func permOf(ctx context.Context) (*permState, error) {
	if st, ok := ctx.Value(permKey{}).(*permState); ok {
		return st, nil
	}
	return nil, sc(ctx).fail(nil, "the scenario has not made the users of the permission matrix")
}

// send prepares op's request (the users, session and policy it names exist, so
// that only the credential decides the answer) and sends it as the matrix role.
func (st *permState) send(ctx context.Context, s *scenario, op permOp) (*api.Exchange, error) {
	u := st.registered
	if op.flow == api.FlowRegistration {
		u = st.fresh
	}
	vars := map[string]string{"userId": u.id, "extUserId": u.ext, "policyName": s.policyName(sut.PolicyStandard)}
	if op.op == api.OpAdmin {
		vars["policyName"] = s.policy
	}
	var body []byte
	var sess *session
	switch op.body {
	case bodyEmptyObject:
		body = emptyObject()
	case bodyCompletion:
		var err error
		if sess, err = st.startAsFull(ctx, s, op.flow, u); err != nil {
			return nil, err
		}
		vars["sessionId"] = sess.id
		if body, err = s.body(sess); err != nil {
			return nil, err
		}
	case bodyNewUser:
		st.newExt = freshExternalID()
		body = mustJSON(api.CreateUserRequest{ExternalID: st.newExt})
	case bodyPolicy:
		body = st.policyBody(s, op)
	}
	path, err := expandPath(op.path, s.paths(), s.store, vars)
	if err != nil {
		return nil, s.fail(nil, "%v", err)
	}
	s.role, s.auth = st.role, nil
	if st.auth != "" {
		s.auth = &st.auth
	}
	ex, err := s.send(ctx, op.method, path, body)
	if err != nil {
		return nil, err
	}
	if sess != nil && ex.Status == http.StatusOK {
		sess.completeEx = ex
		s.accepted(sess) // a granted renewal moved the passcode on
	}
	return ex, nil
}

// policyBody is the body of a policy creation (a new policy, which the scenario
// deletes at its end should the server make it) or of an update of the scenario's
// policy to other requirements (so that an update carried out shows).
func (st *permState) policyBody(s *scenario, op permOp) []byte {
	var reqs passcode.Requirements
	if s.policyReqs != nil {
		reqs = *s.policyReqs
	}
	if op.effect == effectCreatesPolicy {
		st.newPolicy = "rk-policy-" + randomHex(6)
		name, store := st.newPolicy, s.store
		s.cleanups = append(s.cleanups, func(ctx context.Context) {
			if c, err := s.w.client(ctx, s.w.tgt.Tenant, sut.RoleFull, false); err == nil {
				_, _ = c.DeletePolicy(ctx, store, name)
			}
		})
		return mustJSON(api.PolicyRequest{Name: st.newPolicy, Requirements: reqs})
	}
	reqs.MinimumLength++
	return mustJSON(api.PolicyRequest{Name: s.policy, Requirements: reqs})
}

// startAsFull starts a session of flow for u as the full role: only the completion
// is sent with the token under test.
func (st *permState) startAsFull(ctx context.Context, s *scenario, flow api.Flow, u *user) (*session, error) {
	c, err := s.adminClient(ctx, u.tenant)
	if err != nil {
		return nil, err
	}
	sr, ex, err := c.Start(ctx, flow, u.store, api.ByID(u.id), s.policyName(sut.PolicyStandard))
	if err != nil {
		return nil, s.fail(ex, "setup: the %s start as the full role failed: %v", flow, err)
	}
	sess := &session{flow: flow, user: u, form: formID, pass: u.pass, startEx: ex, start: sr, id: sr.SessionID}
	if sess.sp, err = api.ParseStart(sr, s.w.params.Profile(), flow != api.FlowRegistration); err != nil {
		return nil, s.fail(ex, "setup: the %s start answer cannot be used: %v", flow, err)
	}
	return sess, nil
}

// movedBy finds out, as the full role, whether a refused write changed what it
// would have changed. It returns what moved ("" when nothing did) and the exchange
// that shows it.
func (st *permState) movedBy(ctx context.Context, s *scenario, op permOp) (string, *api.Exchange, error) {
	c, err := s.adminClient(ctx, s.w.tgt.Tenant)
	if err != nil {
		return "", nil, err
	}
	switch op.effect {
	case effectRegisters:
		_, ex, err := c.Start(ctx, api.FlowAuthentication, s.store, api.ByID(st.fresh.id), s.policyName(sut.PolicyStandard))
		if api.IsTransport(err) {
			return "", nil, s.fail(ex, "no answer from the server: %v", err)
		}
		if ex.Status != http.StatusBadRequest {
			return fmt.Sprintf("the user without a passcode may have one now: an authentication start answered %d, want 400 PASSCODE_NOT_REGISTERED", ex.Status), ex, nil
		}
	case effectRenews, effectDeletesCredential:
		res, err := s.tryAuth(ctx, st.registered, st.registered.pass)
		if err != nil {
			return "", nil, err
		}
		if !res.ok {
			return "the user's passcode no longer authenticates: " + res.why, res.ex, nil
		}
	case effectCreatesUser:
		_, ex, err := c.GetUserByExternalID(ctx, s.store, st.newExt)
		return st.wantStatus(s, ex, err, http.StatusNotFound, "a user with the refused creation's external id")
	case effectCreatesPolicy:
		_, ex, err := c.GetPolicy(ctx, s.store, st.newPolicy)
		return st.wantStatus(s, ex, err, http.StatusNotFound, "the policy of the refused creation")
	case effectDeletesPolicy:
		_, ex, err := c.GetPolicy(ctx, s.store, s.policy)
		return st.wantStatus(s, ex, err, http.StatusOK, "the policy the refused deletion named")
	case effectUpdatesPolicy:
		p, ex, err := c.GetPolicy(ctx, s.store, s.policy)
		if why, ex, err := st.wantStatus(s, ex, err, http.StatusOK, "the policy the refused update named"); why != "" || err != nil {
			return why, ex, err
		}
		if p == nil {
			return "the policy read answered 200 with no policy object", ex, nil
		}
		if s.policyReqs != nil && !passcode.Equal(p.Requirements, *s.policyReqs) {
			return "the policy's requirements changed", ex, nil
		}
	}
	return "", nil, nil
}

// wantStatus reports a read whose status is not want as what moved.
func (st *permState) wantStatus(s *scenario, ex *api.Exchange, err error, want int, what string) (string, *api.Exchange, error) {
	if api.IsTransport(err) {
		return "", nil, s.fail(ex, "no answer from the server: %v", err)
	}
	if ex.Status != want {
		return fmt.Sprintf("reading %s as the full role answered %d, want %d", what, ex.Status, want), ex, nil
	}
	return "", nil, nil
}
