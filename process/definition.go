package process

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// Definition is a process definition: named nodes (events and activities) and the
// sequence flows between them. Name, Nodes and Flows are what a client deploys;
// Version and DeployedAt are set by Engine.Deploy ("Save & Deploy" makes a new
// version each time).
type Definition struct {
	Name        string    `json:"name" yaml:"name"`
	Description string    `json:"description,omitempty" yaml:"description,omitempty"`
	Nodes       []Node    `json:"nodes" yaml:"nodes"`
	Flows       []Flow    `json:"flows" yaml:"flows"`
	Version     int       `json:"version,omitempty" yaml:"version,omitempty"`
	DeployedAt  time.Time `json:"deployedAt,omitzero" yaml:"-"`
}

// Node is one event or activity of a definition. Parameters hold strings and
// integers; a deployed definition carries every parameter with a default filled in.
type Node struct {
	ID         string         `json:"id" yaml:"id"`
	Type       string         `json:"type" yaml:"type"`
	Name       string         `json:"name,omitempty" yaml:"name,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty" yaml:"parameters,omitempty"`
}

// Flow is a sequence flow: the arrow from one node to the next. A node with one
// outgoing flow needs neither Condition nor Default. A node that branches (a start,
// complete or Get User activity, or the simple decider) may have several: each but
// one has a Condition, and exactly one, without a condition, is the Default, taken
// when no condition holds.
type Flow struct {
	From      string     `json:"from" yaml:"from"`
	To        string     `json:"to" yaml:"to"`
	Condition *Condition `json:"condition,omitempty" yaml:"condition,omitempty"`
	Default   bool       `json:"default,omitempty" yaml:"default,omitempty"`
}

// Condition is what a conditional sequence flow tests about the node it leaves.
// Exactly one field is set, one that the node's type lists in its
// ActivitySpec.Branches: the decider's Decision, the ErrorCode an activity ended
// with, or the UserStatus of the user Get User found.
type Condition struct {
	Decision   Decision       `json:"decision,omitempty" yaml:"decision,omitempty"`
	ErrorCode  api.Code       `json:"errorCode,omitempty" yaml:"errorCode,omitempty"`
	UserStatus api.UserStatus `json:"userStatus,omitempty" yaml:"userStatus,omitempty"`
}

// field returns the one field c sets and its value; "" when it sets none or
// several.
func (c Condition) field() (string, string) {
	var name, value string
	n := 0
	for _, f := range []struct{ name, value string }{
		{CondDecision, string(c.Decision)}, {CondErrorCode, string(c.ErrorCode)}, {CondUserStatus, string(c.UserStatus)},
	} {
		if f.value != "" {
			name, value = f.name, f.value
			n++
		}
	}
	if n != 1 {
		return "", ""
	}
	return name, value
}

// String is "errorCode PASSCODE_NOT_REGISTERED" and the like.
func (c Condition) String() string {
	name, value := c.field()
	return name + " " + value
}

// Limits of a definition, so that a deploy cannot make the server do unbounded work.
const (
	MaxNodes     = 100
	MaxNameBytes = 100
	MaxParamLen  = 4096
)

// ErrInvalid is matched (errors.Is) by the *ValidationError of a definition that
// cannot be deployed, and of an invalid form, token or submission.
var ErrInvalid = errors.New("process: invalid request")

// Problem is one reason a definition, form or token request is refused. Node and
// Parameter name where, when there is a where.
type Problem struct {
	Node      string `json:"node,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message"`
}

// String is `node "x" parameter "y": message`, leaving out what is empty.
func (p Problem) String() string {
	var b strings.Builder
	if p.Node != "" {
		fmt.Fprintf(&b, "node %q ", p.Node)
	}
	if p.Parameter != "" {
		fmt.Fprintf(&b, "parameter %q ", p.Parameter)
	}
	if b.Len() > 0 {
		return strings.TrimSuffix(b.String(), " ") + ": " + p.Message
	}
	return p.Message
}

// ValidationError lists every problem found. Its messages name nodes, parameters and
// fields, never values the client sent.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "process: " + strings.Join(parts, "; ")
}

// Is matches ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// namePattern is the shape of definition, form and token names and of node ids:
// they appear in paths and in substitutions.
var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// validName reports whether s can name a definition, form, node or key.
func validName(s string) bool {
	return len(s) <= MaxNameBytes && namePattern.MatchString(s)
}

// problems collects Problems.
type problems []Problem

func (ps *problems) add(node, param, format string, args ...any) {
	*ps = append(*ps, Problem{Node: node, Parameter: param, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// FormLookup tells whether a custom form version exists and returns it, for the
// checks that tie a form activity to its form.
type FormLookup func(name string, version int) (Form, bool)

// Validate checks d and returns a copy with every parameter default filled in and
// every value normalised (integers as int), or a *ValidationError. forms resolves
// the form activities' dataFormName and dataFormVersion; nil skips those checks.
//
// The checks: a valid name; known node types ("unknown activity"); unique, valid
// node ids; exactly one start event and at least one end event; events named;
// every parameter known, of its type, and the required ones present; a start
// activity that names its user (userId or userExternalId) unless an activity on
// every path to it stores a user under the same userKey; a Get User that names its
// user; form and complete activities whose attempt key a start activity of the same
// flow defines on every path to them; substitutions that name a variable defined on
// every path; attempt and form data keys each used once; flows between existing
// nodes, none into the start event nor out of an end event, at least one out of
// every other node, and the branch rules of checkBranches; and a graph where every
// node is connected, reachable from the start event, and on no cycle.
func Validate(d Definition, forms FormLookup) (Definition, error) {
	var ps problems
	if !validName(d.Name) {
		ps.add("", "name", "the definition name must start with a letter and hold only letters, digits, '_', '.' and '-' (at most %d bytes)", MaxNameBytes)
	}
	if len(d.Nodes) == 0 {
		ps.add("", "nodes", "a definition needs nodes")
		return Definition{}, ps.err()
	}
	if len(d.Nodes) > MaxNodes {
		ps.add("", "nodes", "a definition may have at most %d nodes", MaxNodes)
		return Definition{}, ps.err()
	}
	out := d
	out.Nodes = make([]Node, len(d.Nodes))
	byID := map[string]int{}
	var starts, ends int
	for i, n := range d.Nodes {
		label := n.ID
		if label == "" {
			label = "#" + strconv.Itoa(i)
		}
		if !validName(n.ID) {
			ps.add(label, "id", "a node id must start with a letter and hold only letters, digits, '_', '.' and '-'")
		} else if _, dup := byID[n.ID]; dup {
			ps.add(n.ID, "id", "the node id is used twice")
		} else {
			byID[n.ID] = i
		}
		spec, ok := ActivityByType(n.Type)
		if !ok {
			ps.add(label, "type", "unknown activity %q", truncate(n.Type))
			out.Nodes[i] = n
			continue
		}
		switch n.Type {
		case TypeStartEvent:
			starts++
		case TypeEndEvent:
			ends++
		}
		if spec.Kind == KindEvent && strings.TrimSpace(n.Name) == "" {
			ps.add(label, "name", "an event needs a name")
		}
		if n.Name == "" {
			n.Name = spec.Label
		}
		if len(n.Name) > MaxNameBytes {
			ps.add(label, "name", "a node name may be at most %d bytes", MaxNameBytes)
		}
		n.Parameters = normalizeParams(label, spec, n.Parameters, &ps)
		out.Nodes[i] = n
	}
	if starts != 1 {
		ps.add("", "nodes", "a definition needs exactly one start event (it has %d)", starts)
	}
	if ends == 0 {
		ps.add("", "nodes", "a definition needs an end event")
	}
	if len(ps) > 0 {
		return Definition{}, ps.err()
	}

	order := checkGraph(out, byID, &ps)
	if len(ps) > 0 {
		return Definition{}, ps.err()
	}
	checkData(out, order, forms, &ps)
	if len(ps) > 0 {
		return Definition{}, ps.err()
	}
	out.Flows = append([]Flow(nil), d.Flows...)
	return out, nil
}

// truncate shortens a client-sent string quoted in a message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// normalizeParams checks a node's parameters against its spec and returns them with
// defaults filled in.
func normalizeParams(node string, spec ActivitySpec, in map[string]any, ps *problems) map[string]any {
	out := map[string]any{}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := spec.Param(k)
		if !ok {
			ps.add(node, k, "unknown parameter of %s", spec.Type)
			continue
		}
		v, ok := normalizeValue(p.Type, in[k])
		if !ok {
			ps.add(node, k, "must be of type %s", p.Type)
			continue
		}
		out[k] = v
	}
	for _, p := range spec.Params {
		v, set := out[p.Name]
		if (!set || v == "") && p.Default != nil {
			out[p.Name] = p.Default
			continue
		}
		if p.Required && (!set || v == "") {
			ps.add(node, p.Name, "required parameter %q (%s) is missing", p.Name, p.Label)
		}
	}
	if v, ok := out[ParamDataFormVersion].(int); ok && v < 1 {
		ps.add(node, ParamDataFormVersion, "must be at least 1")
	}
	for k, v := range out {
		if s, ok := v.(string); ok && len(s) > MaxParamLen {
			ps.add(node, k, "may be at most %d bytes", MaxParamLen)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// normalizeValue returns v as a string or an int according to t. JSON numbers arrive
// as float64, YAML ones as int; a string parameter must be a string.
func normalizeValue(t ParamType, v any) (any, bool) {
	switch t {
	case String:
		s, ok := v.(string)
		return s, ok
	case Integer:
		switch n := v.(type) {
		case int:
			return n, true
		case int64:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, false
			}
			return int(n), true
		case float64:
			if n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
				return nil, false
			}
			return int(n), true
		}
	}
	return nil, false
}
