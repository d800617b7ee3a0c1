package mutant

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
)

// routeKind is which passcode endpoint a request is for.
type routeKind int

const (
	routeStart routeKind = iota + 1
	routeComplete
)

// route is a passcode request of SPEC.md section 4, parsed from its path. Segments
// are unescaped; segs keeps the escaped ones for rewriting.
type route struct {
	kind   routeKind
	flow   api.Flow
	tenant string
	store  string
	// user, ext and policy are a start's.
	user   string
	ext    bool
	policy string
	// session is a completion's.
	session string

	// segs are the escaped path segments after the prefix; storeAt and flowAt index
	// the store and the flow segment in them.
	segs    []string
	storeAt int
	flowAt  int
}

// parseRoute recognises the start and completion endpoints in both path forms
// (SPEC.md section 2): prefix/tenants/{t}/stores/{s}/... and prefix/stores/{s}/...
// with the tenant in the Host header.
func parseRoute(r *http.Request) (route, bool) {
	if r.Method != http.MethodPost {
		return route{}, false
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), api.DefaultPrefix+"/")
	if !ok {
		return route{}, false
	}
	rt := route{segs: strings.Split(rest, "/")}
	un := make([]string, len(rt.segs))
	for i, s := range rt.segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return route{}, false
		}
		un[i] = u
	}
	var tail []string
	switch {
	case len(un) >= 4 && un[0] == "tenants" && un[2] == "stores":
		rt.tenant, rt.store, rt.storeAt, tail = un[1], un[3], 3, un[4:]
	case len(un) >= 2 && un[0] == "stores":
		rt.tenant, rt.store, rt.storeAt, tail = hostTenant(r.Host), un[1], 1, un[2:]
	default:
		return route{}, false
	}
	base := rt.storeAt + 1
	flowOf := func(seg string) (api.Flow, bool) {
		for _, f := range api.Flows() {
			if f.Segment() == seg {
				return f, true
			}
		}
		return "", false
	}
	switch {
	case len(tail) == 4 && tail[0] == "passcodes" && tail[2] == "sessions":
		rt.kind, rt.session, rt.flowAt = routeComplete, tail[3], base+1
		rt.flow, ok = flowOf(tail[1])
	case (len(tail) == 5 || len(tail) == 6 && tail[5] == "ext") && tail[0] == "users" && tail[2] == "passcodes":
		rt.kind, rt.user, rt.policy, rt.ext, rt.flowAt = routeStart, tail[1], tail[4], len(tail) == 6, base+3
		rt.flow, ok = flowOf(tail[3])
	default:
		return route{}, false
	}
	return rt, ok
}

// hostTenant is the first DNS label of a Host header, as refserver reads it.
func hostTenant(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, _, _ := strings.Cut(strings.TrimSuffix(host, "."), ".")
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return ""
	}
	return strings.ToLower(label)
}

// rewritePath points r at the path made of segs (escaped segments after the prefix).
func rewritePath(r *http.Request, segs []string) error {
	escaped := api.DefaultPrefix + "/" + strings.Join(segs, "/")
	p, err := url.PathUnescape(escaped)
	if err != nil {
		return err
	}
	r.URL.Path, r.URL.RawPath = p, escaped
	r.RequestURI = r.URL.RequestURI()
	return nil
}

// maxBody is the largest body a middleware reads; anything longer goes to the server
// untouched (it answers 413).
const maxBody = 64 << 10

// readBody reads r's body and puts it back so the server reads it again. ok is false
// for a body too long to inspect.
func readBody(r *http.Request) (body []byte, ok bool, err error) {
	if r.Body == nil {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > maxBody {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		return nil, false, nil
	}
	setBody(r, body)
	return body, true, nil
}

// setBody replaces r's body.
func setBody(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if r.Header.Get("Content-Length") != "" {
		r.Header.Set("Content-Length", fmt.Sprint(len(body)))
	}
}

// serve runs h on r and returns the recorded answer, for a middleware that rewrites
// it.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// replay writes a recorded answer to w with body in place of the recorded one.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder, status int, body []byte) {
	for k, vs := range rec.Header() {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorCode is the code of a section 10 error body, or "".
func errorCode(body []byte) api.Code {
	e, err := api.DecodeError(body)
	if err != nil {
		return ""
	}
	return e.Code
}

// canonicalCompletion decodes a completion body when it is exactly what encoding/json
// writes for api.CompleteRequest (compact, members in order, nothing else): the
// bodies of correct completions. A middleware that rewrites values only touches such
// bodies, so that malformed input reaches the server byte for byte.
func canonicalCompletion(body []byte) (*api.CompleteRequest, bool) {
	var req api.CompleteRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return nil, false
	}
	again, err := json.Marshal(&req)
	if err != nil {
		return nil, false
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil || !bytes.Equal(compact.Bytes(), again) {
		return nil, false
	}
	return &req, true
}

// replaceString replaces the value of the first JSON string member named key in
// body (a compact encoding/json answer) with value.
func replaceString(body []byte, key, value string) ([]byte, bool) {
	marker := []byte(`"` + key + `":"`)
	i := bytes.Index(body, marker)
	if i < 0 {
		return body, false
	}
	start := i + len(marker)
	end := bytes.IndexByte(body[start:], '"')
	if end < 0 {
		return body, false
	}
	out := append([]byte(nil), body[:start]...)
	out = append(out, value...)
	return append(out, body[start+end:]...), true
}

// tokens verifies access tokens as the variant's server does: ES256 with the
// server's signing key, its issuer, the claims of SPEC.md section 3. The server
// itself signs them (refserver.Server.IssueToken).
type tokens struct {
	key *ecdsa.PrivateKey
}

// claims are a verified token's claims.
type claims struct {
	Subject     string
	Permissions []string
	Expired     bool
}

// parse verifies the bearer token of an Authorization header. Expiry is reported,
// not refused.
func (tk tokens) parse(header string) (*claims, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return nil, errors.New("mutant: no bearer token")
	}
	var mc jwt.MapClaims
	_, err := jwt.ParseWithClaims(raw, &mc, func(*jwt.Token) (any, error) { return &tk.key.PublicKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithIssuer(refserver.DefaultIssuer),
		jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, err
	}
	return claimsFrom(mc)
}

// claimsFrom reads the sub, exp and permissions of a token's claims.
func claimsFrom(mc jwt.MapClaims) (*claims, error) {
	c := &claims{}
	c.Subject, _ = mc.GetSubject()
	exp, err := mc.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, errors.New("mutant: token without exp")
	}
	c.Expired = !time.Now().Before(exp.Time)
	perms, _ := mc["permissions"].([]any)
	for _, p := range perms {
		if s, ok := p.(string); ok {
			c.Permissions = append(c.Permissions, s)
		}
	}
	return c, nil
}

// operation is the permission operation of a passcode route (SPEC.md section 3).
func (rt route) operation() string {
	if rt.kind == routeComplete {
		return rt.flow.CompleteOperation()
	}
	return rt.flow.StartOperation(rt.ext)
}
