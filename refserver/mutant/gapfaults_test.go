package mutant

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// The faults of the MUSTs that issue 11's audit found without a variant: each is a
// slip a real implementation makes in one place only (one handler that forgets its
// Content-Type, one error message that says too much, one policy branch that skips
// the write, one lookup with the wrong collation, one refusal that returns before
// the session is taken, one admin lookup by id alone), so that only a check that
// looks at that place catches it.

// completionsSniffed answers the registration and authentication completions
// without a Content-Type, as a handler that writes its JSON with w.Write and sets no
// header does: net/http then sniffs the body and sends "text/plain; charset=utf-8"
// (SPEC.md section 2: responses carry Content-Type: application/json). The renewal
// completion, the starts and every error keep theirs.
func completionsSniffed(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow == api.FlowRenewal {
			next.ServeHTTP(w, r)
			return
		}
		rec := serve(next, r)
		if rec.Code == http.StatusOK {
			rec.Header().Del("Content-Type")
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// verifierInHistoryError names the stored verifier that a renewal's new verifier
// matched, in hex, in the message of its 400 PASSCODE_HISTORY_VIOLATION, as a
// developer's debugging aid left in (SPEC.md section 2: no response ever carries a
// verifier). The status, code and body shape are the real server's.
func verifierInHistoryError(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow != api.FlowRenewal {
			next.ServeHTTP(w, r)
			return
		}
		body, ok, err := readBody(r)
		if err != nil || !ok {
			next.ServeHTTP(w, r)
			return
		}
		rec := serve(next, r)
		out := rec.Body.Bytes()
		var req api.CompleteRequest
		if rec.Code == http.StatusBadRequest && errorCode(out) == api.CodePasscodeHistoryViolation &&
			json.Unmarshal(body, &req) == nil && req.SRPRegistrationData != nil {
			if v, err := srp.DecodeInt(req.SRPRegistrationData.Verifier); err == nil {
				e := api.NewError(api.CodePasscodeHistoryViolation, "the new verifier equals stored verifier "+hex.EncodeToString(v))
				out, _ = json.Marshal(e)
			}
		}
		replay(w, rec, rec.Code, out)
	})
}

// saltPerStore hands every user of a store the same salt, derived from the tenant
// and store names, as a server that takes the salt from its configuration instead of
// drawing one per credential would (SPEC.md section 2: nothing of another user's
// credential leaves the server; section 1: the salt is the credential's). The real
// server stores a salt of its own, which only the client's x depends on, so the
// start answers show the store's salt throughout and every flow still verifies.
func saltPerStore(_ *env, next http.Handler) http.Handler {
	return editStartAnswers(next, func(rt route, body []byte) []byte {
		salt := sha256.Sum256([]byte("salt of " + rt.tenant + "/" + rt.store))
		body, _ = replaceString(body, "salt", srp.EncodeSalt(salt[:]))
		return body
	})
}

// editStartAnswers serves every request with next and hands the body of each 200
// start answer to edit, answering what edit returns.
func editStartAnswers(next http.Handler, edit func(rt route, body []byte) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeStart {
			next.ServeHTTP(w, r)
			return
		}
		rec := serve(next, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = edit(rt, body)
		}
		replay(w, rec, rec.Code, body)
	})
}

// renewalUnsavedWithoutHistory answers a renewal under a policy with
// passcodeHistory 0 with 200 and a correct m2 but keeps the old verifier, as a
// history-0 branch that returns before the credential write would (SPEC.md sections
// 4 and 8: afterwards the new passcode authenticates and the old one does not, under
// every policy). The middleware writes the old verifier back over the new one, as a
// further renewal, so the credential's version still moves.
func renewalUnsavedWithoutHistory(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow != api.FlowRenewal {
			next.ServeHTTP(w, r)
			return
		}
		sess, before, found := e.lookup(r.Context(), rt)
		rec := serve(next, r)
		if found && rec.Code == http.StatusOK {
			_ = e.srv.Store().Update(r.Context(), func(tx store.Tx) error {
				pol, err := tx.Policy(r.Context(), sess.Tenant, sess.Store, sess.Policy)
				if err != nil || pol.Requirements.PasscodeHistory != 0 {
					return err
				}
				cur, err := tx.Credential(r.Context(), sess.Tenant, sess.Store, sess.UserID)
				if err != nil || cur.Version != before.Version+1 {
					return err
				}
				return tx.UpdateCredential(r.Context(), cur.Renewed(before.Verifier))
			})
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// pathNamesFolded finds a start's store, policy and user (by user id) by names
// compared case-insensitively when none has the exact name, as lookups in a
// case-insensitive database collation do (SPEC.md section 2: every path value is
// compared as exact bytes). External ids keep their exact lookup (ext-id-case-folded
// is that fault).
func pathNamesFolded(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeStart {
			next.ServeHTTP(w, r)
			return
		}
		segs := slices.Clone(rt.segs)
		storeName := rt.store
		// Only a name found in another case changes the path: every other request
		// reaches the server byte for byte.
		if i := slices.IndexFunc(e.stores[rt.tenant], func(s string) bool { return strings.EqualFold(s, rt.store) }); i >= 0 &&
			!slices.Contains(e.stores[rt.tenant], rt.store) {
			storeName = e.stores[rt.tenant][i]
			segs[rt.storeAt] = url.PathEscape(storeName)
		}
		policyAt := len(segs) - 1
		if rt.ext {
			policyAt--
		}
		ctx := r.Context()
		_ = e.srv.Store().View(ctx, func(tx store.Tx) error {
			if _, err := tx.User(ctx, rt.tenant, storeName, rt.user); !rt.ext && errors.Is(err, store.ErrUserNotFound) {
				if u, err := tx.User(ctx, rt.tenant, storeName, strings.ToUpper(rt.user)); err == nil {
					segs[rt.storeAt+2] = url.PathEscape(u.ID)
				}
			}
			if _, err := tx.Policy(ctx, rt.tenant, storeName, rt.policy); !errors.Is(err, store.ErrPolicyNotFound) {
				return err
			}
			pols, err := tx.Policies(ctx, rt.tenant, storeName)
			if err != nil {
				return err
			}
			if i := slices.IndexFunc(pols, func(p store.Policy) bool { return strings.EqualFold(p.Name, rt.policy) }); i >= 0 {
				segs[policyAt] = url.PathEscape(pols[i].Name)
			}
			return nil
		})
		if !slices.Equal(segs, rt.segs) {
			_ = rewritePath(r, segs)
		}
		next.ServeHTTP(w, r)
	})
}

// sessionKeptOnRangeRefusal leaves a session open when its completion is refused
// with INVALID_PUBLIC_VALUE or INVALID_VERIFIER, as a handler that checks the
// ranges before it takes the session would (SPEC.md sections 2 and 7: a completion
// for a known session consumes it whatever its outcome). The real server's lockout
// count stands.
func sessionKeptOnRangeRefusal(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := e.peekSession(r.Context(), rt.session)
		rec := serve(next, r)
		code := errorCode(rec.Body.Bytes())
		if err == nil && rec.Code == http.StatusBadRequest && (code == api.CodeInvalidPublicValue || code == api.CodeInvalidVerifier) {
			_, _ = e.srv.Store().Sessions().Put(r.Context(), sess, store.SessionLimits{}, time.Time{})
		}
		replay(w, rec, rec.Code, rec.Body.Bytes())
	})
}

// adminUsersByIDAlone finds the user of an admin read or credential deletion by its
// id in any tenant and store when the path's store has no such user, as a handler
// that looks users up by their (globally unique) id alone would (SPEC.md sections 1
// and 3: a tenant is isolated, every path names one). The permission check still
// runs for the path's tenant, before the lookup.
func adminUsersByIDAlone(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ar, ok := parseAdminRoute(r)
		byID := ok && ar.tail[0] == "users" && (len(ar.tail) == 2 && r.Method == http.MethodGet ||
			len(ar.tail) == 3 && ar.tail[2] == "passcodes" && r.Method == http.MethodDelete)
		if !byID {
			next.ServeHTTP(w, r)
			return
		}
		c, err := e.tokens.parse(r.Header.Get("Authorization"))
		allowed := err == nil && !c.Expired && (slices.Contains(c.Permissions, api.Permission(ar.tenant, api.OpAdmin)) ||
			slices.Contains(c.Permissions, api.Permission(ar.tenant, api.OpAll)))
		if tenant, storeName, found := e.ownerOf(r.Context(), ar, ar.tail[1]); allowed && found {
			segs := []string{"tenants", url.PathEscape(tenant), "stores", url.PathEscape(storeName)}
			for _, s := range ar.tail {
				segs = append(segs, url.PathEscape(s))
			}
			if rewritePath(r, segs) == nil {
				e.grant(r, c.Subject, []string{api.Permission(tenant, api.OpAdmin)})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ownerOf returns the tenant and store of the user id when the admin route's own
// store has no such user and another store has.
func (e *env) ownerOf(ctx context.Context, ar adminRoute, id string) (tenant, storeName string, found bool) {
	_ = e.srv.Store().View(ctx, func(tx store.Tx) error {
		if _, err := tx.User(ctx, ar.tenant, ar.store, id); !errors.Is(err, store.ErrUserNotFound) && !errors.Is(err, store.ErrStoreNotFound) {
			return nil
		}
		for t, stores := range e.stores {
			for _, s := range stores {
				if _, err := tx.User(ctx, t, s, id); err == nil {
					tenant, storeName, found = t, s, true
					return nil
				}
			}
		}
		return nil
	})
	return tenant, storeName, found
}

// registrationVerifierStrict decodes a registration's verifier with the strict
// standard base64 decoder only, as a registration handler written apart from the
// renewal's would (SPEC.md section 6: receivers MUST accept both base64 alphabets,
// missing = padding and leading zeros): a verifier in the base64url alphabet or
// without its padding is 400 INVALID_REQUEST, and the session is taken as any
// completion's is. The renewal's verifier keeps the real server's decoder.
func registrationVerifierStrict(e *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeComplete || rt.flow != api.FlowRegistration {
			next.ServeHTTP(w, r)
			return
		}
		body, ok, err := readBody(r)
		var req api.CompleteRequest
		if err != nil || !ok || json.Unmarshal(body, &req) != nil || req.SRPRegistrationData == nil {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(req.SRPRegistrationData.Verifier); err == nil {
			next.ServeHTTP(w, r)
			return
		}
		e.refuseTaking(w, r, rt, "the verifier is not base64")
	})
}

// m1FixedLength refuses an authentication or renewal completion whose m1 does not
// decode to exactly the hash size with 400 INVALID_REQUEST, as a decoder that checks
// the length of the H output would (SPEC.md section 6: receivers MUST also accept m1
// as an integer encoding, leading zero bytes stripped or one extra 0x00). The
// session is taken as any completion's is.
func m1FixedLength(e *env, next http.Handler) http.Handler {
	size := e.params.Hash().Size()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		req, isVerification := verificationBody(r)
		if !ok || rt.kind != routeComplete || !isVerification {
			next.ServeHTTP(w, r)
			return
		}
		m1, err := srp.DecodeInt(req.SRPVerificationData.M1)
		if err != nil || len(m1) == size {
			next.ServeHTTP(w, r)
			return
		}
		e.refuseTaking(w, r, rt, "m1 is not a SHA-256 output")
	})
}

// refuseTaking answers a completion 400 INVALID_REQUEST with message, after taking
// its session, as the real server does for any completion of a known session.
func (e *env) refuseTaking(w http.ResponseWriter, r *http.Request, rt route, message string) {
	e.takeSession(r.Context(), rt.session)
	out, _ := json.Marshal(api.NewError(api.CodeInvalidRequest, message))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(out)
}

// extStartsNeedBody refuses an external-id start without a body with 400
// INVALID_REQUEST, as a handler that binds its JSON body strictly does (SPEC.md
// section 4: the start body is {}, and an absent body is accepted too). The
// user-id starts keep the real server's leniency.
func extStartsNeedBody(_ *env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r)
		if !ok || rt.kind != routeStart || !rt.ext || r.ContentLength > 0 {
			next.ServeHTTP(w, r)
			return
		}
		out, _ := json.Marshal(api.NewError(api.CodeInvalidRequest, "the request body is required"))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(out)
	})
}
