package process

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// Sentinel errors the HTTP layer maps to codes.
var (
	ErrDefinitionNotFound = errors.New("process: process definition not found")
	ErrFormNotFound       = errors.New("process: custom form not found")
	ErrTokenNotFound      = errors.New("process: process token not found")
	ErrInstanceNotFound   = errors.New("process: process instance not found")
	ErrTokenInactive      = errors.New("process: process token inactive")
	ErrTokenExhausted     = errors.New("process: process token used up")
	ErrTokenExpired       = errors.New("process: process token expired")
	// ErrStepNotActive is a submission for a node the instance is not waiting at.
	ErrStepNotActive = errors.New("process: step not active")
)

// Passcodes is the identity store's passcode API as activities call it. The
// reference server implements it with the very code its HTTP endpoints run, so an
// instance's start and complete activities behave exactly like the API calls (same
// checks, same order, same lockout, history and staleness). Errors should be
// *api.Error; anything else counts as a server failure.
type Passcodes interface {
	// StartPasscode is the start call of flow for user in the tenant's store.
	StartPasscode(ctx context.Context, tenant string, flow api.Flow, storeName string, user api.UserRef, policy string) (*api.StartResponse, api.User, error)
	// CompletePasscode is the completion call of a session, body being the JSON
	// completion request.
	CompletePasscode(ctx context.Context, tenant string, flow api.Flow, storeName, sessionID string, body []byte) (*api.CompleteResponse, error)
	// GetUser looks a user of the tenant's store up, as the admin endpoint
	// GET {P}/users/{userId} (or .../{extUserId}/ext) does: the Get User activity.
	GetUser(ctx context.Context, tenant, storeName string, user api.UserRef) (api.User, error)
}

// DefaultMaxInstances is Config.MaxInstances when zero.
const DefaultMaxInstances = 10000

// Config configures an Engine.
type Config struct {
	// Passcodes runs the passcode activities. Required.
	Passcodes Passcodes
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxInstances bounds the instances kept in memory; when a new one would exceed
	// it, the oldest is forgotten. DefaultMaxInstances when zero.
	MaxInstances int
}

// Engine holds the process definitions, custom forms, process tokens and instances
// of every tenant, in memory, and runs the instances. It is safe for concurrent use.
type Engine struct {
	cfg Config

	mu        sync.Mutex
	defs      map[tkey][]Definition // versions in order, version i+1 at index i
	forms     map[tkey][]Form
	tokens    map[string]*Token // by tenant + "\x00" + id
	bySecret  map[[sha256.Size]byte]*Token
	tokenTen  map[*Token]string
	instances map[string]*instance // by tenant + "\x00" + id
	fifo      []string             // instance map keys, oldest first
}

// tkey names a definition or form of a tenant.
type tkey struct{ tenant, name string }

// NewEngine returns an empty engine.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Passcodes == nil {
		return nil, errors.New("process: config needs Passcodes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = DefaultMaxInstances
	}
	return &Engine{
		cfg:       cfg,
		defs:      map[tkey][]Definition{},
		forms:     map[tkey][]Form{},
		tokens:    map[string]*Token{},
		bySecret:  map[[sha256.Size]byte]*Token{},
		tokenTen:  map[*Token]string{},
		instances: map[string]*instance{},
	}, nil
}

func idKey(tenant, id string) string { return tenant + "\x00" + id }

// SaveForm stores f as the next version of its name and returns it as stored.
func (e *Engine) SaveForm(tenant string, f Form) (Form, error) {
	if err := f.check(); err != nil {
		return Form{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	k := tkey{tenant, f.Name}
	f.Version = len(e.forms[k]) + 1
	f.CreatedAt = e.cfg.Now().UTC()
	e.forms[k] = append(e.forms[k], f)
	return f, nil
}

// Form returns a form version; version 0 is the latest.
func (e *Engine) Form(tenant, name string, version int) (Form, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.formLocked(tenant, name, version)
	if !ok {
		return Form{}, ErrFormNotFound
	}
	return f, nil
}

func (e *Engine) formLocked(tenant, name string, version int) (Form, bool) {
	vs := e.forms[tkey{tenant, name}]
	if version == 0 {
		version = len(vs)
	}
	if version < 1 || version > len(vs) {
		return Form{}, false
	}
	return vs[version-1], true
}

// Forms returns the latest version of each of a tenant's forms, by name.
func (e *Engine) Forms(tenant string) []Form {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Form
	for k, vs := range e.forms {
		if k.tenant == tenant {
			out = append(out, vs[len(vs)-1])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Deploy validates d against the tenant's forms and stores it as the next version of
// its name ("Save & Deploy"). It returns the deployed definition, defaults filled in.
func (e *Engine) Deploy(tenant string, d Definition) (Definition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, err := Validate(d, func(name string, version int) (Form, bool) {
		return e.formLocked(tenant, name, version)
	})
	if err != nil {
		return Definition{}, err
	}
	k := tkey{tenant, v.Name}
	v.Version = len(e.defs[k]) + 1
	v.DeployedAt = e.cfg.Now().UTC()
	e.defs[k] = append(e.defs[k], v)
	return v, nil
}

// Definition returns a deployed version; version 0 is the latest.
func (e *Engine) Definition(tenant, name string, version int) (Definition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.defLocked(tenant, name, version)
	if !ok {
		return Definition{}, ErrDefinitionNotFound
	}
	return d, nil
}

func (e *Engine) defLocked(tenant, name string, version int) (Definition, bool) {
	vs := e.defs[tkey{tenant, name}]
	if version == 0 {
		version = len(vs)
	}
	if version < 1 || version > len(vs) {
		return Definition{}, false
	}
	return vs[version-1], true
}

// Definitions returns the latest version of each of a tenant's definitions, by name.
func (e *Engine) Definitions(tenant string) []Definition {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Definition
	for k, vs := range e.defs {
		if k.tenant == tenant {
			out = append(out, vs[len(vs)-1])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CreateToken makes a process token and returns it with its secret, which only this
// call ever returns.
func (e *Engine) CreateToken(tenant string, r TokenRequest) (Token, string, error) {
	now := e.cfg.Now()
	if err := r.check(now); err != nil {
		return Token{}, "", err
	}
	id, err := api.NewID()
	if err != nil {
		return Token{}, "", err
	}
	secret, hash, err := newSecret()
	if err != nil {
		return Token{}, "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.defLocked(tenant, r.ProcessDefnName, r.ProcessDefnVersion)
	if !ok {
		return Token{}, "", ErrDefinitionNotFound
	}
	t := &Token{
		ID: id, Name: r.Name, ProcessDefnName: d.Name, ProcessDefnVersion: d.Version,
		Type: r.Type, Status: r.Status, MaxUses: r.MaxUses, CreatedAt: now.UTC(),
		secretHash: hash,
	}
	if t.Status == "" {
		t.Status = TokenActive
	}
	if !r.ExpiresAt.IsZero() {
		t.ExpiresAt = r.ExpiresAt.UTC()
	}
	if len(r.Parameters) > 0 {
		t.Parameters = make(map[string]string, len(r.Parameters))
		for k, v := range r.Parameters {
			t.Parameters[k] = v
		}
	}
	e.tokens[idKey(tenant, id)] = t
	e.bySecret[hash] = t
	e.tokenTen[t] = tenant
	return t.copy(), secret, nil
}

// copy returns a copy that shares nothing mutable with t.
func (t *Token) copy() Token {
	c := *t
	if t.Parameters != nil {
		c.Parameters = make(map[string]string, len(t.Parameters))
		for k, v := range t.Parameters {
			c.Parameters[k] = v
		}
	}
	return c
}

// Token returns a token by id.
func (e *Engine) Token(tenant, id string) (Token, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[idKey(tenant, id)]
	if !ok {
		return Token{}, ErrTokenNotFound
	}
	return t.copy(), nil
}

// Tokens returns a tenant's tokens, oldest first.
func (e *Engine) Tokens(tenant string) []Token {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Token
	for t, ten := range e.tokenTen {
		if ten == tenant {
			out = append(out, t.copy())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// UpdateToken changes a token's status.
func (e *Engine) UpdateToken(tenant, id string, u TokenUpdate) (Token, error) {
	if u.Status != TokenActive && u.Status != TokenInactive {
		return Token{}, &ValidationError{Problems: []Problem{{Parameter: "status", Message: "status is ACTIVE or INACTIVE"}}}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[idKey(tenant, id)]
	if !ok {
		return Token{}, ErrTokenNotFound
	}
	t.Status = u.Status
	return t.copy(), nil
}

// Start uses the token whose secret is given to start an instance of its definition
// version, runs the instance up to its first form (or its end), and returns the end
// user's view and the instance's access key: the bearer secret for Step and Submit.
// A token of another tenant is not found.
func (e *Engine) Start(ctx context.Context, tenant, secret string) (View, string, error) {
	now := e.cfg.Now()
	id, err := api.NewID()
	if err != nil {
		return View{}, "", err
	}
	key, keyHash, err := newSecret()
	if err != nil {
		return View{}, "", err
	}
	e.mu.Lock()
	t, ok := e.bySecret[sha256.Sum256([]byte(secret))]
	if !ok || e.tokenTen[t] != tenant {
		e.mu.Unlock()
		return View{}, "", ErrTokenNotFound
	}
	if err := t.usable(now); err != nil {
		e.mu.Unlock()
		return View{}, "", err
	}
	d, ok := e.defLocked(tenant, t.ProcessDefnName, t.ProcessDefnVersion)
	if !ok {
		e.mu.Unlock()
		return View{}, "", ErrDefinitionNotFound
	}
	t.Uses++
	in := &instance{
		id: id, tenant: tenant, def: d, tokenID: t.ID, keyHash: keyHash,
		status: StatusRunning, cur: startNode(d),
		vars:     map[string]string{"token.name": t.Name},
		attempts: map[string]*attempt{},
		created:  now.UTC(), updated: now.UTC(),
	}
	for k, v := range t.Parameters {
		in.vars["token."+k] = v
	}
	in.mu.Lock() // nobody else can see it yet; held until it reaches a form
	e.instances[idKey(tenant, id)] = in
	e.fifo = append(e.fifo, idKey(tenant, id))
	for len(e.fifo) > e.cfg.MaxInstances {
		delete(e.instances, e.fifo[0])
		e.fifo = e.fifo[1:]
	}
	e.mu.Unlock()
	defer in.mu.Unlock()
	e.run(ctx, in)
	return e.view(in), key, nil
}

// startNode is the id of d's start event (Validate guarantees exactly one).
func startNode(d Definition) string {
	for _, n := range d.Nodes {
		if n.Type == TypeStartEvent {
			return n.ID
		}
	}
	return ""
}

// lookup finds an instance and checks its access key in constant time. A wrong key
// and a missing instance look the same.
func (e *Engine) lookup(tenant, id, key string) (*instance, error) {
	e.mu.Lock()
	in, ok := e.instances[idKey(tenant, id)]
	e.mu.Unlock()
	if !ok {
		return nil, ErrInstanceNotFound
	}
	h := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(h[:], in.keyHash[:]) != 1 {
		return nil, ErrInstanceNotFound
	}
	return in, nil
}

// Step returns the end user's view of an instance.
func (e *Engine) Step(tenant, id, key string) (View, error) {
	in, err := e.lookup(tenant, id, key)
	if err != nil {
		return View{}, err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return e.view(in), nil
}

// Submit hands the browser's answer to the form the instance waits at (nodeID), and
// runs the instance on to its next form or its end. A node the instance is not
// waiting at is ErrStepNotActive.
func (e *Engine) Submit(ctx context.Context, tenant, id, key, nodeID string, s Submission) (View, error) {
	in, err := e.lookup(tenant, id, key)
	if err != nil {
		return View{}, err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.status != StatusWaiting || in.cur != nodeID {
		return View{}, ErrStepNotActive
	}
	raw := s.BrowserResponse
	if len(raw) == 0 || !json.Valid(raw) || raw[0] != '{' {
		return View{}, &ValidationError{Problems: []Problem{{Parameter: "browserResponse", Message: "member \"browserResponse\" must be a JSON object"}}}
	}
	n := in.node(nodeID)
	spec, _ := ActivityByType(n.Type)
	if spec.Kind == KindForm {
		in.attempts[n.str(spec.AttemptKeyParam())].response = append([]byte(nil), raw...)
	}
	in.vars[n.str(ParamFormDataKey)+"."+FieldBrowserResponse] = string(raw)
	entry := newEntry(n, in.updated)
	entry.EndedAt = e.cfg.Now().UTC()
	in.status = StatusRunning
	in.updated = entry.EndedAt
	if !in.follow(n, &entry, nil) {
		in.history = append(in.history, entry)
		in.status = StatusCompleted
		return e.view(in), nil
	}
	in.history = append(in.history, entry)
	e.run(ctx, in)
	return e.view(in), nil
}

// Instance returns the administrator's view of an instance.
func (e *Engine) Instance(tenant, id string) (Instance, error) {
	e.mu.Lock()
	in, ok := e.instances[idKey(tenant, id)]
	e.mu.Unlock()
	if !ok {
		return Instance{}, ErrInstanceNotFound
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.admin(), nil
}

// InstanceFilter selects instances; empty fields select all.
type InstanceFilter struct {
	ProcessTokenID  string
	ProcessDefnName string
}

// Instances returns a tenant's instances that match f, oldest first.
func (e *Engine) Instances(tenant string, f InstanceFilter) []Instance {
	e.mu.Lock()
	var ins []*instance
	for _, k := range e.fifo {
		in := e.instances[k]
		if in != nil && in.tenant == tenant {
			ins = append(ins, in)
		}
	}
	e.mu.Unlock()
	out := []Instance{}
	for _, in := range ins {
		in.mu.Lock()
		a := in.admin()
		in.mu.Unlock()
		if (f.ProcessTokenID == "" || f.ProcessTokenID == a.ProcessTokenID) &&
			(f.ProcessDefnName == "" || f.ProcessDefnName == a.ProcessDefnName) {
			out = append(out, a)
		}
	}
	return out
}

// node returns the node with the id.
func (in *instance) node(id string) Node {
	for _, n := range in.def.Nodes {
		if n.ID == id {
			return n
		}
	}
	return Node{}
}

// str returns a string parameter of n.
func (n Node) str(name string) string {
	s, _ := n.Parameters[name].(string)
	return s
}

// admin builds the administrator's view. in.mu must be held.
func (in *instance) admin() Instance {
	out := Instance{
		ID: in.id, ProcessDefnName: in.def.Name, ProcessDefnVersion: in.def.Version,
		ProcessTokenID: in.tokenID, Status: in.status, Decision: in.decision,
		History: append([]HistoryEntry{}, in.history...), CreatedAt: in.created, UpdatedAt: in.updated,
	}
	if in.status == StatusWaiting {
		n := in.node(in.cur)
		spec, _ := ActivityByType(n.Type)
		v, _ := n.Parameters[ParamDataFormVersion].(int)
		out.CurrentStep = &Step{
			NodeID: n.ID, Type: n.Type, Name: n.Name, Flow: spec.Flow,
			StartingComponentID: n.str(ParamStartingComponentID), UIComponentID: n.str(ParamUIComponentID),
			FormName: n.str(ParamDataFormName), FormVersion: v,
		}
	}
	return out
}

// view builds the end user's view. in.mu must be held.
func (e *Engine) view(in *instance) View {
	v := View{InstanceID: in.id, Status: in.status}
	switch in.status {
	case StatusWaiting:
		n := in.node(in.cur)
		spec, _ := ActivityByType(n.Type)
		version, _ := n.Parameters[ParamDataFormVersion].(int)
		f, _ := e.Form(in.tenant, n.str(ParamDataFormName), version)
		v.Step = &PageStep{
			NodeID: n.ID, Type: n.Type, Flow: spec.Flow,
			StartingComponentID: n.str(ParamStartingComponentID), UIComponentID: n.str(ParamUIComponentID),
			Form: f,
		}
		if spec.Kind == KindErrorForm {
			v.Step.Error = in.lastError()
			break
		}
		a := in.attempts[n.str(spec.AttemptKeyParam())]
		v.Step.PasscodeRequirements, v.Step.AlgorithmInfo = a.start.PasscodeRequirements, a.start.AlgorithmInfo
	case StatusCompleted:
		v.Decision = in.decision
		v.Result = in.result()
	}
	return v
}

// result summarises the attempts for the page: the first failure that no branch
// recovered from, else the last completed attempt's m2 and user.
func (in *instance) result() *Result {
	var last *attempt
	for _, a := range in.tried {
		if a.err != nil && !a.recovered {
			return &Result{Flow: a.flow, Error: a.err}
		}
		if a.completed {
			last = a
		}
	}
	if last == nil {
		return nil
	}
	r := &Result{Flow: last.flow, AlgorithmInfo: last.result.AlgorithmInfo}
	u := last.result.User
	r.User = &u
	return r
}

// run executes nodes from in.cur until a form waits or an end event is reached.
// in.mu must be held.
func (e *Engine) run(ctx context.Context, in *instance) {
	// Validate refuses cycles, so a run passes each node at most once: the bound
	// only stops a definition that got past it.
	for range len(in.def.Nodes) + 1 {
		n := in.node(in.cur)
		spec, _ := ActivityByType(n.Type)
		started := e.cfg.Now().UTC()
		entry := newEntry(n, started)
		var ran *attempt // the attempt or look-up this node ran
		switch spec.Kind {
		case KindStart:
			ran = e.startActivity(ctx, in, n, spec, &entry)
		case KindGetUser:
			ran = e.getUserActivity(ctx, in, n, &entry)
		case KindForm:
			a := in.attempts[n.str(spec.AttemptKeyParam())]
			if a == nil || a.err != nil {
				entry.Outcome = OutcomeSkipped
				break
			}
			in.status, in.updated = StatusWaiting, started
			return
		case KindErrorForm:
			in.status, in.updated = StatusWaiting, started
			return
		case KindComplete:
			ran = e.completeActivity(ctx, in, n, spec, &entry)
		case KindDecider:
			in.decision = in.decide()
			entry.Decision = in.decision
		}
		entry.EndedAt = e.cfg.Now().UTC()
		in.updated = entry.EndedAt
		if n.Type == TypeEndEvent || !in.follow(n, &entry, ran) {
			in.history = append(in.history, entry)
			break
		}
		in.history = append(in.history, entry)
	}
	in.status = StatusCompleted
}

// newEntry is the history entry of node n, started at t, so far COMPLETED.
func newEntry(n Node, t time.Time) HistoryEntry {
	return HistoryEntry{
		NodeID: n.ID, Type: n.Type, Name: n.Name, Outcome: OutcomeCompleted,
		StartingComponentID: n.str(ParamStartingComponentID), UIComponentID: n.str(ParamUIComponentID),
		StartedAt: t,
	}
}

// follow takes the sequence flow out of n whose condition holds, else its default,
// records it in entry and moves the instance to its target. ran is what n ran
// (nil for events, forms and the decider). A flow taken because it names ran's
// error marks that error as branched on: a later attempt recovers from it (begin).
// It reports false when n has no flow to take, which Validate rules out.
func (in *instance) follow(n Node, entry *HistoryEntry, ran *attempt) bool {
	var taken, fallback *Flow
	for i := range in.def.Flows {
		f := &in.def.Flows[i]
		switch {
		case f.From != n.ID:
		case f.Condition == nil:
			fallback = f
		case taken == nil && in.holds(*f.Condition, entry, ran):
			taken = f
		}
	}
	if taken == nil {
		taken = fallback
	}
	if taken == nil {
		return false
	}
	entry.Next = taken.To
	if c := taken.Condition; c != nil {
		cc := *c
		entry.Condition = &cc
		if c.ErrorCode != "" {
			ran.branched = true
		}
	}
	in.cur = taken.To
	return true
}

// holds reports whether c holds after the node of entry ran ran.
func (in *instance) holds(c Condition, entry *HistoryEntry, ran *attempt) bool {
	switch {
	case c.Decision != "":
		return in.decision == c.Decision
	case c.ErrorCode != "":
		return ran != nil && entry.Outcome == OutcomeFailed && ran.err != nil && ran.err.Code == c.ErrorCode
	case c.UserStatus != "":
		return ran != nil && ran.lookup && ran.err == nil && ran.user.Status == c.UserStatus
	}
	return false
}

// begin records a new attempt or look-up. Every earlier failure that a flow branched
// on is now recovered from: the definition handled it and tries again (a retry, or
// registration after PASSCODE_NOT_REGISTERED), so the decider no longer counts it.
func (in *instance) begin(a *attempt) {
	for _, t := range in.tried {
		if t.branched && t.err != nil {
			t.recovered = true
		}
	}
	in.tried = append(in.tried, a)
}

// lastError is the failure an error form tells the user about: the latest one not
// recovered from, or nil.
func (in *instance) lastError() *api.Error {
	for i := len(in.tried) - 1; i >= 0; i-- {
		if a := in.tried[i]; a.err != nil && !a.recovered {
			return a.err
		}
	}
	return nil
}

// startActivity runs a start activity: it resolves its parameters, calls the start
// of the passcode API and records the attempt and the user.
func (e *Engine) startActivity(ctx context.Context, in *instance, n Node, spec ActivitySpec, entry *HistoryEntry) *attempt {
	key := n.str(spec.AttemptKeyParam())
	a := &attempt{flow: spec.Flow}
	in.attempts[key] = a
	in.begin(a)
	p, err := in.params(n, ParamPasscodePolicy, ParamStoreName, ParamUserID, ParamUserExternalID, ParamUserKey)
	if err != nil {
		a.fail(entry, api.NewError(api.CodeInvalidRequest, "a parameter of this activity has no value: "+err.Error()))
		return a
	}
	a.storeName = p[ParamStoreName]
	userKey := p[ParamUserKey]
	var ref api.UserRef
	switch {
	case in.vars[userKey+"."+FieldUserID] != "":
		ref = api.ByID(in.vars[userKey+"."+FieldUserID])
	case p[ParamUserID] != "":
		ref = api.ByID(p[ParamUserID])
	default:
		ref = api.ByExternalID(p[ParamUserExternalID])
	}
	resp, user, err := e.cfg.Passcodes.StartPasscode(ctx, in.tenant, spec.Flow, a.storeName, ref, p[ParamPasscodePolicy])
	if err != nil {
		a.fail(entry, wireError(err))
		return a
	}
	a.start, a.sessionID = resp, resp.SessionID
	in.storeUser(userKey, user)
	return a
}

// storeUser keeps user under its user key for later activities and substitutions.
func (in *instance) storeUser(userKey string, user api.User) {
	in.vars[userKey+"."+FieldUserID] = user.ID
	in.vars[userKey+"."+FieldUserExternalID] = user.ExternalID
	in.vars[userKey+"."+FieldUserStatus] = string(user.Status)
}

// fail records err as the attempt's failure and the node's outcome.
func (a *attempt) fail(entry *HistoryEntry, err *api.Error) {
	a.err = err
	entry.Outcome = OutcomeFailed
	entry.Error = err
}

// getUserActivity runs Get User: it looks the user up by id or external id and
// stores it under its user key.
func (e *Engine) getUserActivity(ctx context.Context, in *instance, n Node, entry *HistoryEntry) *attempt {
	a := &attempt{lookup: true}
	in.begin(a)
	p, err := in.params(n, ParamStoreName, ParamUserID, ParamUserExternalID, ParamUserKey)
	if err != nil {
		a.fail(entry, api.NewError(api.CodeInvalidRequest, "a parameter of this activity has no value: "+err.Error()))
		return a
	}
	ref := api.ByExternalID(p[ParamUserExternalID])
	if p[ParamUserID] != "" {
		ref = api.ByID(p[ParamUserID])
	}
	u, err := e.cfg.Passcodes.GetUser(ctx, in.tenant, p[ParamStoreName], ref)
	if err != nil {
		a.fail(entry, wireError(err))
		return a
	}
	a.user = u
	in.storeUser(p[ParamUserKey], u)
	return a
}

// completeActivity runs a complete activity with the browser's response.
func (e *Engine) completeActivity(ctx context.Context, in *instance, n Node, spec ActivitySpec, entry *HistoryEntry) *attempt {
	a := in.attempts[n.str(spec.AttemptKeyParam())]
	if a == nil || a.err != nil {
		entry.Outcome = OutcomeSkipped
		return a
	}
	body := a.response
	if tmpl := n.str(spec.BrowserResponseParam()); tmpl != "" {
		s, err := expand(tmpl, in.vars)
		if err != nil {
			a.fail(entry, api.NewError(api.CodeInvalidRequest, "the browser response parameter has no value"))
			return a
		}
		body = []byte(s)
	}
	if len(body) == 0 {
		a.fail(entry, api.NewError(api.CodeInvalidRequest, "no browser response reached this activity"))
		return a
	}
	resp, err := e.cfg.Passcodes.CompletePasscode(ctx, in.tenant, spec.Flow, a.storeName, a.sessionID, body)
	if err != nil {
		a.fail(entry, wireError(err))
		return a
	}
	a.result, a.completed = resp, true
	return a
}

// params expands the named string parameters of n.
func (in *instance) params(n Node, names ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range names {
		s, err := expand(n.str(name), in.vars)
		if err != nil {
			return nil, fmt.Errorf("%s", name)
		}
		out[name] = s
	}
	return out, nil
}

// wireError returns err as the wire error it carries, or a generic internal error
// whose text (which may name internals) is not kept.
func wireError(err error) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	return api.NewError(api.CodeInternal, "internal error")
}

// failCodes are the errors that say something definite about the user: the decider
// answers FAIL for them. Every other error leads to REVIEW.
func failCodes() map[api.Code]bool {
	return map[api.Code]bool{
		api.CodeInvalidProof: true, api.CodeInvalidPublicValue: true, api.CodeInvalidVerifier: true,
		api.CodeInvalidRequest: true, api.CodePasscodeHistoryViolation: true,
		api.CodePasscodeAlreadyRegistered: true, api.CodePasscodeNotRegistered: true,
		api.CodeUserLocked: true, api.CodeUserDisabled: true, api.CodeUserNotFound: true,
	}
}

// decide is the simple decider: PASS when at least one attempt completed and none
// failed; FAIL when an attempt (or a Get User) failed for a reason about the user;
// REVIEW otherwise. A failure a branch recovered from (begin) does not count.
func (in *instance) decide() Decision {
	completed := false
	fails := failCodes()
	for _, a := range in.tried {
		if a.err != nil && !a.recovered {
			if fails[a.err.Code] {
				return DecisionFail
			}
			return DecisionReview
		}
		completed = completed || a.completed
	}
	if !completed {
		return DecisionReview
	}
	return DecisionPass
}
