package steps

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/api"
)

// bodyLimitSteps are the steps of the body limit's boundary (SPEC.md section 2:
// "Request bodies over 64 KiB: 413"; features/bad-input.feature, BAD-010).
func bodyLimitSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client sends a well-formed (registration|authentication|renewal) (start|completion) padded with whitespace to (\d+) bytes$`), sendPadded)
}

// sendPadded sends a request a correct server accepts, padded with JSON whitespace
// to exactly n bytes: a start's {} or a correct completion of a session started for
// the scenario's user. Up to 65,536 bytes only its size is new, so a correct server
// answers as it would without the padding (200); one byte more is over 64 KiB.
func sendPadded(ctx context.Context, flow, what string, n int) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	f := api.Flow(flow)
	if what == "start" {
		body, err := padJSON(emptyObject(), n)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Start(f, s.store, u.ref(formID), s.defaultPolicy()), body)
		return err
	}
	sess, err := s.startSession(ctx, f, formID, s.defaultPolicy(), emptyObject())
	if err != nil {
		return err
	}
	if sess.id == "" {
		return s.fail(sess.startEx, "the %s start answered %d, want 200", f, sess.startEx.Status)
	}
	body, err := s.body(sess, completion{})
	if err != nil {
		return err
	}
	if body, err = padJSON(body, n); err != nil {
		return s.fail(nil, "%v", err)
	}
	ex, err := s.send(ctx, http.MethodPost, s.paths().Complete(f, s.store, sess.id), body)
	if err != nil {
		return err
	}
	sess.completeEx = ex
	if ex.Status == http.StatusOK {
		s.accepted(sess)
	}
	return nil
}

// padJSON returns the JSON object body with JSON whitespace (RFC 8259 section 2:
// space, tab, line feed, carriage return) after its opening brace, so that it is
// exactly n bytes long and still the same object.
func padJSON(body []byte, n int) ([]byte, error) {
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("steps: padJSON needs a JSON object, not %.20q", body)
	}
	pad := n - len(body)
	if pad < 0 {
		return nil, fmt.Errorf("steps: the body is %d bytes already, more than %d", len(body), n)
	}
	ws := strings.Repeat(" \t\n\r", pad/4+1)[:pad]
	out := make([]byte, 0, n)
	out = append(out, '{')
	out = append(out, ws...)
	out = append(out, body[1:]...)
	return out, nil
}
