package load

import (
	"fmt"
	"math"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Schedule is a planned rate over time: consecutive segments whose rate is constant or
// moves linearly. It knows the intended send time of every hit, which is what
// latency is corrected against (see Pacer).
//
// Hit n (from 0) is intended at the time t_n where the cumulative rate H(t), the
// integral of the rate from 0 to t, reaches n: the first hit goes at t = 0 and a
// constant rate r spaces them 1/r apart. The schedule plans the hits whose t_n falls
// before its end.
//
// A shard's schedule (Share) is a share of the whole run's: of the whole schedule's
// hits k, it carries those with k mod every = offset, at their intended times, as
// k6's interleaved execution segments do. So the shards of a run together plan
// exactly the hits the whole schedule plans, each at its time, whatever the number
// of shards; a schedule with every = 0 is whole.
type Schedule struct {
	segs  []segment
	total time.Duration
	// every and offset select the share: hits offset, offset+every, ...
	every, offset uint64
}

// segment is one stage: rate r0 at its start, r1 at its end.
type segment struct {
	start, dur time.Duration
	r0, r1     float64 // hits per second
	h0         float64 // hits planned before the segment
}

// NewSchedule returns the schedule of the stages.
func NewSchedule(stages []Stage) (*Schedule, error) {
	s := &Schedule{}
	h := 0.0
	for i, st := range stages {
		r0, r1, err := st.rates()
		if err != nil {
			return nil, fmt.Errorf("%w: stages[%d]: %v", ErrProfile, i, err)
		}
		d := time.Duration(st.Duration)
		if d <= 0 {
			return nil, fmt.Errorf("%w: stages[%d]: duration must be positive", ErrProfile, i)
		}
		s.segs = append(s.segs, segment{start: s.total, dur: d, r0: r0, r1: r1, h0: h})
		h += (r0 + r1) / 2 * d.Seconds()
		s.total += d
	}
	if len(s.segs) == 0 {
		return nil, fmt.Errorf("%w: no stages", ErrProfile)
	}
	return s, nil
}

// ConstantSchedule is one stage of rate r for d.
func ConstantSchedule(r float64, d time.Duration) (*Schedule, error) {
	return NewSchedule([]Stage{{Duration: Duration(d), Rate: &r}})
}

// Share returns the part of s that shard sh carries (see Schedule): for shard i of
// n, the whole schedule's hits k with k mod n = i-1. The zero Shard, or 1/1, is
// all of s.
func (s *Schedule) Share(sh Shard) *Schedule {
	sh = sh.normal()
	out := *s
	out.every, out.offset = uint64(sh.Count), uint64(sh.Index-1)
	return &out
}

// share is the number of shares of the whole schedule s carries one of.
func (s *Schedule) share() uint64 { return max(s.every, 1) }

// Duration is the schedule's length.
func (s *Schedule) Duration() time.Duration { return s.total }

// Rate is the planned rate at t, in hits per second (0 outside the schedule).
func (s *Schedule) Rate(t time.Duration) float64 {
	for _, g := range s.segs {
		if t >= g.start && t < g.start+g.dur {
			return (g.r0 + (g.r1-g.r0)*float64(t-g.start)/float64(g.dur)) / float64(s.share())
		}
	}
	return 0
}

// Hits is H(t), the number of hits planned in [0, t), as a real number; for a
// share, the whole schedule's H(t) less the offset, over every (never below 0).
func (s *Schedule) Hits(t time.Duration) float64 {
	if s.every > 1 {
		return max(0, (s.wholeHits(t)-float64(s.offset))/float64(s.every))
	}
	return s.wholeHits(t)
}

// wholeHits is H(t) of the whole schedule s is a share of.
func (s *Schedule) wholeHits(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	for _, g := range s.segs {
		if t < g.start+g.dur {
			x := (t - g.start).Seconds()
			a := (g.r1 - g.r0) / g.dur.Seconds()
			return g.h0 + g.r0*x + a*x*x/2
		}
	}
	last := s.segs[len(s.segs)-1]
	return last.h0 + (last.r0+last.r1)/2*last.dur.Seconds()
}

// Planned is the number of hits the schedule plans: those intended before its end.
func (s *Schedule) Planned() uint64 {
	// A tolerance so that 50/s for 60s plans 3000 hits, not 3001 from rounding.
	all := uint64(math.Ceil(s.wholeHits(s.total) - 1e-6))
	if s.every <= 1 {
		return all
	}
	if all <= s.offset {
		return 0
	}
	return (all-s.offset-1)/s.every + 1
}

// Intended is the intended send time of hit n (from 0), and false when the schedule
// plans fewer than n+1 hits.
func (s *Schedule) Intended(n uint64) (time.Duration, bool) {
	if n >= s.Planned() {
		return 0, false
	}
	k := float64(n*s.share() + s.offset)
	for i, g := range s.segs {
		next := float64(0)
		if i+1 < len(s.segs) {
			next = s.segs[i+1].h0
		} else {
			next = math.Inf(1)
		}
		if k >= next {
			continue
		}
		// Solve h0 + r0*x + a*x²/2 = k for x >= 0. This form of the quadratic
		// formula stays exact when a is 0 or tiny, and when r0 is 0.
		c := k - g.h0
		if c <= 0 {
			return g.start, true
		}
		a := (g.r1 - g.r0) / g.dur.Seconds()
		den := g.r0 + math.Sqrt(math.Max(0, g.r0*g.r0+2*a*c))
		if den <= 0 {
			continue
		}
		x := 2 * c / den
		t := g.start + time.Duration(x*float64(time.Second))
		return min(t, g.start+g.dur), true
	}
	return 0, false
}

// Pacer drives a vegeta attack along a Schedule and remembers when the attack
// began, so that the intended send time of every result can be recovered.
//
// How vegeta v12.13.0 uses it (lib/attack.go): Attack sets atk.began = time.Now()
// and then loops: elapsed = time.Since(atk.began); wait, stop = Pace(elapsed,
// count); sleep(wait); hand a tick to an idle worker (blocking while all workers
// are busy and MaxWorkers is reached); count++. A worker that takes a tick stamps
// Result.Timestamp = time.Now() and Result.Seq = its rank among hits, under one
// lock, and only then calls the Targeter and sends. So Result.Timestamp is the
// actual send time, not the intended one; the hit ranked Seq = k cannot start
// before tick k was handed out, and tick k was due at Schedule.Intended(k).
// Intended adds that offset to the beginning recorded at the first Pace call
// (time.Now() - elapsed, within a microsecond of atk.began).
//
// Pace returns stop once the schedule has no more hits or its end has passed: a
// pacer that fell behind does not send the backlog after the end. Those hits are
// counted as dropped.
type Pacer struct {
	sched *Schedule
	once  sync.Once
	mu    sync.Mutex
	began time.Time
}

var _ vegeta.Pacer = (*Pacer)(nil)

// NewPacer returns a pacer for the schedule.
func NewPacer(s *Schedule) *Pacer { return &Pacer{sched: s} }

// Pace implements vegeta.Pacer.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	p.once.Do(func() {
		p.mu.Lock()
		p.began = time.Now().Add(-elapsed)
		p.mu.Unlock()
	})
	t, ok := p.sched.Intended(hits)
	if !ok || elapsed >= p.sched.total {
		return 0, true
	}
	return t - elapsed, false // negative when behind: vegeta sends at once
}

// Rate implements vegeta.Pacer.
func (p *Pacer) Rate(elapsed time.Duration) float64 { return p.sched.Rate(elapsed) }

// Began is when the attack began, zero before the first Pace call.
func (p *Pacer) Began() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.began
}

// Intended is the intended send time of the hit ranked seq, and false for a seq the
// schedule did not plan or before the attack began.
func (p *Pacer) Intended(seq uint64) (time.Time, bool) {
	began := p.Began()
	off, ok := p.sched.Intended(seq)
	if !ok || began.IsZero() {
		return time.Time{}, false
	}
	return began.Add(off), true
}
