package invariant

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/responses"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/seedb14f67b8/renewkit/api"
)

// schemaValidator validates answers against an OpenAPI 3.1 document with
// pb33f/libopenapi-validator, which handles 3.1's JSON Schema dialect.
type schemaValidator struct {
	// prefix is the target's identity-store prefix, mapped onto api.DefaultPrefix
	// (the document's) before a path is looked up.
	prefix string
	model  *v3.Document
	opts   *config.ValidationOptions

	// The validator keeps caches; one validation at a time keeps it simple, and
	// costs far less than the exchange it checks.
	mu sync.Mutex
	v  responses.ResponseBodyValidator
}

func newSchemaValidator(doc []byte, prefix string) (*schemaValidator, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("invariant: openapi document: %w", err)
	}
	m, err := d.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("invariant: openapi document: %w", err)
	}
	// Without a cache the validator compiles the regular expression of every
	// path segment of the document for every answer it looks up: a third of
	// the suite's CPU.
	cache := &sync.Map{}
	v, errs := validator.NewValidator(d, config.WithFormatAssertions(), config.WithRegexCache(cache))
	if len(errs) > 0 {
		return nil, fmt.Errorf("invariant: openapi validator: %v", errs[0])
	}
	if prefix == "" {
		prefix = api.DefaultPrefix
	}
	return &schemaValidator{prefix: strings.TrimSuffix(prefix, "/"), model: &m.Model, opts: config.NewValidationOptions(config.WithRegexCache(cache)), v: v.GetResponseBodyValidator()}, nil
}

// op is the documented operation an exchange reached, with the request rebuilt
// onto the document's paths, so that validating the answer finds it again at no cost.
type op struct {
	method, path string
	operation    *v3.Operation
	item         *v3.PathItem
	req          *http.Request
}

// json reports whether the operation documents a JSON answer for status (or has no
// entry for it, where JSON is what SPEC.md section 2 wants).
func (o *op) json(status int) bool {
	if o.operation.Responses == nil {
		return true
	}
	r := o.operation.Responses.Codes.GetOrZero(strconv.Itoa(status))
	if r == nil {
		r = o.operation.Responses.Codes.GetOrZero(fmt.Sprintf("%dXX", status/100))
	}
	if r == nil {
		r = o.operation.Responses.Default
	}
	if r == nil || r.Content == nil || r.Content.Len() == 0 {
		return true
	}
	for mt := range r.Content.KeysFromOldest() {
		if strings.HasPrefix(mt, "application/json") {
			return true
		}
	}
	return false
}

// request rebuilds ex's request with the path mapped onto the document's prefix.
func (sv *schemaValidator) request(ex *api.Exchange) *http.Request {
	u, err := url.Parse(ex.URL)
	if err != nil || u.Path == "" {
		u = &url.URL{Path: ex.Path}
	}
	p := u.EscapedPath()
	if sv.prefix != api.DefaultPrefix && strings.HasPrefix(p, sv.prefix+"/") {
		p = api.DefaultPrefix + strings.TrimPrefix(p, sv.prefix)
	}
	mapped := &url.URL{Scheme: "http", Host: "target.invalid", Path: mustUnescape(p), RawPath: p, RawQuery: u.RawQuery}
	r := &http.Request{Method: ex.Method, URL: mapped, Header: ex.RequestHeader.Clone(), Host: ex.Host}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Body = io.NopCloser(bytes.NewReader(ex.RequestBody))
	return r
}

func mustUnescape(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}

// operation returns the documented operation ex reached, nil for a path or method
// the document does not describe (the odd paths of BAD-007, say).
func (sv *schemaValidator) operation(ex *api.Exchange) *op {
	r := sv.request(ex)
	item, errs, path := paths.FindPath(r, sv.model, sv.opts)
	if item == nil || len(errs) > 0 {
		return nil
	}
	o := helpers.ExtractOperation(r, item)
	if o == nil {
		return nil
	}
	return &op{method: ex.Method, path: path, operation: o, item: item, req: r}
}

// validate returns "" when ex's answer matches o's documented response for its
// status, else what is wrong, with the document's words.
func (sv *schemaValidator) validate(o *op, ex *api.Exchange) string {
	resp := &http.Response{
		StatusCode: ex.Status,
		Header:     ex.ResponseHeader.Clone(),
		Body:       io.NopCloser(bytes.NewReader(ex.ResponseBody)),
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	sv.mu.Lock()
	ok, errs := sv.v.ValidateResponseBodyWithPathItem(o.req, resp, o.item, o.path)
	sv.mu.Unlock()
	if ok || len(errs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the %d answer of %s %s does not match openapi.yaml:", ex.Status, o.method, o.path)
	for i, e := range errs {
		if i == 3 {
			fmt.Fprintf(&b, "\n- and %d more", len(errs)-i)
			break
		}
		fmt.Fprintf(&b, "\n- %s", e.Message)
		for j, se := range e.SchemaValidationErrors {
			if j == 3 {
				break
			}
			loc := se.FieldPath
			if loc == "" {
				loc = se.KeywordLocation
			}
			fmt.Fprintf(&b, "\n  %s: %s", loc, se.Reason)
		}
	}
	return b.String()
}
