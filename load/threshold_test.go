package load

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		expr   string
		series Series
		metric Metric
		op     Op
		value  float64
		canon  string
	}{
		{"latency", "complete.p99<250ms", SeriesComplete, MetricP99, OpLT, float64(250 * time.Millisecond), "complete.p99<250ms"},
		{"start series", "start.p50<=1.5s", SeriesStart, MetricP50, OpLE, float64(1500 * time.Millisecond), "start.p50<=1.5s"},
		{"default series", "success>=0.999", SeriesComplete, MetricSuccess, OpGE, 0.999, "complete.success>=0.999"},
		{"percentage", "success >= 99.9%", SeriesComplete, MetricSuccess, OpGE, 0.999, "complete.success>=0.999"},
		{"spaces", "  complete.max  <  2s ", SeriesComplete, MetricMax, OpLT, float64(2 * time.Second), "complete.max<2s"},
		{"rate", "start.rate>45", SeriesStart, MetricRate, OpGT, 45, "start.rate>45/s"},
		{"rate per second", "rate>=45.5/s", SeriesComplete, MetricRate, OpGE, 45.5, "complete.rate>=45.5/s"},
		{"errors", "errors==0", SeriesComplete, MetricErrors, OpEQ, 0, "complete.errors==0"},
		{"mean", "complete.mean<10ms", SeriesComplete, MetricMean, OpLT, float64(10 * time.Millisecond), "complete.mean<10ms"},
		{"p90 p95", "p95<=900µs", SeriesComplete, MetricP95, OpLE, float64(900 * time.Microsecond), "complete.p95<=900µs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			th, err := ParseThreshold(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			if th.Series != c.series || th.Metric != c.metric || th.Op != c.op || th.Value != c.value {
				t.Errorf("got %+v", th)
			}
			if th.String() != c.canon {
				t.Errorf("String() = %q, want %q", th.String(), c.canon)
			}
			again, err := ParseThreshold(th.String())
			if err != nil || again.Value != th.Value || again.Op != th.Op || again.Metric != th.Metric || again.Series != th.Series {
				t.Errorf("canonical form does not parse back: %v %+v", err, again)
			}
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, expr, want string
	}{
		{"empty", "  ", "empty"},
		{"no op", "complete.p99 250ms", "no comparison"},
		{"single equals", "errors=0", "use =="},
		{"no metric", "<250ms", "no metric"},
		{"no value", "complete.p99<", "no value"},
		{"unknown series", "finish.p99<1s", `unknown series "finish"`},
		{"unknown metric", "complete.p98<1s", `unknown metric "p98"`},
		{"latency without unit", "complete.p99<250", "needs a unit, e.g. 250ms"},
		{"latency nonsense", "p99<fast", "not a duration"},
		{"negative latency", "p99<-1ms", "must not be negative"},
		{"ratio above one", "success>=1.5", "outside 0..1"},
		{"percent above hundred", "success>=101%", "outside 0..1"},
		{"ratio nonsense", "success>=most", "not a ratio"},
		{"rate nonsense", "rate>fast", "not a non-negative number"},
		{"negative rate", "rate>-3", "not a non-negative number"},
		{"fractional errors", "errors<0.5", "not a whole number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseThreshold(c.expr)
			if !errors.Is(err, ErrThreshold) {
				t.Fatalf("err %v, want ErrThreshold", err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.expr) {
				t.Errorf("error %q should quote the expression and say %q", err, c.want)
			}
		})
	}
}

func TestThresholdCheck(t *testing.T) {
	t.Parallel()
	s := &Summary{
		Start: SeriesSummary{Count: 100, OK: 100, Success: 1, Rate: 50,
			Latency: Latency{P50: Millis(2 * time.Millisecond), P99: Millis(20 * time.Millisecond)}},
		Complete: SeriesSummary{Count: 1000, OK: 998, Errors: 2, Success: 0.998, Rate: 49.5,
			Latency: Latency{P50: Millis(3 * time.Millisecond), P90: Millis(8 * time.Millisecond), P95: Millis(9 * time.Millisecond),
				P99: Millis(250 * time.Millisecond), Max: Millis(time.Second), Mean: Millis(4 * time.Millisecond)}},
	}
	cases := []struct {
		expr   string
		pass   bool
		actual string
	}{
		{"complete.p99<250ms", false, "250ms"},
		{"complete.p99<=250ms", true, "250ms"},
		{"complete.p50<5ms", true, "3.00ms"},
		{"complete.p90<8ms", false, "8.00ms"},
		{"complete.p95>=9ms", true, "9.00ms"},
		{"complete.max<1s", false, "1.00s"},
		{"complete.mean<5ms", true, "4.00ms"},
		{"start.p99<25ms", true, "20.0ms"},
		{"success>=0.999", false, "0.9980"},
		{"success>=99.8%", true, "0.9980"},
		{"start.success>=1", true, "1.0000"},
		{"errors==0", false, "2"},
		{"errors<=2", true, "2"},
		{"rate>=49.5", true, "49.5/s"},
		{"start.rate>50", false, "50.0/s"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			t.Parallel()
			th, err := ParseThreshold(c.expr)
			if err != nil {
				t.Fatal(err)
			}
			v := th.Check(s)
			if v.Pass != c.pass || v.Actual != c.actual {
				t.Errorf("got pass=%v actual=%q, want pass=%v actual=%q", v.Pass, v.Actual, c.pass, c.actual)
			}
		})
	}
}

func TestThresholdOnEmptySeriesFails(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"errors==0", "complete.p99<1h", "success>=0", "start.rate>=0"} {
		th, err := ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		if v := th.Check(&Summary{}); v.Pass || v.Actual != "n/a" {
			t.Errorf("%s on a run without requests: %+v, want a failure with actual n/a", expr, v)
		}
	}
}

func TestCheckAll(t *testing.T) {
	t.Parallel()
	ts, err := ParseThresholds([]string{"errors==0", "success>=1"})
	if err != nil {
		t.Fatal(err)
	}
	good := &Summary{Complete: SeriesSummary{Count: 3, OK: 3, Success: 1}}
	if vs, ok := CheckAll(ts, good); !ok || len(vs) != 2 {
		t.Errorf("good run: %v %+v", ok, vs)
	}
	bad := &Summary{Complete: SeriesSummary{Count: 3, OK: 2, Errors: 1, Success: 2.0 / 3}}
	if vs, ok := CheckAll(ts, bad); ok || vs[0].Pass || vs[1].Pass {
		t.Errorf("bad run: %v %+v", ok, vs)
	}
	if _, err := ParseThresholds([]string{"errors==0", "p99<1"}); !errors.Is(err, ErrThreshold) {
		t.Errorf("a bad expression in the list: %v", err)
	}
}

func TestFmtDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500, "500ns"},
		{850 * time.Microsecond, "850µs"},
		{1234 * time.Microsecond, "1.23ms"},
		{12345 * time.Microsecond, "12.3ms"},
		{999600 * time.Microsecond, "1000ms"},
		{1500 * time.Millisecond, "1.50s"},
		{125 * time.Second, "125s"},
	}
	for _, c := range cases {
		if got := fmtDuration(c.d); got != c.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestMillisRoundTrip: every whole number of microseconds that Millis writes to
// summary.json reads back exactly (8.193 ms once read back as 8.192999 ms, so a
// report's p99 compared unequal with itself).
func TestMillisRoundTrip(t *testing.T) {
	for us := time.Duration(0); us <= 200_000; us++ {
		m := Millis(us * time.Microsecond)
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Millis
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatal(err)
		}
		if back != m {
			t.Fatalf("%v written as %s reads back as %v", time.Duration(m), b, time.Duration(back))
		}
	}
}
