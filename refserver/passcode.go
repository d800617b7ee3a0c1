package refserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// SaltBytes is the length of the salts the server draws for new credentials (SPEC
// section 6 asks for at least 16).
const SaltBytes = 32

// handleStart serves the six start endpoints of SPEC section 4.
func (s *Server) handleStart(flow api.Flow, byExternalID bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		resp, err := s.start(c, flow, byExternalID)
		if err != nil {
			s.abortWith(c, err)
			return
		}
		c.JSON(http.StatusOK, resp)
	}
}

// start is the HTTP side of a start call: the body (absent or {}), then startSession
// with the path's tenant, store, user and policy.
func (s *Server) start(c *gin.Context, flow api.Flow, byExternalID bool) (*api.StartResponse, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := decodeEmpty(c.GetHeader("Content-Type"), body); err != nil {
		return nil, err
	}
	user := api.ByID(c.Param("user"))
	if byExternalID {
		user = api.ByExternalID(c.Param("user"))
	}
	resp, _, err := s.startSession(c.Request.Context(), flow, tenantOf(c), c.Param("storeName"), user, c.Param("policyName"))
	return resp, err
}

// startSession begins a session: it finds the store, policy and user, checks the
// user's status and registration state, and for authentication and renewal computes
// the server's ephemeral B outside any transaction, then stores the session. It
// returns the start response and the user. It takes no gin.Context, so that callers
// other than the handlers (such as a process engine's start activity) behave exactly
// like the endpoints.
func (s *Server) startSession(ctx context.Context, flow api.Flow, tenant, storeName string, ref api.UserRef, policyName string) (*api.StartResponse, store.User, error) {
	if !flow.Valid() {
		return nil, store.User{}, fmt.Errorf("refserver: start: invalid flow %q", flow)
	}
	if !ref.Valid() {
		// An empty reference (or one naming both) names no user.
		return nil, store.User{}, store.ErrUserNotFound
	}
	now := s.now()
	var (
		is      store.IdentityStore
		policy  store.Policy
		user    store.User
		cred    store.Credential
		hasCred bool
	)
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		// The store first: its lookup reports a missing tenant or store as such.
		if is, err = tx.IdentityStore(ctx, tenant, storeName); err != nil {
			return err
		}
		if policy, err = tx.Policy(ctx, tenant, storeName, policyName); err != nil {
			return err
		}
		if user, err = lookupUser(ctx, tx, tenant, storeName, ref); err != nil {
			return err
		}
		cred, err = tx.Credential(ctx, tenant, storeName, user.ID)
		switch {
		case errors.Is(err, store.ErrCredentialNotFound):
			return nil
		case err != nil:
			return err
		}
		hasCred = true
		return nil
	})
	if err != nil {
		return nil, store.User{}, err
	}
	if err := statusError(user, now); err != nil {
		return nil, store.User{}, err
	}

	sess := store.Session{
		Flow:      store.Flow(flow),
		Tenant:    tenant,
		Store:     storeName,
		UserID:    user.ID,
		Policy:    policy.Name,
		CreatedAt: now,
		ExpiresAt: now.Add(s.sessionTTL(is)),
	}
	group := s.params.Group()
	resp := &api.StartResponse{
		AlgorithmInfo: api.AlgorithmInfo{
			Type: api.AlgorithmSRP,
			Parameters: api.SRPParameters{
				N:             srp.EncodeInt(s.params.Pad(group.N().Bytes())),
				G:             int(group.G().Int64()),
				HashAlgorithm: s.params.HashName(),
			},
		},
	}
	if flow == api.FlowRegistration {
		if hasCred {
			return nil, store.User{}, store.ErrCredentialExists
		}
		// A new credential gets a new identity i and salt; renewals keep both (SPEC
		// section 1), which is what makes the verifier history comparable.
		if sess.Identity, err = api.NewID(); err != nil {
			return nil, store.User{}, err
		}
		sess.Salt = make([]byte, SaltBytes)
		if _, err := rand.Read(sess.Salt); err != nil {
			return nil, store.User{}, fmt.Errorf("refserver: salt: %w", err)
		}
	} else {
		if !hasCred {
			return nil, store.User{}, store.ErrCredentialNotFound
		}
		sess.Identity, sess.Salt, sess.CredentialVersion = cred.Identity, cred.Salt, cred.Version
		// The modexp for B runs here, outside every transaction.
		srv, err := s.params.NewServer([]byte(cred.Identity), cred.Salt, cred.Verifier)
		if err != nil {
			s.metrics.srp(srpKindServerStart, srpOutcomeError)
			// The verifier was checked when it was stored: this is our fault, not the
			// client's, so it must not come out as INVALID_VERIFIER (%v, not %w).
			return nil, store.User{}, fmt.Errorf("refserver: stored credential unusable: %v", err)
		}
		s.metrics.srp(srpKindServerStart, srpOutcomeOK)
		sess.ServerSecret, sess.ServerPublic = srv.Secret(), srv.B()
		resp.AlgorithmInfo.Parameters.ServerPublicKey = srp.EncodeInt(sess.ServerPublic)
	}
	if flow != api.FlowAuthentication {
		req := wireRequirements(policy.Requirements)
		resp.PasscodeRequirements = &req
	}
	if sess.ID, err = api.NewID(); err != nil {
		return nil, store.User{}, err
	}
	if err := s.putSession(ctx, sess, now); err != nil {
		return nil, store.User{}, err
	}
	resp.SessionID = sess.ID
	resp.AlgorithmInfo.Parameters.I = sess.Identity
	resp.AlgorithmInfo.Parameters.Salt = srp.EncodeSalt(sess.Salt)
	return resp, user, nil
}

// fullRetryAfter is the Retry-After of a start refused because the server holds
// MaxSessions: sessions end all the time (completed or expired), and the server
// looks for expired ones to remove at most this often (putSession).
const fullRetryAfter = time.Second

// putSession stores a started session within the session limits (Config
// MaxSessionsPerUser and MaxSessions). The store counts expired sessions until they
// are removed, so when it is full the expired ones are purged and the put tried once
// more; at most once per fullRetryAfter, so that a flood of starts at the limit
// costs no scan of every session each.
func (s *Server) putSession(ctx context.Context, sess store.Session, now time.Time) error {
	lim := s.cfg.sessionLimits()
	sessions := s.store.Sessions()
	dropped, err := sessions.Put(ctx, sess, lim, now)
	if errors.Is(err, store.ErrSessionsFull) && s.fullPurge.allow(now, fullRetryAfter) {
		if _, err = sessions.Purge(ctx, now); err == nil {
			dropped, err = sessions.Put(ctx, sess, lim, now)
		}
	}
	if errors.Is(err, store.ErrSessionsFull) {
		s.metrics.limited(limitSessions, 1)
		return &retryLater{err: err, after: fullRetryAfter}
	}
	if err == nil {
		s.metrics.limited(limitSessionsPerUser, dropped)
	}
	return err
}

// sessionTTL is the lifetime of a session of store is: the store's own when it has
// one (the fixtures' sessionTTL), else the server's (Config.SessionTTL).
func (s *Server) sessionTTL(is store.IdentityStore) time.Duration {
	if is.SessionTTL > 0 {
		return is.SessionTTL
	}
	return s.cfg.SessionTTL
}

// lookupUser finds a user by id or by external id.
func lookupUser(ctx context.Context, tx store.Tx, tenant, storeName string, ref api.UserRef) (store.User, error) {
	if ref.IsExternal() {
		return tx.UserByExternalID(ctx, tenant, storeName, ref.ExternalID)
	}
	return tx.User(ctx, tenant, storeName, ref.ID)
}

// statusError refuses users that may not start or complete anything (SPEC section 9).
// A TEMP_LOCKED user whose lock has run out counts as ACTIVE.
func statusError(u store.User, now time.Time) error {
	switch u.StatusAt(now) {
	case store.StatusLocked, store.StatusTempLocked:
		return errUserLocked
	case store.StatusDisabled:
		return errUserDisabled
	}
	return nil
}

// handleComplete serves the three completion endpoints of SPEC section 4.
func (s *Server) handleComplete(flow api.Flow) gin.HandlerFunc {
	return func(c *gin.Context) {
		resp, err := s.complete(c, flow)
		if err != nil {
			s.abortWith(c, err)
			return
		}
		c.JSON(http.StatusOK, resp)
	}
}

// completion is what the first, short transaction of a completion found.
type completion struct {
	sess   store.Session
	user   store.User
	policy store.Policy
	cred   *store.Credential // nil when the user has none
	// reserved is set while the completion holds one of its user's lockout attempts
	// (store.Tx.ReserveAttempt) that no committed Update has released yet; busy when
	// it is to evaluate a proof but its user's attempts were all in flight, so it
	// must wait for one (awaitAttempt).
	reserved, busy bool
}

// complete finishes a session in the order of SPEC section 2: session lookup (and
// consumption), request shape and encodings, public value and verifier ranges,
// staleness, the proof M1, then history.
//
// It uses two short write transactions with the SRP work between them rather than
// one transaction around everything. The proof check is two modexps; inside a write
// transaction it would serialise every completion of the server behind them (the
// store's Update runs alone), so throughput would be one modexp pair at a time. Split:
//
//  1. consume: take the session (exactly one of any number of concurrent
//     completions gets it, SPEC section 7), then one Update reads the user, the
//     credential and, for renewal, the policy, and, for an authentication or renewal
//     whose request is well formed, reserves one of the user's lockout attempts
//     (lockout.go). Consuming before verifying is what limits a session to one
//     guess: completions racing on one session never verify more than one proof.
//     Reserving before verifying is what limits a user to the store's
//     maxFailedAttempts guesses however many sessions complete at once (SPEC
//     section 9);
//  2. decode, range-check, check staleness against the credential read in step 1, and
//     verify M1, all without holding the store;
//  3. commit: a second Update writes only if the credential's identity and version are
//     still those the session started on (renewal through UpdateCredential's
//     compare-and-set, authentication by re-reading), so a renewal that committed
//     between steps 1 and 3 makes this one STALE_SESSION and no acknowledged renewal
//     is lost, and releases the reservation.
//
// Failures that must move something (a wrong proof counts toward lockout) use their
// own small Update, which also releases the reservation; every other failure writes
// nothing after step 1 but the release of its reservation, uncounted.
func (s *Server) complete(c *gin.Context, flow api.Flow) (*api.CompleteResponse, error) {
	// The body is read before anything else: an oversized body is a transport error
	// (413) and does not consume the session.
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	return s.completeSession(c.Request.Context(), flow, tenantOf(c), c.Param("storeName"), c.Param("sessionId"),
		c.GetHeader("Content-Type"), body)
}

// completeSession is complete after the body has been read, for callers that are not
// a Gin handler (such as a process engine's completion activity), so that they behave
// exactly like the endpoint.
func (s *Server) completeSession(ctx context.Context, flow api.Flow, tenant, storeName, sessionID, contentType string, body []byte) (*api.CompleteResponse, error) {
	if !flow.Valid() {
		return nil, fmt.Errorf("refserver: complete: invalid flow")
	}
	// Request shape and encodings are checked before the session is taken, and
	// reported after its lookup, in the order of SPEC section 2: a request that
	// cannot be evaluated then takes no lockout attempt and never waits for one.
	in, shapeErr := parseCompletion(contentType, body, flow, s.params)
	now := s.now()
	found, err := s.consume(ctx, flow, tenant, storeName, sessionID, now, shapeErr == nil && flow != api.FlowRegistration)
	if found != nil {
		// Every way out releases a reservation that is still held; the paths that
		// settle it in their own Update (a counted failure, the commit) clear
		// found.reserved.
		defer s.releaseAttempt(ctx, found)
	}
	if err != nil {
		return nil, err
	}
	if shapeErr != nil {
		return nil, shapeErr
	}
	if found.busy {
		if err := s.awaitAttempt(ctx, flow, found); err != nil {
			return nil, err
		}
		now = s.now()
	}

	// Ranges: the public value first (it counts toward lockout), then the verifier.
	if in.a != nil {
		if err := s.params.CheckPublic(in.a); err != nil {
			s.metrics.srp(srpKindVerify, srpOutcomeInvalidPublicValue)
			return nil, s.countFailure(ctx, found, now, err)
		}
	}
	if in.verifier != nil {
		if err := s.params.CheckVerifier(in.verifier); err != nil {
			s.metrics.srp(srpKindVerifier, srpOutcomeInvalidVerifier)
			return nil, err
		}
		s.metrics.srp(srpKindVerifier, srpOutcomeOK)
		in.verifier = fixedWidth(in.verifier, s.params.Group().Size())
	}

	// Staleness, against the credential as it was when the attempt was reserved.
	if flow == api.FlowRegistration {
		if found.cred != nil {
			return nil, store.ErrCredentialExists
		}
	} else if !sameCredential(found.cred, found.sess) {
		return nil, errStaleSession
	}

	// The proof. Only a correct M1 yields M2 (srp.Server.Verify guarantees it).
	var m2 []byte
	if flow != api.FlowRegistration {
		m2, err = s.verifyProof(found, in)
		if err != nil {
			if errors.Is(err, srp.ErrInvalidProof) || errors.Is(err, srp.ErrInvalidPublicValue) {
				return nil, s.countFailure(ctx, found, now, err)
			}
			return nil, err
		}
	}

	// History and the commit.
	user, err := s.commit(ctx, flow, found, in.verifier, now)
	if err != nil {
		return nil, err
	}
	resp := &api.CompleteResponse{User: apiUser(user, now)}
	if m2 != nil {
		resp.AlgorithmInfo = &api.AlgorithmInfo{
			Type: api.AlgorithmSRP,
			Parameters: api.SRPParameters{
				HashAlgorithm: s.params.HashName(),
				M2:            srp.EncodeInt(m2),
			},
		}
	}
	return resp, nil
}

// consume is step 1 of complete: take the session, which must belong to this flow,
// tenant and store, and read what the later steps need (prepare), reserving a
// lockout attempt when attempt is set. A session of another flow or store is
// reported as not found and is NOT consumed (store.Sessions.Take), so that a caller
// who may use one store cannot burn another store's sessions. Once the session is
// taken it is consumed whatever happens next (SPEC section 7), and the completion is
// returned, beside the error of a later step if there is one: a completion whose
// Update fails has used its session up without a proof being looked at.
func (s *Server) consume(ctx context.Context, flow api.Flow, tenant, storeName, id string, now time.Time, attempt bool) (*completion, error) {
	ref := store.SessionRef{ID: id, Flow: store.Flow(flow), Tenant: tenant, Store: storeName}
	sess, err := s.store.Sessions().Take(ctx, ref, now)
	if errors.Is(err, store.ErrSessionNotFound) {
		// Name the first missing link of the path instead, if there is one.
		if serr := s.store.View(ctx, func(tx store.Tx) error {
			_, err := tx.IdentityStore(ctx, tenant, storeName)
			return err
		}); serr != nil {
			return nil, serr
		}
	}
	if err != nil {
		return nil, err
	}
	found := &completion{sess: sess}
	var p prepared
	err = s.store.Update(ctx, func(tx store.Tx) error {
		// Failures are reported beside a nil return, so that what prepare did (a
		// reservation) stays.
		p = prepare(ctx, tx, flow, found, now, attempt)
		return nil
	})
	if err != nil {
		return found, err
	}
	// Only a committed Update holds a reservation: set after it, not inside fn.
	found.reserved, found.busy = p.reserved, p.busy
	return found, p.err
}

// prepared is what prepare did.
type prepared struct {
	reserved, busy bool
	err            error
}

// prepare reads, inside an Update of a completion of flow, what its later steps
// need: the user, whose status must let it complete anything (SPEC section 9), then,
// when attempt is set, one of its lockout attempts (reserveAttempt), then for renewal
// the policy and the credential. The credential is read after the reservation, so
// that a completion that waited for its attempt checks staleness against the
// credential as it is once it may go on. Failures are returned for the caller to
// report beside a nil return of its Update, which must keep what it did before.
func prepare(ctx context.Context, tx store.Tx, flow api.Flow, found *completion, now time.Time, attempt bool) prepared {
	var p prepared
	sess := found.sess
	if found.user, p.err = tx.User(ctx, sess.Tenant, sess.Store, sess.UserID); p.err != nil {
		return p
	}
	if p.err = statusError(found.user, now); p.err != nil {
		return p
	}
	if attempt {
		switch err := reserveAttempt(ctx, tx, sess, now); {
		case errors.Is(err, store.ErrAttemptsBusy):
			p.busy = true
			return p
		case err != nil:
			p.err = err
			return p
		}
		p.reserved = true
	}
	if flow == api.FlowRenewal {
		// Only renewal uses the policy at completion (its passcodeHistory).
		if found.policy, p.err = tx.Policy(ctx, sess.Tenant, sess.Store, sess.Policy); p.err != nil {
			return p
		}
	}
	found.cred = nil
	cred, err := tx.Credential(ctx, sess.Tenant, sess.Store, sess.UserID)
	switch {
	case errors.Is(err, store.ErrCredentialNotFound):
	case err != nil:
		p.err = err
	default:
		found.cred = &cred
	}
	return p
}

// sameCredential reports whether cred is the credential the session started on: same
// identity (a deleted and re-registered credential has a new one) and same version.
func sameCredential(cred *store.Credential, sess store.Session) bool {
	return cred != nil && cred.Identity == sess.Identity && cred.Version == sess.CredentialVersion
}

// verifyProof checks the client's A and M1 against the session's secret b and the
// credential's verifier, and returns M2.
func (s *Server) verifyProof(found *completion, in *completionInput) ([]byte, error) {
	// B was stored with b at start: taking it as stored saves recomputing k*v + g^b.
	srv, err := s.params.ResumeServerWithB([]byte(found.sess.Identity), found.sess.Salt, found.cred.Verifier, found.sess.ServerSecret, found.sess.ServerPublic)
	if err != nil {
		s.metrics.srp(srpKindVerify, srpOutcomeError)
		// Stored data the server itself wrote: not the client's error (%v, not %w).
		return nil, fmt.Errorf("refserver: cannot resume session: %v", err)
	}
	m2, err := srv.Verify(in.a, in.m1)
	switch {
	case err == nil:
		s.metrics.srp(srpKindVerify, srpOutcomeOK)
	case errors.Is(err, srp.ErrInvalidProof):
		s.metrics.srp(srpKindVerify, srpOutcomeInvalidProof)
	case errors.Is(err, srp.ErrInvalidPublicValue):
		s.metrics.srp(srpKindVerify, srpOutcomeInvalidPublicValue)
	default:
		s.metrics.srp(srpKindVerify, srpOutcomeError)
	}
	return m2, err
}

// commit is step 3 of complete: re-check the credential, enforce history, write the
// credential and reset the failure count, all or nothing. It returns the user as
// stored.
func (s *Server) commit(ctx context.Context, flow api.Flow, found *completion, verifier []byte, now time.Time) (store.User, error) {
	sess := found.sess
	var user store.User
	err := s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(ctx, sess.Tenant, sess.Store, sess.UserID)
		if err != nil {
			return err
		}
		// The user may have been locked or disabled while the proof was checked.
		if err := statusError(u, now); err != nil {
			return err
		}
		switch flow {
		case api.FlowRegistration:
			// CreateCredential refuses a second credential: a registration of the same
			// user that committed first makes this one PASSCODE_ALREADY_REGISTERED.
			err := tx.CreateCredential(ctx, store.Credential{
				Tenant:   sess.Tenant,
				Store:    sess.Store,
				UserID:   sess.UserID,
				Identity: sess.Identity,
				Salt:     sess.Salt,
				Verifier: verifier,
				Version:  1,
			})
			if err != nil {
				return err
			}
			user = u
			return nil
		case api.FlowAuthentication:
			cur, err := tx.Credential(ctx, sess.Tenant, sess.Store, sess.UserID)
			if errors.Is(err, store.ErrCredentialNotFound) {
				return errStaleSession
			}
			if err != nil {
				return err
			}
			if !sameCredential(&cur, sess) {
				return errStaleSession
			}
		case api.FlowRenewal:
			// found.cred is the credential the proof was checked against. The history
			// check uses it, and UpdateCredential writes its successor only if the
			// stored credential still has its identity and version (compare-and-set):
			// history only changes with the version, so the check saw the stored one.
			// passcodeHistory counts the current passcode; Reuses compares every
			// candidate in constant time.
			if found.cred.Reuses(verifier, found.policy.Requirements.PasscodeHistory) {
				return errHistory
			}
			if err := tx.UpdateCredential(ctx, found.cred.Renewed(verifier)); err != nil {
				if errors.Is(err, store.ErrCredentialNotFound) {
					return errStaleSession
				}
				return err
			}
		}
		if found.reserved {
			if err := tx.ReleaseAttempt(ctx, sess.Tenant, sess.Store, sess.UserID); err != nil {
				return err
			}
		}
		user = u.WithSuccess(now)
		if user == u {
			return nil // nothing to reset: save the write
		}
		return tx.UpdateUser(ctx, user)
	})
	if err == nil && found.reserved {
		found.reserved = false
		s.gates.settle(attemptKeyOf(sess))
	}
	return user, err
}

// apiUser is the wire form of a user, with the status as of now.
func apiUser(u store.User, now time.Time) api.User {
	return api.User{
		ID:          u.ID,
		ExternalID:  u.ExternalID,
		Status:      api.UserStatus(u.StatusAt(now)),
		DateCreated: api.NewTimestamp(u.DateCreated),
	}
}

// fixedWidth returns an integer encoding at exactly size bytes: left-padded, or with
// surplus leading zero bytes dropped (the caller has range-checked it). Only the
// encoding's length, which is public, decides what happens.
func fixedWidth(b []byte, size int) []byte {
	for len(b) > size && b[0] == 0 {
		b = b[1:]
	}
	out := make([]byte, size)
	copy(out[size-len(b):], b)
	return out
}

// completionInput is a decoded completion request.
type completionInput struct {
	verifier []byte // registration and renewal
	a, m1    []byte // authentication and renewal
}

// parseCompletion decodes and checks the shape of a completion body for flow: the
// members the flow needs, present and decodable; the members it does not use,
// absent. Range checks are the caller's.
func parseCompletion(contentType string, body []byte, flow api.Flow, p *srp.Params) (*completionInput, error) {
	var req api.CompleteRequest
	if err := decodeJSON(contentType, body, &req); err != nil {
		return nil, err
	}
	needReg := flow != api.FlowAuthentication
	needVer := flow != api.FlowRegistration
	switch {
	case needReg && req.SRPRegistrationData == nil:
		return nil, invalidRequest("member %q is required", "srpRegistrationData")
	case !needReg && req.SRPRegistrationData != nil:
		return nil, invalidRequest("member %q is not used by this flow", "srpRegistrationData")
	case needVer && req.SRPVerificationData == nil:
		return nil, invalidRequest("member %q is required", "srpVerificationData")
	case !needVer && req.SRPVerificationData != nil:
		return nil, invalidRequest("member %q is not used by this flow", "srpVerificationData")
	}
	in := &completionInput{}
	var err error
	if needReg {
		v := req.SRPRegistrationData.Verifier
		if err := requiredString("srpRegistrationData.verifier", v); err != nil {
			return nil, err
		}
		if in.verifier, err = srp.DecodeInt(v); err != nil {
			return nil, invalidRequest("member %q is not base64", "srpRegistrationData.verifier")
		}
	}
	if needVer {
		vd := req.SRPVerificationData
		if err := requiredString("srpVerificationData.a", vd.A); err != nil {
			return nil, err
		}
		if err := requiredString("srpVerificationData.m1", vd.M1); err != nil {
			return nil, err
		}
		if in.a, err = srp.DecodeInt(vd.A); err != nil {
			return nil, invalidRequest("member %q is not base64", "srpVerificationData.a")
		}
		if in.m1, err = srp.DecodeProof(vd.M1, p.Hash().Size()); err != nil {
			return nil, invalidRequest("member %q is not a base64 proof of %d bytes", "srpVerificationData.m1", p.Hash().Size())
		}
	}
	return in, nil
}
