package conform

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedb14f67b8/renewkit/steps"
)

// progress counts the scenarios of a run as they end, for the progress line.
type progress struct {
	done, failed atomic.Int64
}

// scenarioDone counts a scenario that has ended: failed when its steps failed or an
// exchange breached an invariant. A SHOULD that is not met is no failure here.
func (p *progress) scenarioDone(o steps.Outcome) {
	p.done.Add(1)
	if o.Gating() {
		p.failed.Add(1)
	}
}

// line is the progress line of a run of total scenarios started at began.
func (p *progress) line(total int, began time.Time) string {
	return fmt.Sprintf("conform: %d/%d scenarios, %d failed, %s", p.done.Load(), total, p.failed.Load(), time.Since(began).Truncate(time.Second))
}

// report writes p's line to w until stop is called: redrawn in place once a
// second on a terminal, a plain line every `every` otherwise (CI logs), and a
// last line when the run ends.
func (p *progress) report(w io.Writer, interactive bool, every time.Duration, total int) (stop func()) {
	began := time.Now()
	if interactive {
		every = time.Second
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				if interactive {
					fmt.Fprint(w, "\r\x1b[2K"+p.line(total, began)+"\n")
				} else {
					fmt.Fprintln(w, p.line(total, began))
				}
				return
			case <-tick.C:
				if interactive {
					fmt.Fprint(w, "\r\x1b[2K"+p.line(total, began))
				} else {
					fmt.Fprintln(w, p.line(total, began))
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
