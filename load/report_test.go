package load

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestReportsEscapeAndStaySelfContained(t *testing.T) {
	t.Parallel()
	s := &Summary{
		Profile: `<script>alert(1)</script>`, Target: "http://127.0.0.1:1/?a=<b>", Users: 3, AttackSeconds: 2, WindowSeconds: 1,
		Start:    SeriesSummary{Count: 2, OK: 2, Success: 1, Timeline: []Point{{T: 0, Count: 2, Rate: 2, P99: Millis(time.Millisecond)}}},
		Complete: SeriesSummary{Count: 2, OK: 1, Errors: 1, Success: 0.5, ErrorCodes: map[string]int64{KeyM2: 1}, Status: map[string]int64{"200": 2}},
		Steps: []Step{
			{Rate: 10, Achieved: 10, Throughput: 10, Success: 1, Held: true, CPU: &CPU{Completions: 10, GeneratorPerCompletion: Millis(time.Millisecond), ServerPID: 7, ServerPerCompletion: Millis(2 * time.Millisecond), Ratio: 0.5}},
			{Rate: 20, Achieved: 15, Success: 0.5, Held: false, Broke: []string{"complete.errors==0 (was 5)"}},
		},
		Saturation: &Saturation{Rate: 10, Throughput: 10, PeakThroughput: 10, Stopped: "step at 20.0/s broke"},
		CPU:        &CPU{Completions: 2, GeneratorPerCompletion: Millis(time.Millisecond), ServerPID: 7, ServerPerCompletion: Millis(2 * time.Millisecond), Ratio: 0.5},
		Thresholds: []Verdict{{Threshold: "complete.errors==0", Actual: "1", Pass: false}},
	}
	var text bytes.Buffer
	if err := WriteText(&text, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"STEP RATE", "no: complete.errors==0 (was 5)", "saturation: last step that held 10.0/s",
		"server (pid 7) 2.00ms per completion, ratio 0.50", "errors M2_NOT_VERIFIED 1", "FAIL: 1 of 1 thresholds breached",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, s); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if strings.Contains(h, "<script>alert") || !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the profile name is not escaped")
	}
	assertSelfContained(t, h)
	if !strings.Contains(h, `class="fail">FAIL`) {
		t.Error("no FAIL verdict in the HTML report")
	}
	if !strings.Contains(h, "no data") {
		t.Error("a chart without data does not say so")
	}
}

func TestNiceStep(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, want float64 }{{0.3, 0.5}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {42, 50}, {0, 1}, {-1, 1}}
	for _, c := range cases {
		if got := niceStep(c.raw); got != c.want {
			t.Errorf("niceStep(%v) = %v, want %v", c.raw, got, c.want)
		}
	}
}

// TestRateChartShowsRequestedStepsAndSaturation: the max profile's report draws the
// requested rate beside the sent one, a marker per step (the broken one named),
// the saturation point, and errors on their own chart.
func TestRateChartShowsRequestedStepsAndSaturation(t *testing.T) {
	t.Parallel()
	tl := []Point{{T: 0, Count: 10, Rate: 10}, {T: 1, Count: 10, Rate: 10}, {T: 2, Count: 15, Errors: 3, Rate: 15}, {T: 3, Count: 15, Errors: 5, Rate: 15}}
	s := &Summary{
		Profile: "max", WindowSeconds: 1, AttackSeconds: 4,
		Requested: []RatePoint{{0, 10}, {1.99, 10}, {2, 20}, {3.99, 20}},
		Complete:  SeriesSummary{Count: 50, Timeline: tl},
		Start:     SeriesSummary{Count: 50, Timeline: tl},
		Steps: []Step{
			{Rate: 10, Held: true, BeganSeconds: 0, Seconds: 2},
			{Rate: 20, Held: false, BeganSeconds: 2, Seconds: 2},
		},
		Saturation: &Saturation{Rate: 10, Throughput: 9.5},
	}
	rate := rateChart(s)
	for _, want := range []string{">requested<", ">completions sent<", ">10/s<", ">20/s broke<", ">saturation 9.5 ok/s<"} {
		if !strings.Contains(rate, want) {
			t.Errorf("rate chart lacks %q", want)
		}
	}
	if strings.Contains(rate, "no data") {
		t.Error("rate chart says no data")
	}
	errs := errorChart(s)
	if !strings.Contains(errs, ">completion errors<") || !strings.Contains(errs, ">start errors<") || strings.Contains(errs, "no data") {
		t.Errorf("error chart does not draw both error series")
	}
	// Without a search there are no markers, and a merged summary without
	// samples draws no requested line.
	plain := rateChart(&Summary{WindowSeconds: 1, Complete: SeriesSummary{Timeline: tl}})
	if strings.Contains(plain, ">requested<") || strings.Contains(plain, "saturation") {
		t.Error("a run without a schedule sample or search draws them anyway")
	}
}

func TestInterruptedReportsGiveNoVerdict(t *testing.T) {
	t.Parallel()
	s := InterruptedBeforeRun("smoke", "http://127.0.0.1:1", []string{"renewkit", "load", "--rate", "5 0"})
	if s.Passed || s.Verdict != VerdictInterrupted {
		t.Fatalf("passed %v, verdict %q", s.Passed, s.Verdict)
	}
	var text, page bytes.Buffer
	if err := WriteText(&text, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "INTERRUPTED: no verdict") || strings.Contains(text.String(), "PASS") {
		t.Errorf("text report:\n%s", text.String())
	}
	h := page.String()
	if !strings.Contains(h, `class="interrupted">INTERRUPTED`) || strings.Contains(h, `class="pass"`) || strings.Contains(h, `class="fail"`) {
		t.Error("the HTML report does not say INTERRUPTED alone")
	}
	if !strings.Contains(h, "renewkit load --rate &#39;5 0&#39;") {
		t.Error("the HTML report does not show the command line, quoted")
	}
}
