package load

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// Limits of the precomputation.
const (
	// maxChain is the most next-passcode secrets made ahead for one user.
	maxChain = 256
	// maxPrecomputed bounds all secrets and ephemerals made ahead (~0.5 KB each).
	maxPrecomputed = 200_000
	// maxBody is the largest response body the generator reads.
	maxBody = 1 << 20
)

// starvedURL marks the target of a pacer tick that found no completion ready. Its
// scheme makes the attacker's transport fail it at once, without any network.
const starvedURL = "renewkit-starved://tick"

var errStarved = errors.New("load: starved pacer tick")

// user is one renewing user. It is owned by one goroutine at a time, handed on
// through channels (idle -> producer -> ready queue -> attacker -> collector ->
// idle), which is what keeps each user to at most one renewal in flight. Only the
// chain of next secrets has a lock, because the top-up between phases extends the
// chains of users that may be queued meanwhile.
type user struct {
	ref       api.UserRef
	startPath string
	identity  []byte
	salt      []byte
	current   *srp.Secret
	failures  int // consecutive failed starts, for back-off

	mu     sync.Mutex
	chain  []*srp.Secret // the next passcodes' secrets, in order, made ahead
	recent []string      // the last passcodes of the chain (current included): history
}

// pending is one renewal between its start and its completion.
type pending struct {
	u      *user
	client *srp.Client
	next   *srp.Secret
	target vegeta.Target
}

// chainGen makes the passcode chains. The generator is safe for concurrent use.
type chainGen struct {
	params  *srp.Params
	gen     *passcode.Generator
	history int // passcodeHistory of the policy: the chain never repeats within it
}

// push appends a freshly generated passcode's secret to the user's chain, unless the
// chain is full. A candidate that repeats one of the last history passcodes is
// drawn again, so the server's history check never fires on the generator's
// account.
func (g *chainGen) push(u *user) (bool, error) {
	u.mu.Lock()
	if len(u.chain) >= maxChain {
		u.mu.Unlock()
		return false, nil
	}
	recent := slices.Clone(u.recent)
	u.mu.Unlock()
	var pass string
	for tries := 0; ; tries++ {
		p, err := g.gen.Generate(nil)
		if err != nil {
			return false, fmt.Errorf("load: generating a passcode: %w", err)
		}
		if !slices.Contains(recent, p) {
			pass = p
			break
		}
		if tries > 100 {
			return false, fmt.Errorf("load: the policy admits too few passcodes to renew without repeating one of the last %d", g.history)
		}
	}
	s := g.params.NewSecret(u.identity, []byte(pass), u.salt)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.chain = append(u.chain, s)
	u.recent = append(u.recent, pass)
	if keep := max(g.history, 1); len(u.recent) > keep {
		u.recent = slices.Delete(u.recent, 0, len(u.recent)-keep)
	}
	return true, nil
}

// next takes the first secret of the chain, or nil when it is empty.
func (u *user) next() *srp.Secret {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.chain) == 0 {
		return nil
	}
	s := u.chain[0]
	u.chain = u.chain[1:]
	return s
}

// unshift puts back a secret whose renewal did not happen.
func (u *user) unshift(s *srp.Secret) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.chain = slices.Insert(u.chain, 0, s)
}

func (u *user) chainLen() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.chain)
}

// ephPool holds client ephemerals (a, A = g^a) made ahead of the attack.
type ephPool struct {
	params   *srp.Params
	ch       chan *srp.Ephemeral
	onDemand atomic.Uint64
}

func newEphPool(p *srp.Params, capacity int) *ephPool {
	return &ephPool{params: p, ch: make(chan *srp.Ephemeral, max(capacity, 1))}
}

// get takes a ready ephemeral, or makes one on the spot (counted) when the pool ran
// dry.
func (e *ephPool) get() (*srp.Ephemeral, error) {
	select {
	case x := <-e.ch:
		return x, nil
	default:
		e.onDemand.Add(1)
		return e.params.NewEphemeral()
	}
}

// put returns an ephemeral that no session used.
func (e *ephPool) put(x *srp.Ephemeral) {
	select {
	case e.ch <- x:
	default:
	}
}

// readyQueue holds started renewals whose completion is ready to send. Producers
// reserve a slot before they start a renewal, so the queue never holds (or is about
// to hold) more than depth sessions: sessions stay young, and users are not all
// parked in the queue. pop never blocks: that is the targeter's promise.
type readyQueue struct {
	ch     chan *pending
	mu     sync.Mutex
	cond   *sync.Cond
	depth  int
	held   int
	closed bool
}

func newReadyQueue(capacity int) *readyQueue {
	q := &readyQueue{ch: make(chan *pending, max(capacity, 1)), depth: 1}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *readyQueue) setDepth(d int) {
	q.mu.Lock()
	q.depth = min(max(d, 1), cap(q.ch))
	q.cond.Broadcast()
	q.mu.Unlock()
}

// reserve waits for a free slot; false once the queue is closed.
func (q *readyQueue) reserve() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.held >= q.depth && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return false
	}
	q.held++
	return true
}

func (q *readyQueue) unreserve() {
	q.mu.Lock()
	q.held--
	q.cond.Signal()
	q.mu.Unlock()
}

// push adds a renewal to a reserved slot; it never blocks.
func (q *readyQueue) push(p *pending) { q.ch <- p }

// pop takes a ready renewal, or nil at once when there is none.
func (q *readyQueue) pop() *pending {
	select {
	case p := <-q.ch:
		q.unreserve()
		return p
	default:
		return nil
	}
}

func (q *readyQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// pipeline runs renewals: producers start them and queue ready completions, the
// attacker fires those through targeter, the collector checks each answer and hands
// the user back.
type pipeline struct {
	t       *sut.Target
	tokens  *sut.TokenSource
	base    string
	paths   api.Paths
	host    string
	policy  string
	learnMu sync.Mutex // guards params, nWire and chains while setup learns them
	params  *srp.Params
	nWire   string
	chains  *chainGen
	hc      *http.Client
	timeout time.Duration

	users []*user
	idle  chan *user
	q     *readyQueue
	eph   *ephPool
	rec   *recorder

	inflight sync.Map // completion URL -> *pending

	auth atomic.Pointer[authCache]

	startSeq, completeSeq atomic.Uint64
	onDemandSecrets       atomic.Uint64
	resolved, retired     atomic.Uint64
	renewed, starved      atomic.Uint64
	resolving             sync.WaitGroup
}

// authCache is the Authorization header for the current user-role token.
type authCache struct {
	token  string
	header http.Header
}

// header returns the completion headers for the current token, rebuilding them
// when the token source renewed the token.
func (p *pipeline) header(ctx context.Context) (http.Header, error) {
	tok, err := p.tokens.Token(ctx, tokenRole)
	if err != nil {
		return nil, err
	}
	if c := p.auth.Load(); c != nil && c.token == tok {
		return c.header, nil
	}
	h := http.Header{
		"Authorization": {"Bearer " + tok},
		"Content-Type":  {"application/json"},
	}
	if p.host != "" {
		h.Set("Host", p.host)
	}
	p.auth.Store(&authCache{token: tok, header: h})
	return h, nil
}

// release hands a user back for its next renewal, after delay.
func (p *pipeline) release(u *user, delay time.Duration) {
	if delay <= 0 {
		p.idle <- u // cap(idle) == len(users): never blocks
		return
	}
	time.AfterFunc(delay, func() { p.idle <- u })
}

// produce keeps the ready queue filled until the queue closes or ctx ends.
func (p *pipeline) produce(ctx context.Context) {
	for {
		if !p.q.reserve() {
			return
		}
		var u *user
		select {
		case u = <-p.idle:
		case <-ctx.Done():
			p.q.unreserve()
			return
		}
		pd, err := p.startRenewal(ctx, u)
		if err != nil {
			p.q.unreserve()
			u.failures++
			p.release(u, backoff(u.failures))
			continue
		}
		u.failures = 0
		p.inflight.Store(pd.target.URL, pd)
		p.q.push(pd)
	}
}

// backoff is the pause before a user whose starts keep failing tries again.
func backoff(failures int) time.Duration {
	d := 100 * time.Millisecond << min(failures, 6)
	return min(d, 5*time.Second)
}

// startRenewal sends the start request of a renewal for u, proves the current
// passcode with precomputed pieces and builds the completion target. The start
// request is recorded in the start series.
func (p *pipeline) startRenewal(ctx context.Context, u *user) (*pending, error) {
	next := u.next()
	if next == nil {
		if _, err := p.chains.push(u); err != nil {
			return nil, err
		}
		p.onDemandSecrets.Add(1)
		if next = u.next(); next == nil {
			return nil, errors.New("load: passcode chain is full and empty at once")
		}
	}
	e, err := p.eph.get()
	if err != nil {
		u.unshift(next)
		return nil, err
	}
	hdr, err := p.header(ctx)
	if err != nil {
		u.unshift(next)
		p.eph.put(e)
		return nil, err
	}
	res, body := p.post(ctx, SeriesStart, p.startSeq.Add(1)-1, u.startPath, []byte("{}"), hdr)
	if res.Code == 0 && ctx.Err() != nil {
		// Cancelled by the run's own shutdown: not the server's failure, not
		// recorded. The session, if the server made one, is left to expire.
		u.unshift(next)
		p.eph.put(e)
		return nil, ctx.Err()
	}
	pd, failure := p.prepareCompletion(u, next, e, res, body, hdr)
	if failure != "" {
		res.Error = failure
	}
	p.rec.add(res)
	if pd == nil {
		u.unshift(next)
		return nil, errors.New(res.Error)
	}
	return pd, nil
}

// prepareCompletion turns a start response into a ready completion, or says why it
// cannot (as a result Error).
func (p *pipeline) prepareCompletion(u *user, next *srp.Secret, e *srp.Ephemeral, res *vegeta.Result, body []byte, hdr http.Header) (*pending, string) {
	if res.Code != 200 || res.Error != "" {
		p.eph.put(e)
		return nil, res.Error
	}
	var sr api.StartResponse
	if err := json.Unmarshal(body, &sr); err != nil {
		p.eph.put(e)
		return nil, errorPrefix + KeyMalformed + ": start response does not decode"
	}
	sp := sr.AlgorithmInfo.Parameters
	switch {
	case sr.SessionID == "" || sp.ServerPublicKey == "":
		p.eph.put(e)
		return nil, errorPrefix + KeyMalformed + ": start response lacks sessionId or serverPublicKey"
	case sp.I != string(u.identity) || !p.sameSalt(sp.Salt, u.salt):
		p.eph.put(e)
		return nil, errorPrefix + KeyMalformed + ": renewal changed the credential's i or salt"
	case sp.N != p.nWire && !p.sameGroup(&sr):
		p.eph.put(e)
		return nil, errorPrefix + KeyMalformed + ": start response names another SRP group"
	}
	B, err := srp.DecodeInt(sp.ServerPublicKey)
	if err != nil {
		p.eph.put(e)
		return nil, errorPrefix + KeyMalformed + ": serverPublicKey does not decode"
	}
	// The start was checked against what setup learnt above, so its parameters,
	// identity and salt are the user's: no need to parse the whole start again.
	start := api.StartParams{Params: p.params, Identity: u.identity, Salt: u.salt, B: B}
	req, client, err := start.Completion(u.current, next, e)
	switch {
	case errors.Is(err, api.ErrBadParameters):
		return nil, errorPrefix + KeyProof + ": the client refuses the server's B"
	case err != nil:
		return nil, errorPrefix + KeyProof + ": " + err.Error()
	}
	reqBody, err := json.Marshal(req)
	if err != nil {
		return nil, errorPrefix + KeyMalformed + ": " + err.Error()
	}
	return &pending{
		u: u, client: client, next: next,
		target: vegeta.Target{
			Method: http.MethodPost,
			URL:    p.base + p.paths.Complete(api.FlowRenewal, p.t.Store, sr.SessionID),
			Body:   reqBody,
			Header: hdr,
		},
	}, ""
}

func (p *pipeline) sameSalt(wire string, salt []byte) bool {
	s, err := srp.DecodeSalt(wire)
	return err == nil && subtle.ConstantTimeCompare(s, salt) == 1
}

// sameGroup is the slow path for a start response whose n is spelled differently.
func (p *pipeline) sameGroup(sr *api.StartResponse) bool {
	sp, err := api.ParseStart(sr, targetProfile(p.t), true)
	return err == nil && sp.Params.String() == p.params.String()
}

// post sends one request outside the attacker and returns its result (Timestamp =
// send time, Latency to the last body byte) and the body.
func (p *pipeline) post(ctx context.Context, series Series, seq uint64, path string, body []byte, hdr http.Header) (*vegeta.Result, []byte) {
	url := p.base + path
	res := &vegeta.Result{Attack: string(series), Seq: seq, Method: http.MethodPost, URL: url, BytesOut: uint64(len(body))}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		res.Timestamp = time.Now()
		res.Error = err.Error()
		return res, nil
	}
	req.Header = hdr.Clone()
	if p.host != "" {
		req.Host = p.host
	}
	res.Timestamp = time.Now()
	resp, err := p.hc.Do(req)
	if err != nil {
		res.Latency = time.Since(res.Timestamp)
		res.Error = err.Error()
		return res, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	res.Latency = time.Since(res.Timestamp)
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	res.Code = uint16(resp.StatusCode)
	res.BytesIn = uint64(len(b))
	if res.Code != 200 {
		res.Error = resp.Status
		res.Body = b
	}
	return res, b
}

// targeter is the attacker's Targeter: it pops a ready completion, and never waits.
// When none is ready the tick is spent on starvedURL, which the attacker's transport
// fails without touching the network; the collector counts it.
func (p *pipeline) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		if pd := p.q.pop(); pd != nil {
			*t = pd.target
			return nil
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: starvedURL}
		return nil
	}
}

// starvedTransport fails starved ticks before they reach the network.
type starvedTransport struct{ next http.RoundTripper }

func (s starvedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "renewkit-starved" {
		return nil, errStarved
	}
	return s.next.RoundTrip(r)
}

// phase is the outcome of one attack along one schedule.
type phase struct {
	began                   time.Time
	duration                time.Duration
	planned, ticks, starved uint64
}

// attack fires the ready completions along sched and collects every answer. It
// returns when the schedule is done and every request answered or timed out, or
// ctx ends.
func (p *pipeline) attack(ctx context.Context, sched *Schedule, attackClient *http.Client, maxWorkers uint64, current *atomic.Pointer[Pacer]) phase {
	pacer := NewPacer(sched)
	current.Store(pacer)
	atk := vegeta.NewAttacker(
		vegeta.Client(attackClient),
		vegeta.Workers(min(maxWorkers, 32)),
		vegeta.MaxWorkers(maxWorkers),
	)
	results := atk.Attack(p.targeter(), pacer, 0, string(SeriesComplete))
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-done:
		}
	}()
	ph := phase{planned: sched.Planned(), duration: sched.Duration()}
	for r := range results {
		ph.ticks++
		if r.URL == starvedURL {
			ph.starved++
			p.starved.Add(1)
			continue
		}
		p.collect(ctx, r, pacer)
	}
	ph.began = pacer.Began()
	if ctx.Err() != nil {
		// Stopped early: the schedule's length is what ran.
		if el := time.Since(ph.began); el < ph.duration {
			ph.duration = el
			ph.planned = uint64(sched.Hits(el))
		}
	}
	return ph
}

// collect checks one completion's answer, records it and hands the user on. Every
// URL the targeter hands out was stored in inflight first, so the lookup finds it.
func (p *pipeline) collect(ctx context.Context, r *vegeta.Result, pacer *Pacer) {
	v, ok := p.inflight.LoadAndDelete(r.URL)
	if !ok {
		return
	}
	pd := v.(*pending)
	sent := r.Timestamp
	end := sent.Add(r.Latency)
	intended, ok := pacer.Intended(r.Seq)
	if !ok || intended.After(sent) {
		intended = sent
	}
	lag := sent.Sub(intended)
	out := &vegeta.Result{
		Attack: string(SeriesComplete), Seq: p.completeSeq.Add(1) - 1,
		Code: r.Code, Timestamp: intended, Latency: end.Sub(intended),
		BytesOut: r.BytesOut, BytesIn: r.BytesIn, Error: r.Error, Body: r.Body,
		Method: r.Method, URL: r.URL, Headers: withLag(lag),
	}
	u := pd.u
	switch {
	case r.Code == 200 && r.Error == "":
		if key := p.checkCompletion(pd, r.Body); key != "" {
			out.Error = key
		}
		// A 200 means the server stored the new verifier, verified M2 or not.
		u.current = pd.next
		p.renewed.Add(1)
		p.release(u, 0)
	case r.Code == 0:
		// No answer: the renewal may or may not have happened. Find out off the
		// measured path before the user renews again.
		p.resolving.Add(1)
		go p.resolve(ctx, u, pd.next)
	default:
		// A well-formed failure changes nothing (SPEC.md section 2).
		u.unshift(pd.next)
		p.release(u, 0)
	}
	p.rec.add(out)
}

// checkCompletion is the functional check of a 200 completion: its m2 must verify.
// It returns the Error to record, or "".
func (p *pipeline) checkCompletion(pd *pending, body []byte) string {
	var cr api.CompleteResponse
	if err := json.Unmarshal(body, &cr); err != nil {
		return errorPrefix + KeyMalformed + ": completion response does not decode"
	}
	if cr.AlgorithmInfo == nil || cr.AlgorithmInfo.Parameters.M2 == "" {
		return errorPrefix + KeyMalformed + ": completion response has no m2"
	}
	switch err := api.VerifyM2(p.params, pd.client, &cr); {
	case errors.Is(err, srp.ErrInvalidProof):
		return errorPrefix + KeyM2 + ": server proof m2 did not verify"
	case err != nil:
		return errorPrefix + KeyMalformed + ": m2 does not decode"
	}
	return ""
}

// resolve finds out whether an unanswered renewal happened, by authenticating with
// the new passcode: success means it did; INVALID_PROOF means it did not (that
// failed attempt is reset by the user's next successful renewal). Any other outcome
// retires the user for the rest of the run.
func (p *pipeline) resolve(ctx context.Context, u *user, next *srp.Secret) {
	defer p.resolving.Done()
	applied, err := p.authenticate(ctx, u, next)
	if err != nil {
		p.retired.Add(1)
		return
	}
	p.resolved.Add(1)
	if applied {
		u.current = next
	} else {
		u.unshift(next)
	}
	p.release(u, 0)
}

// authenticate runs an authentication flow for u with secret s. It reports true
// for a verified success, false for INVALID_PROOF, and an error otherwise.
func (p *pipeline) authenticate(ctx context.Context, u *user, s *srp.Secret) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*p.timeout)
	defer cancel()
	c, err := p.tokens.Client(ctx, p.t.Tenant, tokenRole)
	if err != nil {
		return false, err
	}
	res, err := api.SRPFlow{Client: c, Profile: targetProfile(p.t)}.AuthenticateWith(ctx, p.t.Store, u.ref, p.policy, s)
	switch {
	case err == nil:
		return true, nil
	case res.Params != nil && (string(res.Params.Identity) != string(u.identity) || !bytes.Equal(res.Params.Salt, u.salt)):
		// Then the proof was of another credential: its refusal says nothing.
		return false, errors.New("load: authentication: the server changed the credential's i or salt")
	case api.ErrorCode(err) == api.CodeInvalidProof:
		return false, nil
	}
	return false, fmt.Errorf("load: authentication: %w", err)
}
