package steps

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// throttleSteps registers the steps of features/throttle.feature.
func throttleSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client asks for a token of the renewal role with its secret$`), askRenewalToken)
	c.Step(stepRE(`^the client sends wrong secrets for the renewal role's client until the answer is 429, at most (\d+)$`), sendWrongSecrets)
	c.Step(stepRE(`^the answer's Retry-After is a delay in seconds or an HTTP date$`), expectRetryAfter)
}

// askRenewalToken asks for a token with the renewal role's right secret.
func askRenewalToken(ctx context.Context) error {
	s := sc(ctx)
	id, secret, err := s.renewalCredentials()
	if err != nil {
		return err
	}
	_, err = s.tokenRequest(ctx, id, secret)
	return err
}

// sendWrongSecrets sends wrong secrets for the renewal role's client, one at a
// time, until one is answered 429 or most have been sent. Every answer before the
// 429 must be 401: a wrong secret gets no token.
func sendWrongSecrets(ctx context.Context, most int) error {
	s := sc(ctx)
	id, _, err := s.renewalCredentials()
	if err != nil {
		return err
	}
	for i := range most {
		ex, err := s.tokenRequest(ctx, id, "wrong-"+randomHex(8))
		if err != nil {
			return err
		}
		switch ex.Status {
		case http.StatusTooManyRequests:
			return nil
		case http.StatusUnauthorized:
		default:
			return s.fail(ex, "wrong secret %d of the renewal role's client is answered %d, want 401 or, once throttled, 429", i+1, ex.Status)
		}
	}
	return s.fail(s.last, "%d wrong secrets in a row for one client id were all answered 401: no throttle (SPEC section 3: 429 with Retry-After)", most)
}

// expectRetryAfter checks the answer's Retry-After (RFC 9110 section 10.2.3).
func expectRetryAfter(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	v := strings.TrimSpace(ex.ResponseHeader.Get("Retry-After"))
	if v == "" {
		return s.fail(ex, "the %d answer has no Retry-After (SPEC section 3: 429 with Retry-After)", ex.Status)
	}
	if n, err := strconv.ParseUint(v, 10, 31); err == nil {
		// A delay the client can wait out; a throttle that says more than a day is
		// not one a client could use.
		if time.Duration(n)*time.Second > 24*time.Hour {
			return s.fail(ex, "Retry-After is %d seconds, more than a day", n)
		}
		return nil
	}
	if _, err := http.ParseTime(v); err != nil {
		return s.fail(ex, "Retry-After %q is neither delay-seconds nor an HTTP date (RFC 9110 section 10.2.3)", v)
	}
	return nil
}

// renewalCredentials returns the renewal role's client id and secret, or ends the
// scenario as not applicable when the target gives the role a static token.
func (s *scenario) renewalCredentials() (string, string, error) {
	return s.roleCredentials(sut.RoleRenewal)
}

// tokenRequest sends one client-credentials request by HTTP Basic through an
// observed client and makes its answer the scenario's.
func (s *scenario) tokenRequest(ctx context.Context, id, secret string) (*api.Exchange, error) {
	cl, err := s.w.client(ctx, "", "", false)
	if err != nil {
		return nil, s.fail(nil, "%v", err)
	}
	_, ex, err := cl.Token(ctx, id, secret)
	if ex != nil {
		s.last = ex
	}
	if api.IsTransport(err) {
		return ex, s.fail(ex, "no answer from the server: %v", err)
	}
	return ex, nil
}
