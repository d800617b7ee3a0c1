package conform

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// ErrPreflight is returned by Run when the target cannot be used at all, before any
// scenario runs: a mistake of set-up must read as one clear message, not as dozens
// of failed MUST checks.
var ErrPreflight = errors.New("conform: the target cannot be used")

// PreflightError says what the preflight found, and how to fix it.
type PreflightError struct {
	// Cause is what is wrong, Fix what to do about it.
	Cause, Fix string
}

func (e *PreflightError) Error() string { return "preflight: " + e.Cause + "\n  fix: " + e.Fix }

// Unwrap makes a PreflightError match ErrPreflight.
func (e *PreflightError) Unwrap() error { return ErrPreflight }

// preflightTimeout bounds each request of the preflight.
const preflightTimeout = 15 * time.Second

// preflight checks what every scenario relies on: the full token, every other
// declared token role, and a server at the base URL and prefix that answers a
// request for a user that does not exist in the section 10 shape.
func preflight(ctx context.Context, t *sut.Target, hc *http.Client, tokens *sut.TokenSource) error {
	if err := answers(ctx, hc, t.BaseURL); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &PreflightError{Cause: fmt.Sprintf("nothing answers at %s: %v", t.BaseURL, err),
			Fix: "start the server, or give the URL it listens on (--target URL, or baseURL in the target file)"}
	}
	for _, role := range []sut.Role{sut.RoleFull, sut.RoleRenewal, sut.RoleNone, sut.RoleOtherTenant, sut.RoleExpired, sut.RoleUnknownTenant} {
		c, ok := t.Tokens[role]
		if !ok || (c.ClientID == "" && c.TokenEnv == "" && c.Token == "") {
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, preflightTimeout)
		_, err := tokens.Token(tctx, role)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: the run reports it
			}
			return &PreflightError{
				Cause: fmt.Sprintf("no token for role %s: %v", role, err),
				Fix:   fmt.Sprintf("check the target's baseURL (%s), that it serves /oauth/token, and the role's client id and secret or the environment variable it names", t.BaseURL),
			}
		}
	}
	c, err := t.NewClient(t.Tenant, hc)
	if err != nil {
		return &PreflightError{Cause: err.Error(), Fix: "fix the target's baseURL"}
	}
	tok, err := tokens.Token(ctx, sut.RoleFull)
	if err != nil {
		return &PreflightError{Cause: fmt.Sprintf("no token for role full: %v", err), Fix: "name the full role's client in the target file"}
	}
	c.AccessToken = tok
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	nobody := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:])
	policy := t.Policies[sut.PolicyStandard].Name
	rctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	_, ex, err := c.Start(rctx, api.FlowAuthentication, t.Store, api.ByID(nobody), policy)
	if ctx.Err() != nil {
		return nil
	}
	where := fmt.Sprintf("%s (prefix %s)", t.BaseURL, c.Paths().Prefix)
	if c.Paths().Prefix == "" {
		where = fmt.Sprintf("%s (prefix %s)", t.BaseURL, api.DefaultPrefix)
	}
	switch {
	case ex == nil || ex.Status == 0:
		return &PreflightError{Cause: fmt.Sprintf("nothing answers at %s: %v", where, err),
			Fix: "start the server, or give the URL it listens on (--target URL, or baseURL in the target file)"}
	case ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden:
		return &PreflightError{Cause: fmt.Sprintf("the full role's token is refused: %s %s answered %d", ex.Method, ex.Path, ex.Status),
			Fix: fmt.Sprintf("give the full role a client with TNT#%s#* (or every operation of SPEC.md section 3)", t.Tenant)}
	case !json.Valid(ex.ResponseBody):
		return &PreflightError{Cause: fmt.Sprintf("%s does not answer as the passcode API: %s %s answered %d %s, not JSON",
			where, ex.Method, ex.Path, ex.Status, ex.ResponseHeader.Get("Content-Type")),
			Fix: "check baseURL and prefix (the identity-store prefix, default /api/identity-store), and pathForm"}
	}
	// Anything else (a 200 for a user that cannot exist, a 404 with the wrong code,
	// an error body of the wrong shape) is the server's answer to judge: the
	// scenarios that check it fail, with the evidence.
	return nil
}

// answers reports whether anything speaks HTTP at baseURL, whatever its status.
func answers(ctx context.Context, hc *http.Client, baseURL string) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return ue.Unwrap()
		}
		return err
	}
	return resp.Body.Close()
}
