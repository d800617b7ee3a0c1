package process

import (
	"slices"
	"strconv"
	"strings"

	"github.com/seedb14f67b8/renewkit/api"
)

// checkGraph checks the sequence flows and returns the node ids in a topological
// order from the start event (every node before the nodes its flows lead to), or
// nil after adding problems. The rules: flows between existing nodes, none into the
// start event nor out of an end event, none given twice; at least one flow out of
// every node but an end event; exactly one out of a node that cannot branch; the
// branch rules of checkBranches; every node reachable from the start event; no
// cycle.
func checkGraph(d Definition, byID map[string]int, ps *problems) []string {
	outs := map[string][]Flow{}
	in := map[string]int{}
	seen := map[string]bool{}
	for i, f := range d.Flows {
		where := "flows[" + strconv.Itoa(i) + "]"
		fi, okFrom := byID[f.From]
		ti, okTo := byID[f.To]
		key := f.From + "\x00" + f.To + "\x00" + strconv.FormatBool(f.Default)
		if f.Condition != nil {
			key += "\x00" + f.Condition.String()
		}
		switch {
		case !okFrom:
			ps.add("", where, "sequence flow from unknown node %q", truncate(f.From))
			continue
		case !okTo:
			ps.add("", where, "sequence flow to unknown node %q", truncate(f.To))
			continue
		case seen[key]:
			ps.add(f.From, where, "sequence flow to %q is given twice", f.To)
			continue
		}
		seen[key] = true
		if d.Nodes[ti].Type == TypeStartEvent {
			ps.add(f.To, where, "no sequence flow may lead into the start event")
		}
		if d.Nodes[fi].Type == TypeEndEvent {
			ps.add(f.From, where, "no sequence flow may leave an end event")
		}
		outs[f.From] = append(outs[f.From], f)
		in[f.To]++
	}
	if len(*ps) > 0 {
		return nil
	}
	var start string
	for _, n := range d.Nodes {
		if n.Type == TypeStartEvent {
			start = n.ID
		}
		checkBranches(n, outs[n.ID], ps)
	}
	if len(*ps) > 0 {
		return nil
	}
	order := walk(start, outs, ps)
	reached := map[string]bool{}
	for _, id := range order {
		reached[id] = true
	}
	for _, n := range d.Nodes {
		switch {
		case reached[n.ID]:
		case n.Type != TypeStartEvent && in[n.ID] == 0:
			ps.add(n.ID, "", "node is not connected: no sequence flow leads to it")
		default:
			ps.add(n.ID, "", "node is unreachable from the start event")
		}
	}
	if len(*ps) > 0 {
		return nil
	}
	return order
}

// checkBranches checks the flows out of one node. A node type without branches
// (an event, a form, an error form) has exactly one flow and no condition. A node
// that branches has one flow or several: each has a condition that its type can
// test (checkCondition), and none tests the same thing twice, except exactly one,
// the default, which has no condition. A single flow without a condition is the
// default.
func checkBranches(n Node, flows []Flow, ps *problems) {
	spec, _ := ActivityByType(n.Type)
	if n.Type == TypeEndEvent {
		return
	}
	if len(flows) == 0 {
		ps.add(n.ID, "", "node is not connected: no sequence flow leaves it")
		return
	}
	if len(spec.Branches) == 0 {
		if len(flows) > 1 {
			ps.add(n.ID, "", "node has %d outgoing sequence flows; a %s has exactly one", len(flows), spec.Label)
		}
		for _, f := range flows {
			if f.Condition != nil {
				ps.add(n.ID, "", "the sequence flow to %q has a condition, but a %s cannot branch", f.To, spec.Label)
			}
		}
		return
	}
	defaults := 0
	tested := map[string]string{} // condition -> target
	for _, f := range flows {
		switch {
		case f.Condition != nil && f.Default:
			ps.add(n.ID, "", "the sequence flow to %q is the default and has a condition; a default flow has none", f.To)
		case f.Default:
			defaults++
		case f.Condition == nil && len(flows) == 1:
			defaults++
		case f.Condition == nil:
			ps.add(n.ID, "", "the sequence flow to %q has no condition and is not the default", f.To)
		default:
			if !checkCondition(n.ID, spec, f, ps) {
				continue
			}
			c := f.Condition.String()
			if prev, dup := tested[c]; dup {
				ps.add(n.ID, "", "the sequence flows to %q and %q both test %s", prev, f.To, c)
			}
			tested[c] = f.To
		}
	}
	switch {
	case defaults == 0:
		ps.add(n.ID, "", "node has conditional sequence flows but no default flow (\"default\": true) for every other outcome")
	case defaults > 1:
		ps.add(n.ID, "", "node has %d default sequence flows; exactly one is allowed", defaults)
	}
}

// checkCondition reports whether f's condition sets exactly one field that the
// node's type can test, to a value that type can end with.
func checkCondition(node string, spec ActivitySpec, f Flow, ps *problems) bool {
	field, value := f.Condition.field()
	if field == "" {
		ps.add(node, "", "the condition of the sequence flow to %q must set exactly one of %s, %s, %s", f.To, CondDecision, CondErrorCode, CondUserStatus)
		return false
	}
	values, ok := spec.Branch(field)
	if !ok {
		fields := make([]string, len(spec.Branches))
		for i, b := range spec.Branches {
			fields[i] = b.Field
		}
		ps.add(node, "", "the sequence flow to %q tests %s, which a %s does not have (it has %s)", f.To, field, spec.Label, strings.Join(fields, ", "))
		return false
	}
	if !slices.Contains(values, value) {
		ps.add(node, "", "the sequence flow to %q tests %s %q, which a %s never has (it has %s)", f.To, field, truncate(value), spec.Label, strings.Join(values, ", "))
		return false
	}
	return true
}

// walk runs a depth-first search from start and returns the nodes it reaches in
// topological order. A flow back to a node still on the search path closes a cycle:
// that node is named. Definitions are small (MaxNodes), so recursion is bounded.
func walk(start string, outs map[string][]Flow, ps *problems) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	cycle := map[string]bool{}
	var post []string
	var visit func(id string)
	visit = func(id string) {
		state[id] = onPath
		for _, f := range outs[id] {
			switch state[f.To] {
			case unseen:
				visit(f.To)
			case onPath:
				if !cycle[f.To] {
					cycle[f.To] = true
					ps.add(f.To, "", "the sequence flows form a cycle through this node (a retry is written out as further activities: see docs/process.md)")
				}
			}
		}
		state[id] = done
		post = append(post, id)
	}
	visit(start)
	slices.Reverse(post)
	return post
}

// scope is what is defined when an instance reaches a node, whichever path it
// took: the variables ${key.field} may name, the attempts started (key -> flow)
// and the user keys a user is stored under.
type scope struct {
	vars     map[string]bool
	attempts map[string]api.Flow
	users    map[string]bool
}

// entryScope is the scope on entry to a node: the start event's for a node without
// predecessors, else what every predecessor's scope defines.
func entryScope(preds []string, outs map[string]scope) scope {
	if len(preds) == 0 {
		return scope{vars: map[string]bool{"token": true}, attempts: map[string]api.Flow{}, users: map[string]bool{}}
	}
	first := outs[preds[0]]
	sc := scope{vars: map[string]bool{}, attempts: map[string]api.Flow{}, users: map[string]bool{}}
	for k := range first.vars {
		if slices.IndexFunc(preds[1:], func(p string) bool { return !outs[p].vars[k] }) < 0 {
			sc.vars[k] = true
		}
	}
	for k, f := range first.attempts {
		if slices.IndexFunc(preds[1:], func(p string) bool { g, ok := outs[p].attempts[k]; return !ok || g != f }) < 0 {
			sc.attempts[k] = f
		}
	}
	for k := range first.users {
		if slices.IndexFunc(preds[1:], func(p string) bool { return !outs[p].users[k] }) < 0 {
			sc.users[k] = true
		}
	}
	return sc
}

// dataCheck carries checkData's state across nodes.
type dataCheck struct {
	forms    FormLookup
	ps       *problems
	attempts map[string]bool // attempt keys used by any start activity
	formKeys map[string]bool // form data keys used by any form
}

// checkData checks, in topological order, that every key a node uses is defined on
// every path that reaches it, that attempt keys and form data keys are each used
// once in the definition, and that forms fit their activities.
func checkData(d Definition, order []string, forms FormLookup, ps *problems) {
	byID := map[string]Node{}
	for _, n := range d.Nodes {
		byID[n.ID] = n
	}
	preds := map[string][]string{}
	for _, f := range d.Flows {
		if !slices.Contains(preds[f.To], f.From) {
			preds[f.To] = append(preds[f.To], f.From)
		}
	}
	dc := dataCheck{forms: forms, ps: ps, attempts: map[string]bool{}, formKeys: map[string]bool{}}
	outs := map[string]scope{}
	for _, id := range order {
		sc := entryScope(preds[id], outs)
		dc.node(byID[id], sc)
		outs[id] = sc
	}
}

// node checks one node against the scope on entry and adds what it defines.
func (dc dataCheck) node(n Node, sc scope) {
	spec, _ := ActivityByType(n.Type)
	for _, p := range spec.Params {
		if s, ok := n.Parameters[p.Name].(string); ok {
			if err := checkTemplate(s, sc.vars); err != nil {
				dc.ps.add(n.ID, p.Name, "%s", err.Error())
			}
		}
	}
	switch spec.Kind {
	case KindStart, KindGetUser:
		dc.user(n, spec, sc)
	case KindForm, KindComplete:
		key := n.str(spec.AttemptKeyParam())
		if f, ok := sc.attempts[key]; !ok || f != spec.Flow {
			dc.ps.add(n.ID, spec.AttemptKeyParam(), "no earlier %s activity, on every path to this node, starts the attempt %q", startSpec(spec.Flow).Label, key)
		}
	}
	if spec.Kind == KindForm || spec.Kind == KindErrorForm {
		dc.form(n, spec, sc)
	}
}

// user checks a start or Get User activity: its keys, and how it names its user.
func (dc dataCheck) user(n Node, spec ActivitySpec, sc scope) {
	userKey := n.str(ParamUserKey)
	keys := []struct{ param, v string }{{ParamUserKey, userKey}}
	if spec.Kind == KindStart {
		key := n.str(spec.AttemptKeyParam())
		keys = append(keys, struct{ param, v string }{spec.AttemptKeyParam(), key})
		if dc.attempts[key] {
			dc.ps.add(n.ID, spec.AttemptKeyParam(), "the attempt key %q is already used by another activity", key)
		}
		dc.attempts[key] = true
		sc.attempts[key] = spec.Flow
	}
	for _, k := range keys {
		if !validName(k.v) {
			dc.ps.add(n.ID, k.param, "a key must start with a letter and hold only letters, digits, '_', '.' and '-'")
		}
	}
	hasID, hasExt := n.str(ParamUserID) != "", n.str(ParamUserExternalID) != ""
	switch {
	case hasID && hasExt:
		dc.ps.add(n.ID, ParamUserID, "give userId or userExternalId, not both")
	case !hasID && !hasExt && (spec.Kind == KindGetUser || !sc.users[userKey]):
		dc.ps.add(n.ID, ParamUserExternalID, "required parameter: userId or userExternalId, since no activity on every path to this node stores a user under userKey %q", userKey)
	}
	sc.users[userKey] = true
	sc.vars[userKey] = true
}

// form checks a form or error form: its data key, and that its form exists and
// fits.
func (dc dataCheck) form(n Node, spec ActivitySpec, sc scope) {
	fk := n.str(ParamFormDataKey)
	if !validName(fk) {
		dc.ps.add(n.ID, ParamFormDataKey, "a key must start with a letter and hold only letters, digits, '_', '.' and '-'")
	}
	if dc.formKeys[fk] {
		dc.ps.add(n.ID, ParamFormDataKey, "the form data key %q is already used by another form", fk)
	}
	dc.formKeys[fk] = true
	sc.vars[fk] = true
	if dc.forms == nil {
		return
	}
	name := n.str(ParamDataFormName)
	version, _ := n.Parameters[ParamDataFormVersion].(int)
	f, ok := dc.forms(name, version)
	if !ok {
		dc.ps.add(n.ID, ParamDataFormName, "no custom form %q version %d", truncate(name), version)
		return
	}
	var err error
	if spec.Kind == KindErrorForm {
		err = f.fitsNotice()
	} else {
		err = f.fits(spec.Flow)
	}
	if err != nil {
		dc.ps.add(n.ID, ParamDataFormName, "%s", err.Error())
	}
}
