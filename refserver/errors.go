package refserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// errorMapping is one row of the table from domain and SRP errors to wire errors.
type errorMapping struct {
	err     error
	code    api.Code
	message string
}

// errorTable is the ONE place where domain (store, srp, passcode, token) errors become
// API codes; the status then comes from api's code table. Messages are fixed strings
// for people: they never carry the Go error text, which may name internals. A function,
// not a package variable, so nothing can change it.
func errorTable() []errorMapping {
	return []errorMapping{
		{store.ErrTenantNotFound, api.CodeTenantNotFound, "tenant not found"},
		{store.ErrStoreNotFound, api.CodeStoreNotFound, "identity store not found"},
		{store.ErrPolicyNotFound, api.CodePolicyNotFound, "passcode policy not found"},
		{store.ErrUserNotFound, api.CodeUserNotFound, "user not found"},
		{store.ErrSessionNotFound, api.CodeSessionNotFound, "session not found"},
		{store.ErrCredentialNotFound, api.CodePasscodeNotRegistered, "the user has no registered passcode"},
		{store.ErrCredentialExists, api.CodePasscodeAlreadyRegistered, "the user already has a registered passcode"},
		{store.ErrExternalIDTaken, api.CodeExternalIDNotUnique, "another user of this store has this externalId"},
		{store.ErrVersionConflict, api.CodeStaleSession, "the passcode changed after this session started"},
		{store.ErrPolicyExists, api.CodeInvalidRequest, "a passcode policy with this name exists"},
		{store.ErrInvalid, api.CodeInvalidRequest, "the request is not valid"},
		{passcode.ErrInvalidPolicy, api.CodeInvalidRequest, "the passcode policy is not valid"},
		{srp.ErrInvalidPublicValue, api.CodeInvalidPublicValue, "the client public value is out of range"},
		{srp.ErrInvalidVerifier, api.CodeInvalidVerifier, "the verifier is out of range"},
		{srp.ErrInvalidProof, api.CodeInvalidProof, "the proof is not correct"},
		{srp.ErrEncoding, api.CodeInvalidRequest, "a value is not correctly encoded"},
		// A session's SRP server verifies once; a second attempt is a second completion
		// of the same session, which the spec answers as a consumed session.
		{srp.ErrUsed, api.CodeSessionNotFound, "session not found"},
		{ErrNoToken, api.CodeUnauthorized, "a bearer token is required"},
		{ErrBadToken, api.CodeUnauthorized, "the bearer token is not valid"},
		{errForbidden, api.CodeForbidden, "the token does not grant this operation"},
		{errStaleSession, api.CodeStaleSession, "the passcode changed after this session started"},
		{errHistory, api.CodePasscodeHistoryViolation, "the new passcode was used recently"},
		{errUserLocked, api.CodeUserLocked, "the user is locked"},
		{errUserDisabled, api.CodeUserDisabled, "the user is disabled"},
		{errTooLarge, api.CodePayloadTooLarge, "the request body is larger than 64 KiB"},
		{errHeadersTooLarge, CodeHeadersTooLarge, "the request line and headers are larger than 64 KiB"},
		{errHTTP2Preface, api.CodeInvalidRequest, "this server speaks HTTP/1.1 in cleartext; HTTP/2 without TLS is not served"},
		{store.ErrSessionsFull, CodeTooManyRequests, "the server holds as many open sessions as it allows; try again later"},
		{errThrottled, CodeTooManyRequests, "too many failed client authentications for this client; try again later"},
	}
}

// Error codes of the server's own limits, in the style of SPEC.md section 10. SPEC
// section 10 lists no code for either status (section 3 names 429 with Retry-After
// for the token endpoint's throttle), and api's table has no row for them, so
// statusOf gives their status, as processErrorTable does for the process codes.
const (
	// CodeTooManyRequests is a request refused for a limit on how often or how much
	// (429, with Retry-After in whole seconds): a token request after too many
	// failed client authentications of its client id, or a start while the server
	// holds Config.MaxSessions sessions. SPEC section 2 rules out a 5xx for what a
	// client sends, so a full server is 429 too, not 503.
	CodeTooManyRequests api.Code = "TOO_MANY_REQUESTS"
	// CodeHeadersTooLarge is a request whose request line and header fields are over
	// MaxHeaderBytes (431).
	CodeHeadersTooLarge api.Code = "HEADERS_TOO_LARGE"
)

// statusOf is the HTTP status that carries e: api's table, else the status of the
// server's own codes above, else 500 (api.Error.Status).
func statusOf(e *api.Error) int {
	switch {
	case e.Code.Status() != 0:
		return e.Code.Status()
	case e.Code == CodeTooManyRequests:
		return http.StatusTooManyRequests
	case e.Code == CodeHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return e.Status()
}

// retryLater is a refusal that the same request may get past later: abortWith
// answers it with Retry-After, after rounded up to whole seconds (at least 1). The
// table maps the error it wraps.
type retryLater struct {
	err   error
	after time.Duration
}

func (r *retryLater) Error() string { return r.err.Error() }
func (r *retryLater) Unwrap() error { return r.err }

// retryAfterSeconds is d as a Retry-After delay-seconds value (RFC 9110 section
// 10.2.3): whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// Errors the handlers raise themselves; toAPIError maps them like the domain ones.
var (
	errForbidden    = errors.New("refserver: permission missing")
	errStaleSession = errors.New("refserver: stale session")
	errHistory      = errors.New("refserver: passcode history violation")
	errUserLocked   = errors.New("refserver: user locked")
	errUserDisabled = errors.New("refserver: user disabled")
	errTooLarge     = errors.New("refserver: request body too large")
	// errHeadersTooLarge: the request line and headers are over MaxHeaderBytes.
	errHeadersTooLarge = errors.New("refserver: request headers too large")
	// errHTTP2Preface: a cleartext HTTP/2 connection preface (PRI * HTTP/2.0).
	errHTTP2Preface = errors.New("refserver: cleartext HTTP/2 preface")
	// errThrottled: the token endpoint's throttle refused a client authentication.
	errThrottled = errors.New("refserver: client authentication throttled")
)

// toAPIError turns any handler error into the wire error. An *api.Error in the chain
// wins (handlers build those for request-shape problems, with a message naming the
// field); then the table; anything else is an internal failure whose detail stays in
// the log.
func toAPIError(err error) (e *api.Error, internal bool) {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae, false
	}
	for _, m := range errorTable() {
		if errors.Is(err, m.err) {
			return api.NewError(m.code, m.message), false
		}
	}
	return api.NewError(api.CodeInternal, "internal error"), true
}

// invalidRequest is a 400 INVALID_REQUEST naming what is wrong with the request. The
// message must be about the shape of the request only, never echo a value.
func invalidRequest(format string, args ...any) *api.Error {
	return api.Errorf(api.CodeInvalidRequest, format, args...)
}

// abortWith answers err in the section 10 shape and stops the handler chain. Internal
// errors are logged here, by kind and route only: store errors can quote records, and
// records hold verifiers.
func (s *Server) abortWith(c *gin.Context, err error) {
	e, internal := toAPIError(err)
	if internal {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("route", c.FullPath()),
			slog.String("method", c.Request.Method),
			slog.String("error", err.Error()),
		)
	}
	var rl *retryLater
	if errors.As(err, &rl) {
		c.Header("Retry-After", retryAfterSeconds(rl.after))
	}
	c.AbortWithStatusJSON(statusOf(e), e)
}

// noRoute answers paths that name no endpoint.
func noRoute(c *gin.Context) {
	e := api.NewError(api.CodeNotFound, "no endpoint at this path")
	c.AbortWithStatusJSON(e.Status(), e)
}

// noMethod answers known paths asked with a method they do not serve.
func noMethod(c *gin.Context) {
	e := api.NewError(api.CodeMethodNotAllowed, "method not allowed on this path")
	c.AbortWithStatusJSON(e.Status(), e)
}

// recovery turns a panic into 500 INTERNAL_ERROR without leaking its text to the
// client. http.ErrAbortHandler keeps its meaning (abort the response silently).
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler { //nolint:errorlint // sentinel identity, as net/http compares it
			panic(r)
		}
		// The panic value is our own code's message (no handler panics with request
		// data), so it goes to the log; never to the client.
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "handler panic",
			slog.String("route", c.FullPath()),
			slog.String("method", c.Request.Method),
			slog.String("panic", fmt.Sprint(r)),
		)
		if !c.Writer.Written() {
			e := api.NewError(api.CodeInternal, "internal error")
			c.AbortWithStatusJSON(e.Status(), e)
			return
		}
		c.Abort()
	}()
	c.Next()
}
