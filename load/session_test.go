package load

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

func TestRunRenewsAndVerifiesEveryCompletion(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	dir := t.TempDir()
	s, err := Run(context.Background(), Config{
		Target:    f.target(),
		Profile:   constProfile(t, 10, 40, time.Second, "errors==0", "success>=1"),
		ReportDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	logSummary(t, s)
	g := s.Generator
	if g.Sent == 0 {
		t.Fatalf("nothing sent: %+v", g)
	}
	if g.Sent+g.Starved+g.Dropped != g.Planned || g.Planned != 40 {
		t.Errorf("sent %d + starved %d + dropped %d != planned %d (want 40)", g.Sent, g.Starved, g.Dropped, g.Planned)
	}
	if s.Complete.Errors != 0 || s.Start.Errors != 0 {
		t.Errorf("errors: complete %v, start %v", s.Complete.ErrorCodes, s.Start.ErrorCodes)
	}
	if s.Complete.Verified != s.Complete.Count || uint64(s.Complete.Count) != g.Sent {
		t.Errorf("verified %d of %d completions, sent %d", s.Complete.Verified, s.Complete.Count, g.Sent)
	}
	if !s.Passed || len(s.Thresholds) != 2 {
		t.Errorf("verdicts %+v", s.Thresholds)
	}
	maxOpen, violated, renewals := f.stats()
	if maxOpen != 1 || violated != 0 {
		t.Errorf("server saw %d renewal sessions of one user open at once, %d history violations", maxOpen, violated)
	}
	if uint64(renewals) != g.Renewed || g.Renewed != g.Sent {
		t.Errorf("server renewed %d, generator counted %d renewed of %d sent", renewals, g.Renewed, g.Sent)
	}

	complete := readAll(t, filepath.Join(dir, ResultsFile))
	if int64(len(complete)) != s.Complete.Count {
		t.Fatalf("results.bin has %d results, summary %d", len(complete), s.Complete.Count)
	}
	for _, r := range complete {
		if r.Attack != string(SeriesComplete) || r.Code != 200 || r.Error != "" || r.Body != nil {
			t.Fatalf("unexpected completion result %+v", r)
		}
		if lagOf(&r) < 0 || r.Latency < lagOf(&r) {
			t.Fatalf("latency %v shorter than its send lag %v", r.Latency, lagOf(&r))
		}
	}
	if starts := readAll(t, filepath.Join(dir, StartResultsFile)); int64(len(starts)) != s.Start.Count || s.Start.Count < s.Complete.Count {
		t.Errorf("start.bin has %d results, summary %d, completions %d", len(starts), s.Start.Count, s.Complete.Count)
	}
	back, err := ReadSummary(filepath.Join(dir, SummaryFile))
	if err != nil || back.Complete.Count != s.Complete.Count || back.Complete.Latency.P99 != s.Complete.Latency.P99 {
		t.Errorf("summary.json does not round-trip: %v", err)
	}
	html, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	assertSelfContained(t, string(html))
}

// assertSelfContained checks that a report fetches nothing: no scripts, no
// stylesheets or images by reference, no URLs in CSS.
func assertSelfContained(tb testing.TB, html string) {
	tb.Helper()
	if strings.Count(html, "<svg") != 4 {
		tb.Errorf("report has %d SVG plots, want 4 (latency, rate, errors, distribution)", strings.Count(html, "<svg"))
	}
	for _, bad := range []string{"<script", "<link", "src=", "href=", "url(", "@import"} {
		if strings.Contains(html, bad) {
			tb.Errorf("report contains %q", bad)
		}
	}
}

func TestRunSurvivesServerFaults(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, 3)
	f.refuse = func(n int) bool { return n%7 == 3 }
	f.badM2 = func(n int) bool { return n%11 == 5 }
	f.hangup = func(n int) bool { return n%13 == 6 }
	s, err := Run(context.Background(), Config{Target: f.target(), Profile: constProfile(t, 12, 40, 2*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	logSummary(t, s)
	f.mu.Lock()
	refused, badM2s, hangups := f.refused, f.badM2s, f.hangups
	f.mu.Unlock()
	if refused == 0 || badM2s == 0 || hangups == 0 {
		t.Fatalf("faults not all exercised: refused %d, bad m2 %d, hangups %d (sent %d)", refused, badM2s, hangups, s.Generator.Sent)
	}
	codes := s.Complete.ErrorCodes
	transport := s.Complete.Errors - codes["INVALID_PROOF"] - codes[KeyM2]
	if codes["INVALID_PROOF"] != int64(refused) || codes[KeyM2] != int64(badM2s) || transport != int64(hangups) {
		t.Errorf("error codes %v; injected refused %d, bad m2 %d, hangups %d", codes, refused, badM2s, hangups)
	}
	if s.Start.Errors != 0 {
		t.Errorf("start errors %v", s.Start.ErrorCodes)
	}
	if s.Generator.ResolvedUsers != uint64(hangups) || s.Generator.RetiredUsers != 0 {
		t.Errorf("resolved %d, retired %d; %d hangups", s.Generator.ResolvedUsers, s.Generator.RetiredUsers, hangups)
	}
	if s.Complete.Verified != s.Complete.Count-s.Complete.Errors {
		t.Errorf("verified %d, count %d, errors %d", s.Complete.Verified, s.Complete.Count, s.Complete.Errors)
	}
	maxOpen, violated, _ := f.stats()
	if maxOpen != 1 || violated != 0 {
		t.Errorf("server saw %d open sessions of one user, %d history violations", maxOpen, violated)
	}
}

func TestTargeterNeverWaits(t *testing.T) {
	t.Parallel()
	p := &pipeline{q: newReadyQueue(4)}
	p.q.setDepth(4)
	tr := p.targeter()
	var tgt vegeta.Target
	if err := tr(&tgt); err != nil || tgt.URL != starvedURL {
		t.Fatalf("empty queue: target %q, err %v; want the starved marker", tgt.URL, err)
	}
	if !p.q.reserve() {
		t.Fatal("reserve on an open queue failed")
	}
	want := vegeta.Target{Method: http.MethodPost, URL: "http://127.0.0.1:1/x", Body: []byte("{}")}
	p.q.push(&pending{target: want})
	if err := tr(&tgt); err != nil || !tgt.Equal(&want) {
		t.Fatalf("got %+v, err %v; want %+v", tgt, err, want)
	}
	if p.q.held != 0 {
		t.Errorf("pop did not free the slot: held %d", p.q.held)
	}
	if err := tr(&tgt); err != nil || tgt.URL != starvedURL {
		t.Fatalf("drained queue: target %q, err %v", tgt.URL, err)
	}
}

func TestStarvedTicksNeverReachTheNetwork(t *testing.T) {
	t.Parallel()
	called := false
	tr := starvedTransport{next: roundTripFunc(func(*http.Request) (*http.Response, error) { called = true; return nil, nil })}
	req, err := http.NewRequest(http.MethodPost, starvedURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.RoundTrip(req); err != errStarved || called {
		t.Fatalf("err %v, reached next transport %v", err, called)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestReadyQueueCloseReleasesProducers(t *testing.T) {
	t.Parallel()
	q := newReadyQueue(2)
	q.setDepth(1)
	if !q.reserve() {
		t.Fatal("first reserve failed")
	}
	got := make(chan bool)
	go func() { got <- q.reserve() }()
	q.close()
	if <-got {
		t.Fatal("reserve on a full, closed queue returned true")
	}
	if q.reserve() {
		t.Fatal("reserve after close returned true")
	}
}

func TestReadyQueueDepthBoundsReservations(t *testing.T) {
	t.Parallel()
	q := newReadyQueue(8)
	q.setDepth(3)
	for range 3 {
		if !q.reserve() {
			t.Fatal("reserve failed")
		}
		q.push(&pending{})
	}
	freed := make(chan bool)
	go func() { freed <- q.reserve() }()
	if q.pop() == nil {
		t.Fatal("pop of a full queue returned nothing")
	}
	if !<-freed {
		t.Fatal("a pop did not let a waiting producer reserve")
	}
	q.mu.Lock()
	held := q.held
	q.mu.Unlock()
	if held != 3 {
		t.Fatalf("held %d, want 3", held)
	}
	q.setDepth(100)
	if q.depth != 8 {
		t.Fatalf("depth %d beyond the queue's capacity 8", q.depth)
	}
}

func TestChainRespectsHistory(t *testing.T) {
	t.Parallel()
	// Ten possible passcodes and a history of five: every new one must differ from
	// the five before it, current included.
	req := passcode.Requirements{MinimumLength: 1, MaximumLength: 1, PasscodeHistory: 5,
		AllowedRegExes: []passcode.Regex{{Pattern: "^[0-9]$"}}}
	gen, err := passcode.NewGenerator(req, passcode.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := srp.DefaultParams()
	c := &chainGen{params: p, gen: gen, history: req.PasscodeHistory}
	u := &user{identity: []byte("i"), salt: make([]byte, 16), recent: []string{"0"}}
	seq := []string{"0"}
	for range 60 {
		ok, err := c.push(u)
		if err != nil || !ok {
			t.Fatalf("push: %v %v", ok, err)
		}
		seq = append(seq, u.recent[len(u.recent)-1])
		if len(u.recent) > req.PasscodeHistory {
			t.Fatalf("recent holds %d passcodes, history is %d", len(u.recent), req.PasscodeHistory)
		}
	}
	for i := 1; i < len(seq); i++ {
		for j := max(0, i-req.PasscodeHistory); j < i; j++ {
			if seq[i] == seq[j] {
				t.Fatalf("passcode %d repeats passcode %d within the history of %d: %v", i, j, req.PasscodeHistory, seq)
			}
		}
	}
	if u.chainLen() != 60 {
		t.Fatalf("chain has %d secrets, want 60", u.chainLen())
	}
	// Secrets come out in order, and one put back comes out first again.
	first := u.next()
	if !equalBytes(first.Verifier(), p.NewSecret([]byte("i"), []byte(seq[1]), make([]byte, 16)).Verifier()) {
		t.Fatal("the first secret is not the first generated passcode's")
	}
	u.unshift(first)
	if u.next() != first {
		t.Fatal("unshift did not put the secret back in front")
	}
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

func TestPacerIntendedTimes(t *testing.T) {
	t.Parallel()
	sched, err := ConstantSchedule(100, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPacer(sched)
	if _, ok := p.Intended(0); ok {
		t.Fatal("intended time known before the attack began")
	}
	wait, stop := p.Pace(3*time.Millisecond, 0)
	if stop || wait != -3*time.Millisecond {
		t.Fatalf("hit 0 at elapsed 3ms: wait %v stop %v; want -3ms (send now)", wait, stop)
	}
	began := p.Began()
	for _, n := range []uint64{0, 1, 50, 99} {
		got, ok := p.Intended(n)
		if !ok || got.Sub(began) != time.Duration(n)*10*time.Millisecond {
			t.Errorf("hit %d intended at +%v, want +%v", n, got.Sub(began), time.Duration(n)*10*time.Millisecond)
		}
	}
	if wait, stop := p.Pace(500*time.Millisecond, 10); stop || wait != -400*time.Millisecond {
		t.Errorf("behind schedule: wait %v stop %v", wait, stop)
	}
	if wait, stop := p.Pace(5*time.Millisecond, 1); stop || wait != 5*time.Millisecond {
		t.Errorf("ahead of schedule: wait %v stop %v", wait, stop)
	}
	if _, stop := p.Pace(990*time.Millisecond, 100); !stop {
		t.Error("pacer did not stop after the planned hits")
	}
	if _, stop := p.Pace(time.Second, 40); !stop {
		t.Error("pacer did not stop at the schedule's end while behind")
	}
}
