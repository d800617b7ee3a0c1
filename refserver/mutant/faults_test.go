package mutant

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// httpFault wraps the real handler in a middleware that makes one fault visible at
// the wire.
type httpFault func(e *env, next http.Handler) http.Handler

// internalErrorOnBadBase64 answers 500 where the server refuses a completion whose
// verifier, a or m1 is not base64 (SPEC.md section 2: no client input may produce a
// 5xx). The session is consumed as before.
func internalErrorOnBadBase64(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete {
			next.ServeHTTP(w, r)
			return
		}
		body, ok, err := readBody(r)
		if err != nil || !ok {
			next.ServeHTTP(w, r)
			return
		}
		rec := serve(next, r)
		if rec.Code == http.StatusBadRequest && errorCode(rec.Body.Bytes()) == api.CodeInvalidRequest && hasBadBase64(body) {
			out, _ := json.Marshal(api.NewError(api.CodeInternal, "internal error"))
			replay(w, rec, http.StatusInternalServerError, out)
			return
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// hasBadBase64 reports whether a completion body carries a verifier, a or m1 string
// that no base64 alphabet decodes.
func hasBadBase64(body []byte) bool {
	var m map[string]map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	for _, obj := range m {
		for _, key := range []string{"verifier", "a", "m1"} {
			s, ok := obj[key].(string)
			if !ok || s == "" {
				continue
			}
			decodes := false
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				if _, err := enc.DecodeString(s); err == nil {
					decodes = true
				}
			}
			if !decodes {
				return true
			}
		}
	}
	return false
}

// noPermissionCheckOnCompletion leaves out the permission check of the three
// completion endpoints: any valid token of any tenant completes a session (SPEC.md
// section 3). Authentication still holds: a bad token is still 401.
func noPermissionCheckOnCompletion(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if ok && rt.kind == routeComplete {
			if c, err := e.tokens.parse(r.Header.Get("Authorization")); err == nil && !c.Expired {
				e.grant(r, c.Subject, []string{api.Permission(rt.tenant, api.OpAll)})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tenantIgnored checks a permission's operation but not its tenant: a token that may
// renew in one tenant may renew in every tenant (SPEC.md section 3).
func tenantIgnored(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		c, err := e.tokens.parse(r.Header.Get("Authorization"))
		if err != nil || c.Expired {
			next.ServeHTTP(w, r)
			return
		}
		op := rt.operation()
		for _, p := range c.Permissions {
			parts := strings.SplitN(p, "#", 3)
			if len(parts) == 3 && parts[0] == "TNT" && (parts[2] == op || parts[2] == api.OpAll) {
				e.grant(r, c.Subject, []string{api.Permission(rt.tenant, parts[2])})
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

// expiredTokensAccepted takes a correctly signed token after its exp (SPEC.md
// section 3: an expired token is 401).
func expiredTokensAccepted(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := e.tokens.parse(r.Header.Get("Authorization")); err == nil && c.Expired {
			e.grant(r, c.Subject, c.Permissions)
		}
		next.ServeHTTP(w, r)
	})
}

// grant replaces r's token with a fresh one for sub with perms, standing in for a
// server that let the original through.
func (e *env) grant(r *http.Request, sub string, perms []string) {
	now := time.Now()
	if tok, err := e.srv.IssueToken(sub, perms, now, now.Add(time.Hour)); err == nil {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
}

var minimumLength = regexp.MustCompile(`"minimumLength":(\d+)`)

// requirementsChanged returns the policy's requirements with minimumLength one more
// than the policy says (SPEC.md section 8: verbatim).
func requirementsChanged(_ *env, next http.Handler) http.Handler {
	return editStartAnswers(next, func(_ route, body []byte) []byte {
		if loc := minimumLength.FindSubmatchIndex(body); loc != nil {
			n, _ := strconv.Atoi(string(body[loc[2]:loc[3]]))
			body = append(append(append([]byte(nil), body[:loc[2]]...), strconv.Itoa(n+1)...), body[loc[3]:]...)
		}
		return body
	})
}

// verifierRangeUnchecked takes a verifier outside 1 < v < N-1 (SPEC.md section 6).
// The store only holds verifiers in range, so the variant stores v mod N, or 2 where
// that is out of range too: either way the client's verifier is accepted.
func verifierRangeUnchecked(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow == api.FlowAuthentication {
			next.ServeHTTP(w, r)
			return
		}
		body, ok, err := readBody(r)
		if err != nil || !ok {
			next.ServeHTTP(w, r)
			return
		}
		req, ok := canonicalCompletion(body)
		if ok && req.SRPRegistrationData != nil {
			if v, err := srp.DecodeInt(req.SRPRegistrationData.Verifier); err == nil && e.params.CheckVerifier(v) != nil {
				n := e.params.Group().N()
				in := new(big.Int).Mod(new(big.Int).SetBytes(v), n)
				if in.Cmp(big.NewInt(1)) <= 0 || in.Cmp(new(big.Int).Sub(n, big.NewInt(1))) == 0 {
					in.SetInt64(2)
				}
				req.SRPRegistrationData.Verifier = srp.EncodeInt(e.params.Pad(in.Bytes()))
				if body, err = json.Marshal(req); err == nil {
					setBody(r, body)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sessionAnyFlow completes a session through any flow's endpoint: the completion is
// served as the flow the session was started for (SPEC.md section 7: bound to its
// flow).
func sessionAnyFlow(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if ok && rt.kind == routeComplete {
			sess, err := e.peekSession(r.Context(), rt.session)
			if err == nil && sess.Flow != store.Flow(rt.flow) && sess.Tenant == rt.tenant && sess.Store == rt.store {
				segs := append([]string(nil), rt.segs...)
				segs[rt.flowAt] = api.Flow(sess.Flow).Segment()
				_ = rewritePath(r, segs)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// extAnyStore looks an external id up in every store of the tenant, not only the
// store the path names: a start by external id for a user of another store is
// served by that store (SPEC.md sections 1 and 4: externalId is unique per store).
func extAnyStore(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if ok && rt.kind == routeStart && rt.ext {
			if other, found := e.storeOfExternalID(r, rt); found {
				segs := append([]string(nil), rt.segs...)
				segs[rt.storeAt] = other
				_ = rewritePath(r, segs)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// storeOfExternalID returns another store of the route's tenant that has a user with
// the route's external id, when the route's own store has none.
func (e *env) storeOfExternalID(r *http.Request, rt route) (string, bool) {
	var other string
	err := e.srv.Store().View(r.Context(), func(tx store.Tx) error {
		_, err := tx.UserByExternalID(r.Context(), rt.tenant, rt.store, rt.user)
		if !errors.Is(err, store.ErrUserNotFound) {
			return errors.New("found in its own store, or no such store")
		}
		for _, s := range e.stores[rt.tenant] {
			if s == rt.store {
				continue
			}
			if _, err := tx.UserByExternalID(r.Context(), rt.tenant, s, rt.user); err == nil {
				other = s
				return nil
			}
		}
		return store.ErrUserNotFound
	})
	return other, err == nil
}
