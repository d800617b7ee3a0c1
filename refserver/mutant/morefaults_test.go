package mutant

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// More HTTP faults, beside those of faults_test.go: the faults whose checks the
// suite gained after the first variants (docs/mutation.md). Some of them are faults
// in what the server remembers (a failure count not reset, sessions closed by a
// failure, a lock checked too early), which a store wrapper would make more
// directly; they are middlewares that read and write the real server's store
// instead, so that storeFaults and startVariant stay as they are. A fault that keeps
// state (ids it has handed out, sessions it has seen start) keeps it in the
// middleware made for one server, never in the package.

// extRenewalStartUnchecked leaves out the permission check of the renewal start by
// external id: any valid token of any tenant starts a renewal there (SPEC.md section
// 3). Authentication still holds: a bad or expired token is still 401.
func extRenewalStartUnchecked(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if ok && rt.kind == routeStart && rt.ext && rt.flow == api.FlowRenewal && rt.tenant != "" {
			if c, err := e.tokens.parse(r.Header.Get("Authorization")); err == nil && !c.Expired {
				e.grant(r, c.Subject, []string{api.Permission(rt.tenant, rt.operation())})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// adminAnyPermission lets any valid token use the admin endpoints (SPEC.md sections
// 3 and 5: permission IdentityStore:admin of the path's tenant). A bad or expired
// token is still 401.
func adminAnyPermission(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ar, ok := parseAdminRoute(r); ok && ar.tenant != "" {
			if c, err := e.tokens.parse(r.Header.Get("Authorization")); err == nil && !c.Expired {
				e.grant(r, c.Subject, []string{api.Permission(ar.tenant, api.OpAdmin)})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// adminRoute is a request for an admin endpoint of SPEC.md section 5, in either path
// form: the tenant, the store and the unescaped segments after {P}.
type adminRoute struct {
	tenant, store string
	tail          []string
}

// parseAdminRoute recognises the admin endpoints: {P}/users... and
// {P}/passcodePolicy... that are not passcode endpoints.
func parseAdminRoute(r *http.Request) (adminRoute, bool) {
	if _, passcode := parseRoute(r); passcode {
		return adminRoute{}, false
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), api.DefaultPrefix+"/")
	if !ok {
		return adminRoute{}, false
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return adminRoute{}, false
		}
		segs[i] = u
	}
	var ar adminRoute
	switch {
	case len(segs) >= 5 && segs[0] == "tenants" && segs[2] == "stores":
		ar = adminRoute{tenant: segs[1], store: segs[3], tail: segs[4:]}
	case len(segs) >= 3 && segs[0] == "stores":
		ar = adminRoute{tenant: hostTenant(r.Host), store: segs[1], tail: segs[2:]}
	default:
		return adminRoute{}, false
	}
	return ar, ar.tail[0] == "users" || ar.tail[0] == "passcodePolicy"
}

// extIDsMatching finds a user by an external id that same says equals one of the
// store's, where the server finds none by the exact bytes (SPEC.md section 2: exact
// bytes, no case folding, no Unicode normalization). The store cannot list its
// users, so the middleware remembers the external ids of the users created through
// its admin API, as a server comparing ids loosely would have them at hand.
func extIDsMatching(same func(stored, asked string) bool) httpFault {
	return func(e *env, next http.Handler) http.Handler {
		type storeKey struct{ tenant, store string }
		var (
			mu    sync.Mutex
			known = map[storeKey][]string{}
		)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rt, ok := parseRoute(r); ok && rt.kind == routeStart && rt.ext {
				err := e.srv.Store().View(r.Context(), func(tx store.Tx) error {
					_, err := tx.UserByExternalID(r.Context(), rt.tenant, rt.store, rt.user)
					return err
				})
				if errors.Is(err, store.ErrUserNotFound) {
					mu.Lock()
					ids := slices.Clone(known[storeKey{rt.tenant, rt.store}])
					mu.Unlock()
					if i := slices.IndexFunc(ids, func(id string) bool { return id != rt.user && same(id, rt.user) }); i >= 0 {
						segs := slices.Clone(rt.segs)
						segs[rt.storeAt+2] = url.PathEscape(ids[i])
						_ = rewritePath(r, segs)
					}
				}
				next.ServeHTTP(w, r)
				return
			}
			ar, ok := parseAdminRoute(r)
			if !ok || r.Method != http.MethodPost || len(ar.tail) != 1 || ar.tail[0] != "users" {
				next.ServeHTTP(w, r)
				return
			}
			rec := serve(next, r)
			var u api.User
			if rec.Code == http.StatusCreated && json.Unmarshal(rec.Body.Bytes(), &u) == nil && u.ExternalID != "" {
				mu.Lock()
				k := storeKey{ar.tenant, ar.store}
				known[k] = append(known[k], u.ExternalID)
				mu.Unlock()
			}
			replay(w, rec, rec.Code, rec.Body.Bytes())
		})
	}
}

// sameNormalized compares external ids after NFC normalization, so that an id in NFC
// and the same id in NFD are one.
func sameNormalized(a, b string) bool { return norm.NFC.String(a) == norm.NFC.String(b) }

// bodyLimitOffByOne refuses a body of exactly 64 KiB with 413 (SPEC.md section 2:
// bodies over 64 KiB are 413, so 65,536 bytes is not over).
func bodyLimitOffByOne(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok, err := readBody(r)
		if err == nil && ok && len(body) == maxBody {
			out, _ := json.Marshal(api.NewError(api.CodePayloadTooLarge, "the request body is larger than 64 KiB"))
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write(out)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sessionIDsSequential hands out session ids that count up from a random base: 16
// bytes, the first 8 random per server, the last 8 a counter, as a 26-character ID
// (SPEC.md section 1: unpredictable, no id derivable from others). Each stands for
// the real server's id, which it is translated back to at completion.
func sessionIDsSequential(_ *env, next http.Handler) http.Handler {
	var base [16]byte
	_, _ = rand.Read(base[:8])
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	var (
		mu     sync.Mutex
		count  uint64
		realID = map[string]string{}
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		switch {
		case ok && rt.kind == routeStart:
			rec := serve(next, r)
			body := rec.Body.Bytes()
			var sr api.StartResponse
			if rec.Code == http.StatusOK && json.Unmarshal(body, &sr) == nil && sr.SessionID != "" {
				mu.Lock()
				count++
				id := base
				binary.BigEndian.PutUint64(id[8:], count)
				fake := enc.EncodeToString(id[:])
				realID[fake] = sr.SessionID
				mu.Unlock()
				body, _ = replaceString(body, "sessionId", fake)
			}
			replay(w, rec, rec.Code, body)
			return
		case ok && rt.kind == routeComplete:
			mu.Lock()
			id, found := realID[rt.session]
			mu.Unlock()
			if found {
				segs := slices.Clone(rt.segs)
				segs[len(segs)-1] = url.PathEscape(id)
				_ = rewritePath(r, segs)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// publicValueReduced reduces A mod N before the range check (SPEC.md section 6: A >=
// N is refused): A+N and A+2N are taken as A. A = N and 2N reduce to 0 and are
// refused all the same.
func publicValueReduced(e *env, next http.Handler) http.Handler {
	n := e.params.Group().N()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow == api.FlowRegistration {
			next.ServeHTTP(w, r)
			return
		}
		if req, ok := verificationBody(r); ok {
			if A, err := srp.DecodeInt(req.SRPVerificationData.A); err == nil {
				if a := new(big.Int).SetBytes(A); a.Cmp(n) >= 0 {
					req.SRPVerificationData.A = srp.EncodeInt(e.params.Pad(a.Mod(a, n).Bytes()))
					rewriteBody(r, req)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authErrorsPlainText answers the token check's refusals, 401 and 403, as plain
// text, "CODE: message", instead of the section 10 JSON body (SPEC.md section 10:
// every non-2xx response), as an authorization layer written apart from the API's
// error handling might. The status is the real server's. (Every error as plain text
// cannot be run: the suite's preflight takes a start for an unknown user that is not
// answered in JSON for a wrong base URL or prefix, and stops before any check.)
func authErrorsPlainText(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := serve(next, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
			if ae, err := api.DecodeError(body); err == nil {
				body = []byte(string(ae.Code) + ": " + ae.Message + "\n")
				rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
			}
		}
		replay(w, rec, rec.Code, body)
	})
}

// userExtraMember shows the user's count of failed proofs in every user object, a
// member more than SPEC.md section 2 allows ("a user object is exactly {id,
// externalId, status, dateCreated}"): in completion answers and admin user answers.
func userExtraMember(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tenant, storeName string
		completion := false
		if rt, ok := parseRoute(r); ok && rt.kind == routeComplete {
			tenant, storeName, completion = rt.tenant, rt.store, true
		} else if ar, ok := parseAdminRoute(r); ok && ar.tail[0] == "users" && (len(ar.tail) == 1 || len(ar.tail) == 2 ||
			len(ar.tail) == 3 && ar.tail[2] == "ext") && r.Method != http.MethodDelete {
			tenant, storeName = ar.tenant, ar.store
		} else {
			next.ServeHTTP(w, r)
			return
		}
		rec := serve(next, r)
		body := rec.Body.Bytes()
		if rec.Code/100 == 2 {
			var u api.User
			at := 1 // the admin answers are the user object
			if completion {
				var cr api.CompleteResponse
				_ = json.Unmarshal(body, &cr)
				u = cr.User
				if at = strings.Index(string(body), `"user":{`); at >= 0 {
					at += len(`"user":{`)
				}
			} else {
				_ = json.Unmarshal(body, &u)
			}
			var su store.User
			err := e.srv.Store().View(r.Context(), func(tx store.Tx) error {
				var err error
				su, err = tx.User(r.Context(), tenant, storeName, u.ID)
				return err
			})
			if err == nil && at > 0 && len(body) > at {
				member := `"failedAttempts":` + strconv.Itoa(su.FailedAttempts) + `,`
				body = append(append(append([]byte(nil), body[:at]...), member...), body[at:]...)
			}
		}
		replay(w, rec, rec.Code, body)
	})
}

// renewalKeepsFailures leaves the user's count of failed proofs as it was after a
// successful renewal (SPEC.md section 9: "a successful one resets the count"). A
// successful authentication still resets it.
func renewalKeepsFailures(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow != api.FlowRenewal {
			next.ServeHTTP(w, r)
			return
		}
		var before store.User
		sess, err := e.peekSession(r.Context(), rt.session)
		if err == nil {
			err = e.srv.Store().View(r.Context(), func(tx store.Tx) error {
				before, err = tx.User(r.Context(), sess.Tenant, sess.Store, sess.UserID)
				return err
			})
		}
		rec := serve(next, r)
		if failures := before.FailuresAt(time.Now()); err == nil && rec.Code == http.StatusOK && failures > 0 {
			_ = e.srv.Store().Update(r.Context(), func(tx store.Tx) error {
				u, err := tx.User(r.Context(), before.Tenant, before.Store, before.ID)
				if err != nil || u.FailedAttempts != 0 {
					return err
				}
				u.FailedAttempts = failures
				return tx.UpdateUser(r.Context(), u)
			})
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// historyBeforeProof checks the history rule of a renewal before its proof (SPEC.md
// section 2: the proof M1, then history): a renewal whose new verifier breaks history
// is answered PASSCODE_HISTORY_VIOLATION whatever its proof, and so never counts
// toward lockout. It hands the real server, which checks the proof first, the right
// M1 for the client's A: the real server then answers from its history rule, and
// consumes the session and settles the lockout attempt as it does for any history
// violation. Every check before staleness (session, shape, ranges, the user's
// status) stays the real server's.
func historyBeforeProof(e *env, next http.Handler) http.Handler {
	p := e.params
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow != api.FlowRenewal {
			next.ServeHTTP(w, r)
			return
		}
		req, ok := verificationBody(r)
		if !ok || req.SRPRegistrationData == nil {
			next.ServeHTTP(w, r)
			return
		}
		A, errA := srp.DecodeInt(req.SRPVerificationData.A)
		v, errV := srp.DecodeInt(req.SRPRegistrationData.Verifier)
		_, errM1 := srp.DecodeProof(req.SRPVerificationData.M1, p.Hash().Size())
		sess, cred, found := e.lookup(r.Context(), rt)
		if errA != nil || errV != nil || errM1 != nil || !found || p.CheckPublic(A) != nil || p.CheckVerifier(v) != nil {
			next.ServeHTTP(w, r)
			return
		}
		var (
			u   store.User
			pol store.Policy
		)
		err := e.srv.Store().View(r.Context(), func(tx store.Tx) error {
			var err error
			if u, err = tx.User(r.Context(), sess.Tenant, sess.Store, sess.UserID); err != nil {
				return err
			}
			pol, err = tx.Policy(r.Context(), sess.Tenant, sess.Store, sess.Policy)
			return err
		})
		if st := u.StatusAt(time.Now()); err == nil && st != store.StatusLocked && st != store.StatusTempLocked &&
			st != store.StatusDisabled && cred.Reuses(p.Pad(v), pol.Requirements.PasscodeHistory) {
			realA := p.Pad(A)
			S := p.ServerS(realA, cred.Verifier, p.U(realA, sess.ServerPublic), sess.ServerSecret)
			req.SRPVerificationData.M1 = srp.EncodeInt(p.M1([]byte(sess.Identity), sess.Salt, realA, sess.ServerPublic, S))
			rewriteBody(r, req)
		}
		next.ServeHTTP(w, r)
	})
}

// sessionAnyStore completes a session through another store's path of its tenant:
// the completion is served as the session's own store (SPEC.md section 7: bound to
// its store).
func sessionAnyStore(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if ok && rt.kind == routeComplete {
			sess, err := e.peekSession(r.Context(), rt.session)
			if err == nil && sess.Flow == store.Flow(rt.flow) && sess.Tenant == rt.tenant && sess.Store != rt.store {
				segs := slices.Clone(rt.segs)
				segs[rt.storeAt] = url.PathEscape(sess.Store)
				_ = rewritePath(r, segs)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// userKey names a user: tenant, store and user id.
type userKey struct{ tenant, store, user string }

// peekSession reads the unexpired session id without taking it.
func (e *env) peekSession(ctx context.Context, id string) (store.Session, error) {
	return e.srv.Store().Sessions().Get(ctx, id, time.Now())
}

// takeSession takes the unexpired session id, whatever its flow, tenant and store,
// if it is there.
func (e *env) takeSession(ctx context.Context, id string) {
	if sess, err := e.peekSession(ctx, id); err == nil {
		_, _ = e.srv.Store().Sessions().Take(ctx, store.RefOf(sess), time.Now())
	}
}

// verificationBody reads a completion body that a middleware may rewrite: canonical
// (canonicalCompletion), with srpVerificationData. Any other body reaches the
// server byte for byte.
func verificationBody(r *http.Request) (*api.CompleteRequest, bool) {
	body, ok, err := readBody(r)
	if err != nil || !ok {
		return nil, false
	}
	req, ok := canonicalCompletion(body)
	return req, ok && req.SRPVerificationData != nil
}

// rewriteBody makes req r's body.
func rewriteBody(r *http.Request, req *api.CompleteRequest) {
	if body, err := json.Marshal(req); err == nil {
		setBody(r, body)
	}
}

// failureClosesSessions ends the user's other open sessions when a completion fails
// with INVALID_PROOF or INVALID_PUBLIC_VALUE (SPEC.md section 9: "A counted failure
// changes nothing else: the user's other open sessions stay valid"). The store cannot
// list a user's sessions, so the middleware remembers the sessions it saw start.
func failureClosesSessions(e *env, next http.Handler) http.Handler {
	var (
		mu   sync.Mutex
		open = map[userKey][]string{}
	)
	sessionOwner := func(r *http.Request, id string) (userKey, bool) {
		sess, err := e.peekSession(r.Context(), id)
		return userKey{sess.Tenant, sess.Store, sess.UserID}, err == nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if rt.kind == routeStart {
			rec := serve(next, r)
			var sr api.StartResponse
			if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &sr) == nil {
				if k, ok := sessionOwner(r, sr.SessionID); ok {
					mu.Lock()
					open[k] = append(open[k], sr.SessionID)
					mu.Unlock()
				}
			}
			replay(w, rec, rec.Code, rec.Body.Bytes())
			return
		}
		k, owned := sessionOwner(r, rt.session)
		rec := serve(next, r)
		if owned {
			mu.Lock()
			ids := slices.DeleteFunc(open[k], func(id string) bool { return id == rt.session })
			counted := rec.Code == http.StatusBadRequest && slices.Contains([]api.Code{api.CodeInvalidProof, api.CodeInvalidPublicValue}, errorCode(rec.Body.Bytes()))
			if counted {
				delete(open, k)
			} else {
				open[k] = ids
			}
			mu.Unlock()
			if counted {
				for _, id := range ids {
					e.takeSession(r.Context(), id)
				}
			}
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// holdWindow is how long lockoutUnserialized holds a completion after the last
// completion of the same user arrived: a burst sent at once arrives well within it.
const holdWindow = 100 * time.Millisecond

// lockoutUnserialized checks the lock when a completion arrives and then evaluates
// its proof whatever else of the user is in flight (SPEC.md section 9: one user's
// completions are counted as if they ran one at a time): of a burst of wrong proofs
// that arrives before the lock, every one is answered INVALID_PROOF. The real server
// does serialize them and answers the rest USER_LOCKED; the middleware reads the
// user's lockout state as each completion arrives, holds the completions of a user
// until none has arrived for holdWindow (so that a whole burst is read before any of
// it is served), and answers INVALID_PROOF for a wrong proof the real server refused
// for a lock that was not there when it arrived. The real server's count stands.
//
// A right proof that arrives while the user is unlocked is served at once, ahead of
// the held wrong ones, so that the real server accepts it (200), as a server that
// evaluates every completion it lets in would: holding it too would have the real
// server refuse it for the lock the held wrong proofs make, and answering that
// USER_LOCKED beside wrong proofs answered INVALID_PROOF would break a second MUST of
// section 9 (the lock is never a passcode oracle). It still extends the hold, so the
// wrong ones of its burst wait behind it.
func lockoutUnserialized(e *env, next http.Handler) http.Handler {
	m := newMaths(e.params, srpFaults{})
	var (
		mu    sync.Mutex
		until = map[userKey]time.Time{}
	)
	extend := func(k userKey) {
		mu.Lock()
		until[k] = time.Now().Add(holdWindow)
		mu.Unlock()
	}
	hold := func(k userKey) {
		extend(k)
		for {
			mu.Lock()
			d := time.Until(until[k])
			mu.Unlock()
			if d <= 0 {
				return
			}
			time.Sleep(d)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow == api.FlowRegistration {
			next.ServeHTTP(w, r)
			return
		}
		req, ok := verificationBody(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		A, errA := srp.DecodeInt(req.SRPVerificationData.A)
		m1, errM1 := srp.DecodeProof(req.SRPVerificationData.M1, e.params.Hash().Size())
		sess, cred, found := e.lookup(r.Context(), rt)
		if errA != nil || errM1 != nil || !found {
			next.ServeHTTP(w, r)
			return
		}
		var (
			u  store.User
			is store.IdentityStore
		)
		err := e.srv.Store().View(r.Context(), func(tx store.Tx) error {
			var err error
			if u, err = tx.User(r.Context(), sess.Tenant, sess.Store, sess.UserID); err != nil {
				return err
			}
			is, err = tx.IdentityStore(r.Context(), sess.Tenant, sess.Store)
			return err
		})
		now := time.Now()
		unlocked := err == nil && u.StatusAt(now) == store.StatusActive && u.FailuresAt(now) < is.Lock.OrDefault().MaxFailedAttempts
		d := m.decide(A, m1, new(big.Int).SetBytes(cred.Verifier), m.secret(sess), new(big.Int).SetBytes(sess.ServerPublic))
		if k := (userKey{sess.Tenant, sess.Store, sess.UserID}); unlocked && d.accept {
			extend(k)
		} else {
			hold(k)
		}
		rec := serve(next, r)
		out := rec.Body.Bytes()
		if unlocked && !d.refusePublic && !d.accept && rec.Code == http.StatusBadRequest && errorCode(out) == api.CodeUserLocked {
			out, _ = json.Marshal(api.NewError(api.CodeInvalidProof, "the proof is not correct"))
		}
		replay(w, rec, rec.Code, out)
	})
}
