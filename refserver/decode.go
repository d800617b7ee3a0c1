package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// MaxBodyBytes is the largest request body the server reads (SPEC section 2); a larger
// one is answered 413 PAYLOAD_TOO_LARGE.
const MaxBodyBytes = 64 << 10

// bodyLimit refuses a declared Content-Length over MaxBodyBytes at once and caps the
// body reader for chunked or lying requests, so no handler ever buffers more.
func (s *Server) bodyLimit(c *gin.Context) {
	if c.Request.ContentLength > MaxBodyBytes {
		s.abortWith(c, errTooLarge)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	c.Next()
}

// readBody reads the whole (capped) request body.
func readBody(c *gin.Context) ([]byte, error) {
	// Sized from Content-Length when it is declared (bodyLimit has already refused one
	// over the limit), so a body is read into one allocation instead of a growing one.
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n >= 0 && n <= MaxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead) // MinRead: room for the read that finds EOF
	}
	_, err := buf.ReadFrom(c.Request.Body)
	b := buf.Bytes()
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errTooLarge
		}
		return nil, invalidRequest("the request body could not be read")
	}
	return b, nil
}

// checkJSONContentType requires "application/json", optionally with charset=utf-8
// (SPEC section 2: JSON in UTF-8). Other types, including a missing one, are 400.
func checkJSONContentType(header string) error {
	if header == "" {
		return invalidRequest("Content-Type application/json is required")
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil || mt != "application/json" {
		return invalidRequest("Content-Type application/json is required")
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return invalidRequest("only the charset parameter utf-8 is accepted in Content-Type")
		}
	}
	return nil
}

// decodeJSON decodes body strictly into dst, a pointer to a struct:
//   - the body must be one JSON object in valid UTF-8 and nothing after it;
//   - wrong types are refused (encoding/json does that);
//   - unknown members are refused, and so are members whose name matches a known one
//     only when case is ignored (encoding/json would accept "SALT" for "salt"): the
//     request shapes are fully specified, so an unexpected member is a client bug that a
//     reference server should surface rather than silently drop;
//   - a member named twice in one object is refused, because parsers disagree about
//     which one wins and that disagreement is an old smuggling trick.
//
// Required members and enum values are checked by the caller after decoding.
func decodeJSON(contentType string, body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalidRequest("a JSON request body is required")
	}
	if err := checkJSONContentType(contentType); err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return invalidRequest("the request body is not valid UTF-8")
	}
	if err := checkMemberNames(body, jsonNames(reflect.TypeOf(dst))); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return invalidRequest("member %q has the wrong type", jsonPath(typeErr.Field))
		case errors.As(err, &typeErr):
			return invalidRequest("the request body is not a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return invalidRequest("the request body has an unknown member")
		default:
			return invalidRequest("the request body is not valid JSON")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidRequest("the request body has data after the JSON object")
	}
	return nil
}

// jsonPath turns encoding/json's field path into the member path a client sent:
// the path names an embedded struct by its Go name ("Requirements.minimumLength"),
// which is no member of the JSON and an internal name besides. Every member of the
// API is lower camel case, so a segment starting with an upper-case letter is one
// of those Go names.
func jsonPath(field string) string {
	var keep []string
	for _, seg := range strings.Split(field, ".") {
		if seg != "" && !unicode.IsUpper([]rune(seg)[0]) {
			keep = append(keep, seg)
		}
	}
	if len(keep) == 0 {
		return field
	}
	return strings.Join(keep, ".")
}

// decodeEmpty accepts the body of a start call: absent, or an empty JSON object
// (SPEC section 4).
func decodeEmpty(contentType string, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var empty struct{}
	return decodeJSON(contentType, body, &empty)
}

// checkMemberNames walks the JSON tokens of body: the top level must be an object, no
// object may name a member twice, and a member name that equals a known name only
// case-insensitively is refused. Unknown names are left to DisallowUnknownFields, which
// knows the nesting.
func checkMemberNames(body []byte, known map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	first, err := dec.Token()
	if err != nil {
		return invalidRequest("the request body is not valid JSON")
	}
	if d, ok := first.(json.Delim); !ok || d != '{' {
		return invalidRequest("the request body is not a JSON object")
	}
	// Each open container is a frame; objects keep the names seen so far and whether
	// the next string token is a member name.
	type frame struct {
		object bool
		names  map[string]bool
		isKey  bool
	}
	stack := []*frame{{object: true, names: map[string]bool{}, isKey: true}}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			return invalidRequest("the request body is not valid JSON")
		}
		top := stack[len(stack)-1]
		if top.object && top.isKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			name, _ := tok.(string)
			if top.names[name] {
				return invalidRequest("member %q appears twice", name)
			}
			top.names[name] = true
			if !known[name] {
				for k := range known {
					if strings.EqualFold(k, name) {
						return invalidRequest("member names are case-sensitive")
					}
				}
			}
			top.isKey = false
			continue
		}
		if top.object {
			top.isKey = true
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				stack = append(stack, &frame{object: true, names: map[string]bool{}, isKey: true})
			case '[':
				stack = append(stack, &frame{})
			case ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}

// jsonNameSets caches jsonNames by type: a request type's names never change, and
// walking it by reflection on every request is pure waste.
var jsonNameSets sync.Map // reflect.Type -> map[string]bool, never written after store

// jsonNames returns every JSON member name reachable in type t (through pointers,
// slices, embedded and nested structs). The map is shared: callers must not modify it.
func jsonNames(t reflect.Type) map[string]bool {
	if names, ok := jsonNameSets.Load(t); ok {
		return names.(map[string]bool)
	}
	names, _ := jsonNameSets.LoadOrStore(t, walkJSONNames(t))
	return names.(map[string]bool)
}

// walkJSONNames computes jsonNames by reflection.
func walkJSONNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	var walk func(t reflect.Type, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, seen map[reflect.Type]bool) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				walk(f.Type, seen)
				continue
			}
			if name == "" {
				name = f.Name
			}
			names[name] = true
			walk(f.Type, seen)
		}
	}
	walk(t, map[reflect.Type]bool{})
	return names
}

// requiredString reports a missing or empty required member by its JSON path.
func requiredString(path, v string) error {
	if v == "" {
		return invalidRequest("member %q is required", path)
	}
	return nil
}
