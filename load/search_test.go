package load

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSearchStopsAtTheFirstBrokenStep(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	// Steps of 10, 20 and 30 completions; the server refuses everything after the
	// 30th, so the third step is the first to break.
	f.refuse = func(n int) bool { return n > 30 }
	prof := &Profile{Name: "search", Users: 20, Search: &Search{
		From: 10, Step: 10, StepDuration: Duration(time.Second), MaxRate: 60,
		Holds: []string{"complete.errors==0"},
	}}
	s, err := Run(context.Background(), Config{Target: f.target(), Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	logSummary(t, s)
	if len(s.Steps) != 3 {
		t.Fatalf("%d steps ran, want 3", len(s.Steps))
	}
	for i, st := range s.Steps {
		if st.Rate != float64(10*(i+1)) || st.Planned != uint64(10*(i+1)) {
			t.Errorf("step %d: rate %v planned %d", i, st.Rate, st.Planned)
		}
		if held := i < 2; st.Held != held {
			t.Errorf("step %d held %v: %v", i, st.Held, st.Broke)
		}
	}
	if b := s.Steps[2].Broke; len(b) == 0 || !strings.HasPrefix(b[0], "complete.errors==0") {
		t.Errorf("step 3 broke for %v", b)
	}
	sat := s.Saturation
	if sat == nil || sat.Rate != 20 || sat.GeneratorBound || !strings.Contains(sat.Stopped, "broke") {
		t.Errorf("saturation %+v", sat)
	}
	if s.Generator.Planned != 60 || s.AttackSeconds < 3 {
		t.Errorf("planned %d over %vs", s.Generator.Planned, s.AttackSeconds)
	}
	var text bytes.Buffer
	if err := WriteText(&text, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "saturation: last step that held 20.0/s") {
		t.Errorf("text report lacks the saturation line:\n%s", text.String())
	}
}

func TestRunStopsWhenInterrupted(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.refuse = func(n int) bool {
		if n == 5 {
			cancel()
		}
		return false
	}
	s, err := Run(ctx, Config{Target: f.target(), Profile: constProfile(t, 5, 10, 10*time.Second)})
	if !errors.Is(err, ErrInterrupted) || s == nil {
		t.Fatalf("err %v, summary %v", err, s != nil)
	}
	if s.Complete.Count < 5 || s.Generator.Planned >= 100 || s.Complete.Errors != 0 {
		t.Errorf("interrupted run: %d completions (%d errors) of %d planned", s.Complete.Count, s.Complete.Errors, s.Generator.Planned)
	}
}

func TestProgressLinesWithoutTerminal(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	var out syncBuffer
	_, err := Run(context.Background(), Config{
		Target: f.target(), Profile: constProfile(t, 5, 10, 1500*time.Millisecond),
		Progress: &out, ProgressEvery: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.ContainsAny(text, "\r\x1b") {
		t.Errorf("terminal control characters in non-terminal output: %q", text)
	}
	if !strings.Contains(text, "setup: 5/5 users registered\n") {
		t.Errorf("no setup line in %q", text)
	}
	var live []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "complete") {
			live = append(live, l)
		}
	}
	if len(live) == 0 || !strings.Contains(live[0], "p99") || !strings.Contains(live[0], "errors 0") {
		t.Errorf("no live progress line in %q", text)
	}
}

// syncBuffer is a bytes.Buffer safe for the run's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
