package load

import (
	"fmt"
	"os"
	"time"
)

// IsTerminal reports whether w is a terminal (a character device), where the live
// progress line may redraw itself in place.
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// liveProgress prints the progress line until done closes: at most once a second
// on a terminal (redrawn in place), every ProgressEvery otherwise (plain lines).
// Latencies are those of the completions since the previous line.
func (r *runner) liveProgress(origin time.Time, done <-chan struct{}) {
	w := r.cfg.Progress
	every := r.cfg.ProgressEvery
	if r.cfg.Interactive {
		every = time.Second
	}
	every = max(every, time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := time.Now()
	var lastCompletes int64
	for {
		select {
		case <-done:
			if r.cfg.Interactive {
				r.outMu.Lock()
				fmt.Fprintln(w)
				r.outMu.Unlock()
			}
			return
		case now := <-tick.C:
			pr := r.p.rec.progress()
			rate := float64(pr.completes-lastCompletes) / now.Sub(last).Seconds()
			last, lastCompletes = now, pr.completes
			want := 0.0
			if pc := r.current.Load(); pc != nil {
				if b := pc.Began(); !b.IsZero() {
					want = pc.Rate(now.Sub(b))
				}
			}
			shard := ""
			if r.cfg.Shard.normal().Count > 1 {
				shard = "shard " + r.cfg.Shard.String() + "  "
			}
			line := shard + fmt.Sprintf("%6s  complete %7.1f/s of %.0f/s  p50 %-7s p99 %-7s start p99 %-7s errors %d  starved %d",
				now.Sub(origin).Truncate(time.Second), rate, want,
				fmtDuration(pr.p50), fmtDuration(pr.p99), fmtDuration(pr.startP99),
				pr.completeErrors+pr.startErrors, r.p.starved.Load())
			r.outMu.Lock()
			if r.cfg.Interactive {
				fmt.Fprint(w, "\r\x1b[2K"+line)
			} else {
				fmt.Fprintln(w, line)
			}
			r.outMu.Unlock()
		}
	}
}
