package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// tokensState is the token the OAuth steps obtained and the client id it was
// issued to.
type tokensState struct {
	token, clientID string
}

// tokensSteps registers the steps of features/tokens.feature.
func tokensSteps(c *godog.ScenarioContext) {
	newState[tokensState](c)
	c.Step(stepRE(`^the client asks for a token of the full role by (HTTP Basic|form fields)$`), askFullToken)
	c.Step(stepRE(`^the client asks for a token of the full role with a wrong secret$`), askFullTokenWrongSecret)
	c.Step(stepRE(`^the answer is a bearer token response that is not cached$`), answerIsBearerToken)
	c.Step(stepRE(`^the token is an ES256 JWT with the claims iss, sub, iat, exp and permissions$`), tokenIsES256JWT)
	c.Step(stepRE(`^the token's signature verifies with a key of the JWKS document$`), tokenSignatureVerifies)
}

func askFullToken(ctx context.Context, how string) error {
	s := sc(ctx)
	id, secret, err := s.clientCredentials()
	if err != nil {
		return err
	}
	cl, err := s.w.tgt.NewClient("", s.w.hc)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	var resp *api.TokenResponse
	var ex *api.Exchange
	if how == "HTTP Basic" {
		resp, ex, err = cl.Token(ctx, id, secret)
	} else {
		resp, ex, err = cl.TokenWithForm(ctx, id, secret)
	}
	if ex != nil {
		s.last = ex
	}
	if api.IsTransport(err) {
		return s.fail(ex, "no answer from the server: %v", err)
	}
	if resp != nil {
		st := state[tokensState](ctx)
		st.token, st.clientID = resp.AccessToken, id
	}
	return nil
}

func askFullTokenWrongSecret(ctx context.Context) error {
	s := sc(ctx)
	id, _, err := s.clientCredentials()
	if err != nil {
		return err
	}
	cl, err := s.w.tgt.NewClient("", s.w.hc)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	_, ex, err := cl.Token(ctx, id, "wrong-"+randomHex(8))
	if ex != nil {
		s.last = ex
	}
	if api.IsTransport(err) {
		return s.fail(ex, "no answer from the server: %v", err)
	}
	return nil
}

func answerIsBearerToken(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	var tr api.TokenResponse
	if err := json.Unmarshal(ex.ResponseBody, &tr); err != nil {
		return s.fail(ex, "the answer is not a token response: %v", err)
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "Bearer") || tr.ExpiresIn <= 0 {
		return s.fail(ex, `the token response is {access_token set: %v, token_type %q, expires_in %d}, want an access_token, "Bearer" and a positive expires_in`,
			tr.AccessToken != "", tr.TokenType, tr.ExpiresIn)
	}
	if cc := ex.ResponseHeader.Get("Cache-Control"); !strings.Contains(strings.ToLower(cc), "no-store") {
		return s.fail(ex, "Cache-Control is %q, want no-store (RFC 6749 section 5.1)", cc)
	}
	return nil
}

func tokenIsES256JWT(ctx context.Context) error {
	s := sc(ctx)
	hdr, claims, _, err := splitJWT(state[tokensState](ctx).token)
	if err != nil {
		return s.fail(s.last, "%v", err)
	}
	if hdr["alg"] != "ES256" {
		return s.fail(s.last, "the token's alg is %v, want ES256", hdr["alg"])
	}
	var probs []string
	if v, _ := claims["iss"].(string); v == "" {
		probs = append(probs, "iss is missing")
	}
	if v, _ := claims["sub"].(string); v != state[tokensState](ctx).clientID {
		probs = append(probs, fmt.Sprintf("sub is %v, want the client id %q", claims["sub"], state[tokensState](ctx).clientID))
	}
	iat, okI := claims["iat"].(float64)
	exp, okE := claims["exp"].(float64)
	if !okI || !okE || exp <= iat {
		probs = append(probs, "iat and exp must be numbers with exp after iat")
	}
	if _, ok := claims["permissions"].([]any); !ok {
		probs = append(probs, "permissions is missing or not an array")
	}
	if len(probs) > 0 {
		return s.fail(s.last, "the token's claims: %s", strings.Join(probs, "; "))
	}
	return nil
}

func tokenSignatureVerifies(ctx context.Context) error {
	s := sc(ctx)
	cl, err := s.w.tgt.NewClient("", s.w.hc)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	ex, err := cl.Do(ctx, http.MethodGet, api.JWKSPath, nil, nil)
	if err != nil {
		return s.fail(ex, "no answer from the server: %v", err)
	}
	if ex.Status != http.StatusOK {
		return s.fail(ex, "GET %s answered %d, want 200", api.JWKSPath, ex.Status)
	}
	if err := verifyES256(state[tokensState](ctx).token, ex.ResponseBody); err != nil {
		return s.fail(ex, "%v", err)
	}
	return nil
}

// useCredential sets how the following requests authenticate.
func (s *scenario) useCredential(ctx context.Context, what string) error {
	set := func(h string) { s.auth = &h }
	full := func() (string, error) {
		tok, err := s.w.tokens.Token(ctx, sut.RoleFull)
		if err != nil {
			return "", s.fail(nil, "cannot get the full role's token: %v", err)
		}
		return tok, nil
	}
	switch what {
	case "no token":
		set("")
	case "an empty bearer token":
		set("Bearer ")
	case "a token that is not a JWT":
		set("Bearer not-a-jwt-" + randomHex(8))
	case "a token with a broken signature", "an unsigned token with alg none", "a token signed by a key it carries":
		tok, err := full()
		if err != nil {
			return err
		}
		f := map[string]forgery{
			"a token with a broken signature":    forgedSignature,
			"an unsigned token with alg none":    forgedAlgNone,
			"a token signed by a key it carries": forgedEmbeddedKey,
		}[what]
		forged, err := forge(f, tok)
		if errors.Is(err, errNotJWS) {
			return notApplicable{reason: "the full role's token is not a JWS, so no forgery of it can be made"}
		}
		if err != nil {
			return s.fail(nil, "cannot forge a token: %v", err)
		}
		set("Bearer " + forged)
	case "the full token under Basic":
		tok, err := full()
		if err != nil {
			return err
		}
		set("Basic " + tok)
	case "the expired token":
		// The role's client gives tokens that expire within seconds (SPEC section
		// 3): one is waited out, once per run, and sent as it is.
		tok, err := s.w.tokens.Expired(ctx, sut.RoleExpired, waitMargin(s.last))
		if err != nil {
			return s.fail(nil, "cannot get an expired token of the expired role: %v", err)
		}
		s.role = sut.RoleExpired
		set("Bearer " + tok)
	default:
		role := map[string]sut.Role{
			"the full token":           sut.RoleFull,
			"the renewal-only token":   sut.RoleRenewal,
			"the no-permission token":  sut.RoleNone,
			"the other tenant's token": sut.RoleOtherTenant,
		}[what]
		s.role, s.auth = role, nil
	}
	return nil
}

// minWaitMargin is the least margin a step that waits something out (a token's or a
// session's lifetime) adds to the wait.
const minWaitMargin = time.Second

// waitMargin is what a step that waits out a lifetime the server counts adds to it:
// four times the slowest of the exchanges it knows of, and at least minWaitMargin,
// so that a correct server whose answers take a second each still sees the
// lifetime passed when the next request reaches it (docs/conformance.md).
func waitMargin(exs ...*api.Exchange) time.Duration {
	m := minWaitMargin
	for _, ex := range exs {
		if ex != nil {
			m = max(m, 4*ex.Duration)
		}
	}
	return m
}

// sendRequest sends one of the requests the permission checks name, as the
// scenario's current credential. Completions use a session started as the full
// role, so that only the credential of the completion itself is under test.
func (s *scenario) sendRequest(ctx context.Context, what string) error {
	u, err := s.needUser()
	if err != nil {
		return err
	}
	t := s.w.tgt
	p := s.paths()
	pol := s.policyName(sut.PolicyStandard)
	switch what {
	case "a renewal start for an unknown user":
		_, err = s.send(ctx, http.MethodPost, p.Start(api.FlowRenewal, s.store, api.ByID(unknownID()), pol), emptyObject())
		return err
	case "a renewal start in an unknown store":
		_, err = s.send(ctx, http.MethodPost, p.Start(api.FlowRenewal, "rk-no-store-"+randomHex(4), api.ByID(u.id), pol), emptyObject())
		return err
	case "an admin user creation":
		_, err = s.send(ctx, http.MethodPost, p.Users(s.store), []byte(`{"externalId":"`+freshExternalID()+`"}`))
		return err
	case "an admin user read":
		_, err = s.send(ctx, http.MethodGet, p.User(s.store, api.ByID(u.id)), nil)
		return err
	case "an admin policy read":
		_, err = s.send(ctx, http.MethodGet, p.Policy(s.store, pol), nil)
		return err
	}
	fields := strings.Fields(what) // "a renewal start by user id", "an authentication completion"
	flow := api.Flow(fields[1])
	if fields[2] == "start" {
		form := strings.Join(fields[4:], " ")
		_, err = s.send(ctx, http.MethodPost, p.Start(flow, s.store, u.ref(form), pol), emptyObject())
		return err
	}
	// A completion: start the session as the full role, for a user in the right
	// state for the flow (a registration needs a user without a passcode).
	owner := u
	if flow == api.FlowRegistration && u.pass != "" {
		if owner, err = s.newUser(ctx, false, sut.PolicyStandard); err != nil {
			return err
		}
	}
	c, err := s.adminClient(ctx, t.Tenant)
	if err != nil {
		return err
	}
	sr, ex, err := c.Start(ctx, flow, t.Store, api.ByID(owner.id), pol)
	if err != nil {
		return s.fail(ex, "setup: the %s start as the full role failed: %v", flow, err)
	}
	sess := &session{flow: flow, user: owner, pass: owner.pass, startEx: ex, start: sr, id: sr.SessionID}
	if sess.sp, err = api.ParseStart(sr, s.w.params.Profile(), flow != api.FlowRegistration); err != nil {
		return s.fail(ex, "setup: the start answer cannot be used: %v", err)
	}
	body, err := s.body(sess)
	if err != nil {
		return err
	}
	_, err = s.send(ctx, http.MethodPost, p.Complete(flow, s.store, sess.id), body)
	return err
}

// clientCredentials returns the full role's client id and secret, or ends the
// scenario as not applicable when the target gives the role a static token.
func (s *scenario) clientCredentials() (string, string, error) {
	return s.roleCredentials(sut.RoleFull)
}

// roleCredentials returns role's client id and secret, or ends the scenario as not
// applicable when the target gives the role a static token.
func (s *scenario) roleCredentials(role sut.Role) (string, string, error) {
	c := s.w.tgt.Tokens[role]
	if c.ClientID == "" {
		return "", "", notApplicable{reason: "the target's " + string(role) + " role uses a static token, not client credentials"}
	}
	secret := c.ClientSecret
	if c.ClientSecretEnv != "" {
		secret = os.Getenv(c.ClientSecretEnv)
	}
	return c.ClientID, secret, nil
}

// splitJWT decodes a compact JWS's header and claims (no verification).
func splitJWT(tok string) (hdr, claims map[string]any, sig []byte, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, nil, fmt.Errorf("the access token is not a compact JWS (three dot-separated parts)")
	}
	dec := func(s string, v any) error {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
	if err := dec(parts[0], &hdr); err != nil {
		return nil, nil, nil, fmt.Errorf("the token's header does not decode: %v", err)
	}
	if err := dec(parts[1], &claims); err != nil {
		return nil, nil, nil, fmt.Errorf("the token's claims do not decode: %v", err)
	}
	sig, err = base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the token's signature does not decode: %v", err)
	}
	return hdr, claims, sig, nil
}

// verifyES256 checks tok's ES256 signature against the P-256 keys of a JWKS
// document (RFC 7517, RFC 7518 section 3.4).
func verifyES256(tok string, jwks []byte) error {
	hdr, _, sig, err := splitJWT(tok)
	if err != nil {
		return err
	}
	var set struct {
		Keys []struct {
			Kty, Crv, X, Y, Kid string
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("the JWKS document does not decode: %v", err)
	}
	if len(sig) != 64 {
		return fmt.Errorf("the ES256 signature is %d bytes, want 64 (R | S)", len(sig))
	}
	i := strings.LastIndexByte(tok, '.')
	digest := sha256.Sum256([]byte(tok[:i]))
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	for _, k := range set.Keys {
		if k.Kty != "EC" || k.Crv != "P-256" {
			continue
		}
		if kid, ok := hdr["kid"].(string); ok && k.Kid != "" && kid != k.Kid {
			continue
		}
		x, errX := base64.RawURLEncoding.DecodeString(k.X)
		y, errY := base64.RawURLEncoding.DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			continue
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			continue
		}
		if ecdsa.Verify(pub, digest[:], r, ss) {
			return nil
		}
	}
	return fmt.Errorf("no P-256 key of the JWKS document verifies the token's signature")
}
