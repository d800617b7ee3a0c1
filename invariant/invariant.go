// Package invariant holds the checks that hold for every exchange with a server
// under test, whatever the scenario that made it expected: no 5xx, a JSON content
// type, the section 10 error body on every non-2xx answer, a body that matches the
// OpenAPI description of its operation and status, and no secret in any answer.
//
// They follow Schemathesis's checks (not_a_server_error, content_type_conformance,
// response_schema_conformance, ...): one Checker, fed by the api client's exchange
// record, runs over every exchange, so a fault that shows in an answer no step looks
// at closely still fails the run. A Checker is safe for concurrent use.
package invariant

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/seedb14f67b8/renewkit/api"
)

// The invariants' check ids, as the conformance catalogue lists them.
const (
	NoServerError = "INV-001"
	JSONAnswer    = "INV-002"
	ErrorBody     = "INV-003"
	Schema        = "INV-004"
	NoSecret      = "INV-005"
)

// IDs lists every invariant's check id in order.
func IDs() []string { return []string{NoServerError, JSONAnswer, ErrorBody, Schema, NoSecret} }

// Breach is one invariant an exchange broke.
type Breach struct {
	// ID is the invariant's check id.
	ID string
	// Problem says what the server did and what the spec wants.
	Problem string
	// Exchange is the evidence.
	Exchange *api.Exchange
}

// Checker checks exchanges. The zero value is not usable; call New.
type Checker struct {
	schema  *schemaValidator
	secrets *Secrets
}

// Options configure New.
type Options struct {
	// Prefix is the target's identity-store prefix; api.DefaultPrefix when empty.
	// Paths are mapped onto the OpenAPI document's (which uses the default) by it.
	Prefix string
	// OpenAPI is the document answers are validated against; api.OpenAPIDocument
	// when nil.
	OpenAPI []byte
}

// New returns a Checker with an empty secret register.
func New(o Options) (*Checker, error) {
	doc := o.OpenAPI
	if doc == nil {
		doc = api.OpenAPIDocument()
	}
	sv, err := newSchemaValidator(doc, o.Prefix)
	if err != nil {
		return nil, err
	}
	return &Checker{schema: sv, secrets: NewSecrets()}, nil
}

// Secrets returns the register of what no answer may carry.
func (c *Checker) Secrets() *Secrets { return c.secrets }

// Check runs every invariant over ex, learning the verifiers ex's request sends,
// and returns what ex broke, at most one Breach per invariant. An exchange without
// a response (Status 0) breaks nothing here: the step that sent it fails on its own.
func (c *Checker) Check(ex *api.Exchange) []Breach {
	if ex == nil || ex.Status == 0 {
		return nil
	}
	c.secrets.learnRequest(ex)
	var out []Breach
	add := func(id, format string, args ...any) {
		out = append(out, Breach{ID: id, Problem: fmt.Sprintf(format, args...), Exchange: ex})
	}
	if ex.Status >= 500 {
		add(NoServerError, "the answer is %d %s; SPEC.md section 2 wants no 5xx for any input from a client",
			ex.Status, http.StatusText(ex.Status))
	}
	op := c.schema.operation(ex)
	wantJSON := op == nil || op.json(ex.Status)
	if wantJSON && len(ex.ResponseBody) > 0 {
		if p := jsonContentType(ex.ResponseHeader.Get("Content-Type")); p != "" {
			add(JSONAnswer, "%s; SPEC.md section 2 wants responses to carry Content-Type: application/json", p)
		}
	}
	if ex.Status < 200 || ex.Status > 299 {
		if err := api.ValidateErrorBody(ex.ResponseBody); err != nil {
			add(ErrorBody, "the %d answer has no section 10 error body: %v", ex.Status, err)
		}
	}
	if op != nil {
		if p := c.schema.validate(op, ex); p != "" {
			add(Schema, "%s", p)
		}
	}
	a := decodeAnswer(ex)
	c.secrets.learnAnswer(ex, a)
	if p := c.secrets.leak(ex, a); p != "" {
		add(NoSecret, "%s", p)
	}
	return out
}

// jsonContentType returns "" when ct is application/json (any parameters), else
// what is wrong with it.
func jsonContentType(ct string) string {
	if ct == "" {
		return "the answer has a body but no Content-Type"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Sprintf("the Content-Type %q does not parse", ct)
	}
	if !strings.EqualFold(mt, "application/json") {
		return fmt.Sprintf("the Content-Type is %q", ct)
	}
	return ""
}
