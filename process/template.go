package process

import (
	"errors"
	"fmt"
	"strings"
)

// Variable fields a substitution may name, besides token.<parameter>.
const (
	// FieldBrowserResponse is {formDataKey}.browserResponse: the JSON text the
	// browser sent to the form activity.
	FieldBrowserResponse = "browserResponse"
	// FieldUserID and FieldUserExternalID are {userKey}.id and {userKey}.externalId.
	FieldUserID         = "id"
	FieldUserExternalID = "externalId"
	// FieldUserStatus is {userKey}.status: the user's status when it was found.
	FieldUserStatus = "status"
)

// errTemplate reports a substitution that cannot be parsed or names nothing.
var errTemplate = errors.New("process: bad substitution")

// segment is one piece of a parameter value: literal text or a variable reference.
type segment struct {
	text string
	ref  []string // nil for literal text; else the dotted path
}

// parseTemplate splits s into literal text and ${a.b} references. "$${" writes a
// literal "${".
func parseTemplate(s string) ([]segment, error) {
	var out []segment
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated ${", errTemplate)
			}
			path := strings.Split(s[i+2:i+end], ".")
			for _, p := range path {
				if !validName(p) {
					return nil, fmt.Errorf("%w: a substitution is ${key.field}", errTemplate)
				}
			}
			if len(path) != 2 {
				return nil, fmt.Errorf("%w: a substitution is ${key.field}", errTemplate)
			}
			if lit.Len() > 0 {
				out = append(out, segment{text: lit.String()})
				lit.Reset()
			}
			out = append(out, segment{ref: path})
			i += end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		out = append(out, segment{text: lit.String()})
	}
	return out, nil
}

// checkTemplate checks that every reference in s names a key defined upstream
// (vars) with a field that key can have.
func checkTemplate(s string, vars map[string]bool) error {
	segs, err := parseTemplate(s)
	if err != nil {
		return err
	}
	for _, sg := range segs {
		if sg.ref == nil {
			continue
		}
		if !vars[sg.ref[0]] {
			return fmt.Errorf("%w: ${%s} names no variable defined by an earlier activity", errTemplate, strings.Join(sg.ref, "."))
		}
	}
	return nil
}

// expand replaces the references in s with the values of vars, keyed "key.field".
func expand(s string, vars map[string]string) (string, error) {
	segs, err := parseTemplate(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, sg := range segs {
		if sg.ref == nil {
			b.WriteString(sg.text)
			continue
		}
		name := strings.Join(sg.ref, ".")
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("%w: ${%s} has no value in this instance", errTemplate, name)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
