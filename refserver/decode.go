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
//     reference server should surface rather than silently drop. checkMemberNames
//     finds both against dst's type, so that no error text needs reading;
//     DisallowUnknownFields stays as a second guard;
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
	if err := checkMemberNames(body, reflect.TypeOf(dst)); err != nil {
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

// checkMemberNames walks the JSON tokens of body beside t, the type it decodes
// into: the top level must be an object, no object may name a member twice, and in
// an object that decodes into a struct every member must name one of its fields,
// exactly: a name that equals a field's only case-insensitively is refused as such,
// any other as unknown. Objects that decode into anything else (a map, an interface,
// a type with its own UnmarshalJSON) are checked for repeated names only.
func checkMemberNames(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	first, err := dec.Token()
	if err != nil {
		return invalidRequest("the request body is not valid JSON")
	}
	if d, ok := first.(json.Delim); !ok || d != '{' {
		return invalidRequest("the request body is not a JSON object")
	}
	// Each open container is a frame. An object's fields are those of its struct
	// (nil for any other object), with the names seen so far, whether the next string
	// token is a member name, and the type of the member whose value comes next; an
	// array's next is its element type.
	type frame struct {
		object bool
		fields map[string]reflect.Type
		names  map[string]bool
		isKey  bool
		next   reflect.Type
	}
	open := func(d json.Delim, t reflect.Type) *frame {
		if d == '[' {
			return &frame{next: elemOf(t)}
		}
		return &frame{object: true, fields: fieldsOf(t), names: map[string]bool{}, isKey: true, next: elemOf(t)}
	}
	stack := []*frame{open('{', t)}
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
			if top.fields != nil {
				ft, ok := top.fields[name]
				if !ok {
					for k := range top.fields {
						if strings.EqualFold(k, name) {
							return invalidRequest("member names are case-sensitive")
						}
					}
					return invalidRequest("the request body has an unknown member")
				}
				top.next = ft
			}
			top.isKey = false
			continue
		}
		if top.object {
			top.isKey = true
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, open(d, top.next))
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}

// unmarshaler is the interface of a type that decodes itself.
var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// decodes returns the type whose JSON form a value of t takes (pointers taken off),
// or nil when there is nothing to check inside it: t is unknown, an interface, or
// decodes itself.
func decodes(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

// elemOf returns the type of the elements of a JSON array or of the members of a
// JSON object that decode into t: a slice's, an array's or a map's element; nil for
// anything else.
func elemOf(t reflect.Type) reflect.Type {
	switch t = decodes(t); {
	case t == nil:
		return nil
	case t.Kind() == reflect.Slice, t.Kind() == reflect.Array, t.Kind() == reflect.Map:
		return t.Elem()
	}
	return nil
}

// jsonFields caches fieldsOf by struct type: a request type's fields never change,
// and walking it by reflection on every request is pure waste.
var jsonFields sync.Map // reflect.Type -> map[string]reflect.Type, never written after store

// fieldsOf returns the JSON members of a struct that a JSON object decodes into,
// by name, with the type of each (fields of embedded structs included), or nil when
// t is no struct. The map is shared: callers must not modify it.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if t = decodes(t); t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if fields, ok := jsonFields.Load(t); ok {
		return fields.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	addFields(fields, t)
	stored, _ := jsonFields.LoadOrStore(t, fields)
	return stored.(map[string]reflect.Type)
}

// addFields adds the JSON members of struct type t to fields, those of its embedded
// structs too, breadth first, so that as in encoding/json a shallower field hides a
// deeper one of the same name.
func addFields(fields map[string]reflect.Type, t reflect.Type) {
	for level := []reflect.Type{t}; len(level) > 0; {
		var embedded []reflect.Type
		for _, st := range level {
			for i := range st.NumField() {
				f := st.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "-" {
					continue
				}
				if et := decodes(f.Type); f.Anonymous && name == "" && et != nil && et.Kind() == reflect.Struct {
					embedded = append(embedded, et)
					continue
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				if _, ok := fields[name]; !ok {
					fields[name] = f.Type
				}
			}
		}
		level = embedded
	}
}

// requiredString reports a missing or empty required member by its JSON path.
func requiredString(path, v string) error {
	if v == "" {
		return invalidRequest("member %q is required", path)
	}
	return nil
}
