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
