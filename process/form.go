package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// Form is a versioned custom form, the JSON form of the guide's example:
// {"title": ..., "components": [...]}, with a name. Every save of a name makes a new
// version (Engine.SaveForm); Version and CreatedAt are the server's.
type Form struct {
	Name       string      `json:"name" yaml:"name"`
	Version    int         `json:"version,omitempty" yaml:"version,omitempty"`
	Title      Text        `json:"title" yaml:"title"`
	Components []Component `json:"components" yaml:"components"`
	CreatedAt  time.Time   `json:"createdAt,omitzero" yaml:"-"`
}

// Component types a form may hold.
const (
	// ComponentPassword is a passcode field. Its value never leaves the browser: the
	// page turns it into SRP values, and only those are sent.
	ComponentPassword = "password"
	// ComponentContent is text shown to the user.
	ComponentContent = "content"
	// ComponentButton is the submit button (its label); the page adds one when the
	// form has none.
	ComponentButton = "button"
)

// Roles of password components: what the page does with each field.
const (
	RoleExistingPasscode = "existingPasscode"
	RoleNewPasscode      = "newPasscode"
	RoleConfirmPasscode  = "confirmPasscode"
)

// Component is one element of a form.
type Component struct {
	Type  string `json:"type" yaml:"type"`
	Key   string `json:"key" yaml:"key"`
	Label string `json:"label,omitempty" yaml:"label,omitempty"`
	// Role says what a password field holds: existingPasscode, newPasscode or
	// confirmPasscode.
	Role string `json:"role,omitempty" yaml:"role,omitempty"`
	// Text is the body of a content component.
	Text string `json:"text,omitempty" yaml:"text,omitempty"`
	// Description is help text shown under a field.
	Description string               `json:"description,omitempty" yaml:"description,omitempty"`
	Validate    *ComponentValidation `json:"validate,omitempty" yaml:"validate,omitempty"`
}

// ComponentValidation holds a component's own checks.
type ComponentValidation struct {
	Required bool `json:"required" yaml:"required"`
}

// Text is a text in one or more languages: language tag -> text. It decodes from a
// JSON string too (stored under "en").
type Text map[string]string

// UnmarshalJSON accepts a string or an object of strings.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text{"en": s}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("process: a text is a string or an object of strings")
	}
	*t = m
	return nil
}

// UnmarshalYAML accepts a string or a mapping of strings.
func (t *Text) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		*t = Text{"en": s}
		return nil
	}
	var m map[string]string
	if err := unmarshal(&m); err != nil {
		return errors.New("process: a text is a string or a mapping of strings")
	}
	*t = m
	return nil
}

// Limits of a form.
const (
	MaxComponents = 50
	MaxTextBytes  = 1000
)

// check validates a form's own shape.
func (f Form) check() error {
	var ps problems
	if !validName(f.Name) {
		ps.add("", "name", "the form name must start with a letter and hold only letters, digits, '_', '.' and '-' (at most %d bytes)", MaxNameBytes)
	}
	if len(f.Title) == 0 {
		ps.add("", "title", "a form needs a title")
	}
	langs := make([]string, 0, len(f.Title))
	for k := range f.Title {
		langs = append(langs, k)
	}
	sort.Strings(langs)
	for _, k := range langs {
		if k == "" || len(k) > 35 || len(f.Title[k]) > MaxTextBytes {
			ps.add("", "title", "each title needs a language tag and at most %d bytes of text", MaxTextBytes)
			break
		}
	}
	if len(f.Components) == 0 || len(f.Components) > MaxComponents {
		ps.add("", "components", "a form needs 1 to %d components", MaxComponents)
	}
	keys := map[string]bool{}
	roles := map[string]bool{}
	for i, c := range f.Components {
		where := "components[" + strconv.Itoa(i) + "]"
		if !validName(c.Key) {
			ps.add("", where+".key", "a component key must start with a letter and hold only letters, digits, '_', '.' and '-'")
		} else if keys[c.Key] {
			ps.add("", where+".key", "the component key %q is used twice", c.Key)
		}
		keys[c.Key] = true
		for _, t := range []struct{ field, v string }{{"label", c.Label}, {"text", c.Text}, {"description", c.Description}} {
			if len(t.v) > MaxTextBytes {
				ps.add("", where+"."+t.field, "at most %d bytes", MaxTextBytes)
			}
		}
		switch c.Type {
		case ComponentPassword:
			switch c.Role {
			case RoleExistingPasscode, RoleNewPasscode, RoleConfirmPasscode:
				if roles[c.Role] {
					ps.add("", where+".role", "only one component may have the role %s", c.Role)
				}
				roles[c.Role] = true
			default:
				ps.add("", where+".role", "a password component's role is existingPasscode, newPasscode or confirmPasscode")
			}
			if c.Label == "" {
				ps.add("", where+".label", "a password component needs a label")
			}
		case ComponentContent, ComponentButton:
			if c.Role != "" {
				ps.add("", where+".role", "only password components have a role")
			}
		default:
			ps.add("", where+".type", "a component type is password, content or button")
		}
	}
	if roles[RoleConfirmPasscode] && !roles[RoleNewPasscode] {
		ps.add("", "components", "a confirmPasscode component needs a newPasscode component")
	}
	if len(f.Components) > 0 && len(roles) == 0 && !f.hasText() {
		ps.add("", "components", "a form needs a password component, or (an error form) a content component with text")
	}
	return ps.err()
}

// hasText reports whether a content component of f has text.
func (f Form) hasText() bool {
	for _, c := range f.Components {
		if c.Type == ComponentContent && c.Text != "" {
			return true
		}
	}
	return false
}

// fitsNotice reports whether the form can be an error form: text to show and no
// passcode field, since an error form runs no passcode attempt.
func (f Form) fitsNotice() error {
	switch {
	case len(f.roles()) > 0:
		return fmt.Errorf("the form %q asks for a passcode, which an error form does not use", f.Name)
	case !f.hasText():
		return fmt.Errorf("the form %q has no content component with text, which an error form shows", f.Name)
	}
	return nil
}

// roles returns the set of password roles the form has.
func (f Form) roles() map[string]bool {
	m := map[string]bool{}
	for _, c := range f.Components {
		if c.Type == ComponentPassword {
			m[c.Role] = true
		}
	}
	return m
}

// fits reports whether the form asks for what flow needs: the existing passcode to
// prove (authentication, renewal) and a new one to set (registration, renewal), and
// nothing the flow cannot use.
func (f Form) fits(flow api.Flow) error {
	r := f.roles()
	needExisting := flow != api.FlowRegistration
	needNew := flow != api.FlowAuthentication
	switch {
	case needExisting && !r[RoleExistingPasscode]:
		return fmt.Errorf("the form %q has no existingPasscode field, which a %s needs", f.Name, flow)
	case !needExisting && r[RoleExistingPasscode]:
		return fmt.Errorf("the form %q asks for an existing passcode, which a %s does not use", f.Name, flow)
	case needNew && !r[RoleNewPasscode]:
		return fmt.Errorf("the form %q has no newPasscode field, which a %s needs", f.Name, flow)
	case !needNew && (r[RoleNewPasscode] || r[RoleConfirmPasscode]):
		return fmt.Errorf("the form %q asks for a new passcode, which a %s does not use", f.Name, flow)
	}
	return nil
}
