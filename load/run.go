package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/version"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds each request of the run.
	DefaultTimeout = 30 * time.Second
	// generatorBoundShare is the share of a step's planned sends that may go
	// unsent (starved or dropped) before the step is held to measure the
	// generator rather than the deployment.
	generatorBoundShare = 0.01
	// generatorBoundMin is the fewest unsent completions that can make a step
	// generator-bound: one starved tick in a short step is noise.
	generatorBoundMin = 5
)

// Config is one load run. Target and Profile are required; every other field has a
// documented default.
type Config struct {
	// Target is the server under test; it must offer the admin API (sut.Admin),
	// and its full role's token is used for every request.
	Target  *sut.Target
	Profile *Profile
	// Thresholds gate the run; the profile's when nil.
	Thresholds []Threshold
	// Shard is this generator's share of a sharded run; the zero value is all of it.
	Shard Shard
	// RunID names the run's users (ExternalID); random when empty. Shards of one
	// run may share it or not: their users are disjoint either way.
	RunID string
	// ReportDir receives the results files, summary.json and report.html; nothing
	// is written when empty.
	ReportDir string
	// Command is the command line of the run, recorded in the reports.
	Command []string
	// Progress receives the setup and live progress lines; none when nil.
	// Interactive redraws one line in place (for a terminal) instead of printing
	// a line every ProgressEvery.
	Progress    io.Writer
	Interactive bool
	// ProgressEvery is the interval of the live line when not Interactive; 5s
	// when zero. Interactive lines are redrawn every second.
	ProgressEvery time.Duration
	// Timeout bounds each request; DefaultTimeout when zero.
	Timeout time.Duration
	// LateAfter is how late a send may be before it counts as late;
	// DefaultLateAfter when zero.
	LateAfter time.Duration
	// ServerPID, when set, is the server process whose CPU time is measured beside
	// the generator's (Linux, same host).
	ServerPID int
	// Producers is the number of producer goroutines; derived from the peak rate
	// when zero.
	Producers int
	// StartAt, when set, is when the attack begins: every shard of a run given the
	// same StartAt starts together. The run first checks that this host's clock is
	// within MaxClockSkew (DefaultMaxClockSkew when zero) of the target's, and
	// refuses a start time that passes while it sets up (ErrStart).
	StartAt      time.Time
	MaxClockSkew time.Duration
	// Collector, when set, is the base URL of a distributed run's collector
	// (`renewkit load merge --listen`): once set up, the run waits at its start
	// barrier for every shard, and starts when it says, on a clock corrected by
	// the measured difference (refused beyond MaxClockSkew). It excludes StartAt.
	Collector string
}

// ErrInterrupted means the run stopped early because its context ended; the
// summary covers what ran.
var ErrInterrupted = errors.New("load: run interrupted")

// Run sets up the users, attacks along the profile and returns the summary. The
// summary's Passed field carries the thresholds' verdict; the error reports a run
// that could not be carried out (or ErrInterrupted, with a partial summary).
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	prof := cfg.Profile
	if prof == nil {
		return nil, fmt.Errorf("%w: no profile", ErrProfile)
	}
	if err := prof.Validate(); err != nil {
		return nil, err
	}
	base, err := checkTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	if err := cfg.Shard.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrShard, err)
	}
	thresholds := cfg.Thresholds
	if thresholds == nil {
		if thresholds, err = ParseThresholds(prof.Thresholds); err != nil {
			return nil, err
		}
	}
	var holds []Threshold
	if prof.Search != nil {
		if holds, err = ParseThresholds(prof.Search.Holds); err != nil {
			return nil, err
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.LateAfter <= 0 {
		cfg.LateAfter = DefaultLateAfter
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 5 * time.Second
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = DefaultMaxClockSkew
	}
	if cfg.Collector != "" {
		switch {
		case !cfg.StartAt.IsZero():
			return nil, fmt.Errorf("%w: a collector names the start time itself: give a collector or a start time, not both", ErrStart)
		case cfg.RunID == "":
			return nil, fmt.Errorf("%w: the shards of a run with a collector share a run id: give every shard the same one", ErrShard)
		}
	}
	if cfg.RunID == "" {
		cfg.RunID = newRunID()
	}
	indexes := cfg.Shard.Users(prof.Users)
	if len(indexes) == 0 {
		return nil, fmt.Errorf("%w: shard %s of %d users has none", ErrShard, cfg.Shard, prof.Users)
	}
	peak := prof.PeakRate() * cfg.Shard.Scale()
	plan, err := planPhases(prof, cfg.Shard)
	if err != nil {
		return nil, err
	}

	r := &runner{cfg: cfg, prof: prof, base: base, thresholds: thresholds, holds: holds, plan: plan, peak: peak}
	return r.run(ctx, indexes)
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// planPhases turns the profile into the schedules of its attack phases, this
// shard's share of each (Schedule.Share): one for stages, one per step for a
// search.
func planPhases(prof *Profile, sh Shard) ([]*Schedule, error) {
	if prof.Search != nil {
		var out []*Schedule
		for _, rate := range prof.Search.Rates() {
			s, err := ConstantSchedule(rate, time.Duration(prof.Search.StepDuration))
			if err != nil {
				return nil, err
			}
			out = append(out, s.Share(sh))
		}
		return out, nil
	}
	s, err := NewSchedule(prof.Stages)
	if err != nil {
		return nil, err
	}
	return []*Schedule{s.Share(sh)}, nil
}

// runner carries one run.
type runner struct {
	cfg        Config
	prof       *Profile
	base       string
	thresholds []Threshold
	holds      []Threshold
	plan       []*Schedule
	peak       float64

	p       *pipeline
	current atomic.Pointer[Pacer]
	outMu   sync.Mutex // one progress write at a time
	// floors is the SRP floor measured at the start (measureFloors); nil if it
	// could not be.
	floors *Floors
}

// progressf writes a progress note. On a terminal it first clears the live line,
// which the next tick redraws.
func (r *runner) progressf(format string, args ...any) {
	if r.cfg.Progress == nil {
		return
	}
	r.outMu.Lock()
	defer r.outMu.Unlock()
	if r.cfg.Interactive {
		fmt.Fprint(r.cfg.Progress, "\r\x1b[2K")
	}
	fmt.Fprintf(r.cfg.Progress, format, args...)
}

func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // load goes straight to the target, never through a proxy
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (r *runner) run(ctx context.Context, indexes []int) (*Summary, error) {
	cfg := r.cfg
	producers := cfg.Producers
	if producers <= 0 {
		// Enough that starts taking a quarter second each still keep up with the
		// peak rate; more than one per user is useless.
		producers = int(min(max(math.Ceil(r.peak*0.25), 8), 1024, float64(len(indexes))))
	}
	maxWorkers := uint64(len(indexes) + 16)
	p := &pipeline{
		t:       cfg.Target,
		base:    r.base,
		paths:   targetPaths(cfg.Target),
		host:    targetHost(cfg.Target),
		policy:  r.prof.PolicyName(),
		timeout: cfg.Timeout,
		hc:      &http.Client{Transport: newTransport(producers + setupConcurrency), Timeout: cfg.Timeout, CheckRedirect: noRedirect},
	}
	p.tokens = sut.NewTokenSource(p.t, p.hc)
	r.p = p
	attackClient := &http.Client{
		Transport:     starvedTransport{next: newTransport(int(maxWorkers))},
		Timeout:       cfg.Timeout,
		CheckRedirect: noRedirect,
	}

	// A synchronized start needs clocks that agree: checked before any setup.
	var skew *ClockSkew
	if !cfg.StartAt.IsZero() {
		if late := time.Since(cfg.StartAt); late > startLate {
			return nil, fmt.Errorf("%w: the start time %s is %v past already; give a later --start-at", ErrStart, cfg.StartAt.Format(time.RFC3339), late.Round(time.Second))
		}
		cs, err := measureSkew(ctx, p.hc, r.base)
		if err == nil {
			err = checkSkew(cs, cfg.MaxClockSkew)
		}
		if err != nil {
			if ctx.Err() != nil {
				return r.interruptedEarly(), ErrInterrupted
			}
			return nil, err
		}
		r.progressf("start: clock %v off the target's (±%v), within %v; attack at %s\n",
			time.Duration(cs.Skew).Round(time.Millisecond), time.Duration(cs.Uncertainty).Round(time.Millisecond), cfg.MaxClockSkew, cfg.StartAt.Format(time.RFC3339Nano))
		skew = &cs
	}

	// Setup: users created and registered before anything is measured.
	setupBegan := time.Now()
	var lastSetup atomic.Int64
	err := p.setupUsers(ctx, cfg.RunID, indexes, func(done int) {
		now := time.Now().UnixNano()
		if last := lastSetup.Load(); (now-last >= int64(time.Second) || done == len(indexes)) && lastSetup.CompareAndSwap(last, now) {
			r.progressf("setup: %d/%d users registered\n", done, len(indexes))
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return r.interruptedEarly(), ErrInterrupted
		}
		return nil, err
	}
	setupTime := time.Since(setupBegan)

	var planned uint64
	for _, s := range r.plan {
		planned += s.Planned()
	}
	p.idle = make(chan *user, len(p.users))
	for _, u := range p.users {
		p.idle <- u
	}
	p.q = newReadyQueue(len(p.users))
	// The SRP floor of one completion on this machine now, to read CPU against.
	if floors, err := measureFloors(p.params); err == nil {
		r.floors = floors
		r.progressf("floor: SRP work of one renewal here: server %s, generator %s (+%s made ahead)\n",
			fmtDuration(time.Duration(floors.Server)), fmtDuration(time.Duration(floors.Generator)), fmtDuration(time.Duration(floors.Precomputed)))
	}
	p.eph = newEphPool(p.params, int(min(planned+uint64(len(p.users)), maxPrecomputed)))

	// The first phase's precomputation runs before the producers start, so that
	// not even the first renewals compute a secret on demand.
	if err := r.precompute(ctx, r.plan[0].Planned()); err != nil {
		if ctx.Err() != nil {
			return r.interruptedEarly(), ErrInterrupted
		}
		return nil, err
	}

	var total time.Duration
	for _, s := range r.plan {
		total += s.Duration()
	}
	startAt := cfg.StartAt
	if cfg.Collector != "" {
		at, cs, err := r.barrier(ctx, p.hc)
		if err != nil {
			if ctx.Err() != nil {
				return r.interruptedEarly(), ErrInterrupted
			}
			return nil, err
		}
		r.progressf("start: every shard ready; clock %v off the collector's (±%v), within %v\n",
			time.Duration(cs.Skew).Round(time.Millisecond), time.Duration(cs.Uncertainty).Round(time.Millisecond), cfg.MaxClockSkew)
		startAt, skew = at, &cs
	}
	if !startAt.IsZero() {
		if err := r.waitForStart(ctx, startAt); err != nil {
			if ctx.Err() != nil {
				return r.interruptedEarly(), ErrInterrupted
			}
			return nil, err
		}
	}
	origin := time.Now()
	p.rec = newRecorder(origin, windowFor(total), cfg.LateAfter)
	if cfg.ReportDir != "" {
		if err := r.openResults(); err != nil {
			return nil, err
		}
	}
	prodCtx, stopProducers := context.WithCancel(ctx)
	var prodWG sync.WaitGroup
	for range producers {
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.produce(prodCtx) }()
	}
	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	if cfg.Progress != nil {
		progressWG.Add(1)
		go func() { defer progressWG.Done(); r.liveProgress(origin, progressDone) }()
	}

	s := &Summary{
		Profile: r.prof.Name, RunID: cfg.RunID, Target: r.base, Policy: p.policy,
		Users: len(p.users), Started: origin, WindowSeconds: windowFor(total).Seconds(),
		Version: version.Get(), Command: cfg.Command, StartAt: startAt, ClockSkew: skew, Floors: r.floors,
	}
	if cfg.Shard.normal().Count > 1 {
		s.Shard = cfg.Shard.String()
	}
	var phases []phase
	var runErr error
	cpuTotal := &cpuMeter{pid: cfg.ServerPID}
	for i, sched := range r.plan {
		if ctx.Err() != nil {
			break
		}
		if err := r.prepare(ctx, sched); err != nil {
			if ctx.Err() == nil {
				runErr = err
			}
			break
		}
		if r.holds != nil {
			p.rec.beginStep(cfg.LateAfter)
		}
		meter := &cpuMeter{pid: cfg.ServerPID}
		meter.begin()
		ph := p.attack(ctx, sched, attackClient, maxWorkers, &r.current)
		meter.end()
		phases = append(phases, ph)
		s.Requested = append(s.Requested, requestedPoints(sched, ph, origin)...)
		cpuTotal.add(meter)
		if r.holds == nil {
			continue
		}
		complete, start := p.rec.endStep()
		step := r.evaluateStep(sched, ph, complete, start, meter)
		if !ph.began.IsZero() {
			step.BeganSeconds = ph.began.Sub(origin).Seconds()
		}
		step.Seconds = ph.duration.Seconds()
		s.Steps = append(s.Steps, step)
		if !step.Held || i == len(r.plan)-1 {
			break
		}
	}

	// Shut down: no new renewals, answers in flight collected, unanswered ones
	// resolved (bounded by the request timeout).
	stopProducers()
	p.q.close()
	prodWG.Wait()
	p.resolving.Wait()
	close(progressDone)
	progressWG.Wait()

	var attack time.Duration
	for _, ph := range phases {
		attack += ph.duration
		s.Generator.Planned += ph.planned
		s.Generator.Starved += ph.starved
		if ph.ticks < ph.planned {
			s.Generator.Dropped += ph.planned - ph.ticks
		}
	}
	s.AttackSeconds = attack.Seconds()
	if attack > 0 {
		s.RequestedRate = float64(s.Generator.Planned) / attack.Seconds()
	}
	r.fill(s, attack, setupTime)
	if cpuTotal.completions(p) > 0 {
		s.CPU = cpuTotal.summary(r.floors)
	}
	if r.prof.Search != nil {
		s.Saturation = saturation(s.Steps, len(r.plan), r.prof.Search)
	}
	s.Interrupted = ctx.Err() != nil
	s.judge(r.thresholds)

	var werr error
	for _, w := range p.rec.files {
		if err := w.close(); err != nil && werr == nil {
			werr = err
		}
	}
	if p.rec.writeErr != nil {
		werr = p.rec.writeErr
	}
	if werr == nil && cfg.ReportDir != "" {
		werr = WriteReports(cfg.ReportDir, s)
	}
	if werr != nil {
		return s, werr
	}
	if runErr != nil {
		return s, runErr
	}
	if ctx.Err() != nil {
		return s, ErrInterrupted
	}
	return s, nil
}

// requestedPoints samples the rate sched asked for during phase ph, in seconds
// since origin, for the report's rate chart beside the achieved rate.
func requestedPoints(sched *Schedule, ph phase, origin time.Time) []RatePoint {
	if ph.began.IsZero() || ph.duration <= 0 {
		return nil
	}
	const samples = 40
	t0 := ph.began.Sub(origin).Seconds()
	out := make([]RatePoint, 0, samples+1)
	for i := 0; i <= samples; i++ {
		el := ph.duration * time.Duration(i) / samples
		if i == samples {
			el = ph.duration - time.Nanosecond
		}
		out = append(out, RatePoint{T: t0 + el.Seconds(), Rate: sched.Rate(el)})
	}
	return out
}

// interruptedEarly is the summary of a run interrupted before its attack began:
// nothing was measured, and its reports replace any earlier run's in the report
// directory, so that none of them reads as this run's verdict.
func (r *runner) interruptedEarly() *Summary {
	s := InterruptedBeforeRun(r.prof.Name, r.base, r.cfg.Command)
	s.RunID, s.Policy = r.cfg.RunID, r.prof.PolicyName()
	if r.cfg.Shard.normal().Count > 1 {
		s.Shard = r.cfg.Shard.String()
	}
	if r.cfg.ReportDir != "" {
		// The run's error is ErrInterrupted whatever happens here; a report that
		// cannot be written leaves no report, which is no false verdict either.
		_ = WriteReports(r.cfg.ReportDir, s)
	}
	return s
}

// InterruptedBeforeRun is the summary of a run of profile against target that a
// signal cut short before its attack began: nothing measured, no verdict.
func InterruptedBeforeRun(profile, target string, command []string) *Summary {
	s := &Summary{Profile: profile, Target: target, Started: time.Now(), Interrupted: true, Version: version.Get(), Command: command}
	s.judge(nil)
	return s
}

// openResults creates the results files in the report directory.
func (r *runner) openResults() error {
	rec := r.p.rec
	if err := os.MkdirAll(r.cfg.ReportDir, 0o755); err != nil {
		return fmt.Errorf("load: report dir: %w", err)
	}
	for series, name := range map[Series]string{SeriesComplete: ResultsFile, SeriesStart: StartResultsFile} {
		w, err := createResults(filepath.Join(r.cfg.ReportDir, name))
		if err != nil {
			for _, o := range rec.files {
				_ = o.close()
			}
			return err
		}
		rec.files[series] = w
	}
	return nil
}

// fill copies the recorder's series and the pipeline's counters into s.
func (r *runner) fill(s *Summary, attack, setup time.Duration) {
	p := r.p
	rec := p.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s.Start = rec.start.summary(attack)
	s.Complete = rec.complete.summary(attack)
	g := &s.Generator
	g.Sent = uint64(rec.complete.count)
	g.Late = uint64(rec.complete.late)
	g.LateAfter = Millis(r.cfg.LateAfter)
	g.SendLag = latencyOf(rec.complete.lag)
	g.EphemeralsOnDemand = p.eph.onDemand.Load()
	g.SecretsOnDemand = p.onDemandSecrets.Load()
	g.Renewed = p.renewed.Load()
	g.ResolvedUsers = p.resolved.Load()
	g.RetiredUsers = p.retired.Load()
	g.SetupSeconds = setup.Seconds()
}

// prepare gets the pipeline ready for one phase: ephemerals and next-passcode
// secrets made ahead for the completions it plans, the queue deep enough for its
// peak rate, and filled before the first tick.
func (r *runner) prepare(ctx context.Context, sched *Schedule) error {
	p := r.p
	need := sched.Planned()
	peak := 0.0
	for t := time.Duration(0); t < sched.Duration(); t += sched.Duration() / 100 {
		peak = math.Max(peak, sched.Rate(t))
	}
	peak = math.Max(peak, sched.Rate(sched.Duration()-1))
	if err := r.precompute(ctx, need); err != nil {
		return err
	}
	depth := int(math.Ceil(peak * r.prof.LeadTime().Seconds()))
	depth = min(max(depth, 4), max(4, len(p.users)*3/4))
	p.q.setDepth(depth)
	// Give the producers a head start so the first ticks are not starved.
	want := min(depth, len(p.users))
	deadline := time.Now().Add(5 * time.Second)
	for len(p.q.ch) < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	return ctx.Err()
}

// precompute tops up the ephemeral pool and every user's chain of next secrets so
// that need completions (and their starts) run without computing either, within
// the memory bounds.
func (r *runner) precompute(ctx context.Context, need uint64) error {
	p := r.p
	wantEph := int(min(need+uint64(len(p.users)), uint64(cap(p.eph.ch))))
	// Users do not renew in perfect turns: allow half again the average.
	perUser := int(min(need*3/2/uint64(len(p.users))+2, maxChain))
	perUser = min(perUser, max(1, maxPrecomputed/len(p.users)))
	began := time.Now()
	var made atomic.Int64
	defer func() {
		if n := made.Load(); n > 0 {
			r.progressf("precompute: %d ephemerals and next-passcode secrets made ahead in %s\n", n, time.Since(began).Round(time.Millisecond))
		}
	}()
	jobs := make(chan func() error, 1024)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range max(runtime.GOMAXPROCS(0), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for i := len(p.eph.ch); i < wantEph && ctx.Err() == nil; i++ {
		jobs <- func() error {
			e, err := p.params.NewEphemeral()
			if err != nil {
				return err
			}
			p.eph.put(e)
			made.Add(1)
			return nil
		}
	}
	for _, u := range p.users {
		if ctx.Err() != nil {
			break
		}
		if missing := perUser - u.chainLen(); missing > 0 {
			jobs <- func() error {
				for range missing {
					ok, err := p.chains.push(u)
					if err != nil {
						return err
					}
					if ok {
						made.Add(1)
					}
				}
				return nil
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// evaluateStep summarizes one search step and checks it against the holds. A step
// whose planned completions were not all sent (beyond noise) does not hold either:
// it did not put its load on the deployment. When the starts stayed fast meanwhile,
// the generator itself fell behind and the step says so ("generator:"); when they
// slowed, the producers were waiting on the deployment ("starts:").
func (r *runner) evaluateStep(sched *Schedule, ph phase, agg, starts *seriesAgg, meter *cpuMeter) Step {
	d := ph.duration
	ss := agg.summary(d)
	st := Step{
		Rate:    sched.Rate(0),
		Planned: ph.planned, Sent: uint64(agg.count), Starved: ph.starved,
		Late:     uint64(agg.late),
		Achieved: ss.Rate, Throughput: ss.Throughput, Success: ss.Success,
		P50: ss.Latency.P50, P99: ss.Latency.P99, Max: ss.Latency.Max,
		StartP99: latencyOf(starts.lat).P99,
	}
	if ph.ticks < ph.planned {
		st.Dropped = ph.planned - ph.ticks
	}
	meter.sent = uint64(agg.count)
	if agg.count > 0 {
		st.CPU = meter.summary(r.floors)
	}
	view := &Summary{Complete: ss}
	st.Held = true
	for _, h := range r.holds {
		if v := h.Check(view); !v.Pass {
			st.Held = false
			st.Broke = append(st.Broke, v.Threshold+" (was "+v.Actual+")")
		}
	}
	if unsent := st.Starved + st.Dropped; unsent > generatorBoundMin && float64(unsent) > generatorBoundShare*float64(st.Planned) {
		st.Held = false
		who := "generator"
		if time.Duration(st.StartP99) > r.prof.LeadTime() {
			who = "starts"
		}
		st.Broke = append(st.Broke, fmt.Sprintf("%s: %d of %d planned completions not sent (%d starved, %d dropped) with start p99 %s",
			who, unsent, st.Planned, st.Starved, st.Dropped, fmtDuration(time.Duration(st.StartP99))))
	}
	return st
}

// saturation reads the search's outcome from its steps (at this shard's rates).
func saturation(steps []Step, planned int, search *Search) *Saturation {
	sat := &Saturation{}
	for _, st := range steps {
		sat.PeakThroughput = math.Max(sat.PeakThroughput, st.Throughput)
		if st.Held {
			sat.Rate, sat.Throughput = st.Rate, st.Throughput
		}
	}
	switch {
	case len(steps) == 0:
		sat.Stopped = "no step ran"
	case steps[len(steps)-1].Held && len(steps) == planned:
		sat.Stopped = fmt.Sprintf("every step held up to maxRate %g/s: the deployment saturates above it", search.MaxRate)
	case !steps[len(steps)-1].Held:
		last := steps[len(steps)-1]
		sat.Stopped = fmt.Sprintf("step at %.1f/s broke: %s", last.Rate, strings.Join(last.Broke, "; "))
		for _, b := range last.Broke {
			if strings.HasPrefix(b, "generator:") {
				sat.GeneratorBound = true
			}
		}
	default:
		sat.Stopped = "interrupted"
	}
	return sat
}

// cpuMeter measures CPU time over attack windows.
type cpuMeter struct {
	pid            int
	gen0, srv0     time.Duration
	gen, srv       time.Duration
	genErr, srvErr error
	sent           uint64
}

func (m *cpuMeter) begin() {
	m.gen0, m.genErr = selfCPU()
	if m.pid > 0 {
		m.srv0, m.srvErr = processCPU(m.pid)
	}
}

func (m *cpuMeter) end() {
	g, err := selfCPU()
	if err != nil && m.genErr == nil {
		m.genErr = err
	}
	m.gen += g - m.gen0
	if m.pid > 0 {
		s, err := processCPU(m.pid)
		if err != nil && m.srvErr == nil {
			m.srvErr = err
		}
		m.srv += s - m.srv0
	}
}

func (m *cpuMeter) add(o *cpuMeter) {
	m.gen += o.gen
	m.srv += o.srv
	if m.genErr == nil {
		m.genErr = o.genErr
	}
	if m.srvErr == nil {
		m.srvErr = o.srvErr
	}
}

func (m *cpuMeter) completions(p *pipeline) uint64 {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	m.sent = uint64(p.rec.complete.count)
	return m.sent
}

func (m *cpuMeter) summary(f *Floors) *CPU {
	if m.genErr != nil || m.sent == 0 {
		return nil
	}
	c := &CPU{
		Completions:            m.sent,
		GeneratorSeconds:       m.gen.Seconds(),
		GeneratorPerCompletion: Millis(m.gen / time.Duration(m.sent)),
	}
	if m.pid > 0 && m.srvErr == nil {
		c.ServerPID = m.pid
		c.ServerSeconds = m.srv.Seconds()
		c.ServerPerCompletion = Millis(m.srv / time.Duration(m.sent))
		if m.srv > 0 {
			c.Ratio = float64(m.gen) / float64(m.srv)
		}
		if f != nil && f.Server > 0 {
			c.ServerFloorMultiple = float64(c.ServerPerCompletion) / float64(f.Server)
		}
	}
	if f != nil && f.Generator > 0 {
		c.GeneratorFloorMultiple = float64(c.GeneratorPerCompletion) / float64(f.Generator+f.Precomputed)
	}
	return c
}
