package load

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrThreshold means a threshold expression does not parse; the message says why.
var ErrThreshold = errors.New("load: invalid threshold")

// Series names a stream of requests measured on its own.
type Series string

// The two series of a renewal: the start requests the producer sends and the
// completions the attacker fires at the profile's rate.
const (
	SeriesStart    Series = "start"
	SeriesComplete Series = "complete"
)

// Metric is what a threshold measures in a series.
type Metric string

// The metrics of a threshold. Latencies are corrected for coordinated omission in
// the complete series; success is the share of requests that succeeded (for
// completions: a 200 whose M2 verified); rate is the achieved rate of requests sent
// per second; errors is the number of requests that did not succeed.
const (
	MetricP50     Metric = "p50"
	MetricP90     Metric = "p90"
	MetricP95     Metric = "p95"
	MetricP99     Metric = "p99"
	MetricMax     Metric = "max"
	MetricMean    Metric = "mean"
	MetricSuccess Metric = "success"
	MetricRate    Metric = "rate"
	MetricErrors  Metric = "errors"
)

func (m Metric) latency() bool {
	switch m {
	case MetricP50, MetricP90, MetricP95, MetricP99, MetricMax, MetricMean:
		return true
	}
	return false
}

func knownMetric(m Metric) bool {
	return m.latency() || m == MetricSuccess || m == MetricRate || m == MetricErrors
}

// Op is a threshold's comparison.
type Op string

// The comparisons, longest first so that parsing finds "<=" before "<".
const (
	OpLE Op = "<="
	OpGE Op = ">="
	OpEQ Op = "=="
	OpLT Op = "<"
	OpGT Op = ">"
)

var ops = []Op{OpLE, OpGE, OpEQ, OpLT, OpGT}

// Threshold is one pass/fail condition on a run: "complete.p99<250ms",
// "success>=0.999", "start.rate>=45", "errors==0".
type Threshold struct {
	// Expr is the expression as written.
	Expr   string
	Series Series
	Metric Metric
	Op     Op
	// Value is the bound, in nanoseconds for latencies, as a ratio in [0, 1] for
	// success, per second for rate and a count for errors.
	Value float64
}

// ParseThreshold parses "[series.]metric OP value". The series is start or complete,
// complete when left out. Latency metrics (p50 p90 p95 p99 max mean) take a Go
// duration with its unit ("250ms", "1.5s"); success a ratio ("0.999") or a
// percentage ("99.9%"); rate a number of requests per second ("45" or "45/s");
// errors a whole number. OP is one of < <= > >= ==.
func ParseThreshold(expr string) (Threshold, error) {
	fail := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %q: %s", ErrThreshold, expr, fmt.Sprintf(format, args...))
	}
	s := strings.TrimSpace(expr)
	if s == "" {
		return fail("empty; write e.g. complete.p99<250ms")
	}
	opAt, op := -1, Op("")
	for i := 0; i < len(s) && opAt < 0; i++ {
		for _, o := range ops {
			if strings.HasPrefix(s[i:], string(o)) {
				opAt, op = i, o
				break
			}
		}
	}
	if opAt < 0 {
		if strings.Contains(s, "=") {
			return fail("use == for equality (or one of < <= > >=)")
		}
		return fail("no comparison; write one of < <= > >= ==, e.g. complete.p99<250ms")
	}
	name := strings.TrimSpace(s[:opAt])
	val := strings.TrimSpace(s[opAt+len(op):])
	if name == "" {
		return fail("no metric before %s", op)
	}
	if val == "" {
		return fail("no value after %s", op)
	}
	t := Threshold{Expr: expr, Series: SeriesComplete, Op: op}
	metric := name
	if ser, m, ok := strings.Cut(name, "."); ok {
		switch Series(ser) {
		case SeriesStart, SeriesComplete:
			t.Series = Series(ser)
		default:
			return fail("unknown series %q; use start or complete", ser)
		}
		metric = m
	}
	t.Metric = Metric(metric)
	if !knownMetric(t.Metric) {
		return fail("unknown metric %q; use p50 p90 p95 p99 max mean success rate errors", metric)
	}
	switch {
	case t.Metric.latency():
		d, err := time.ParseDuration(val)
		if err != nil {
			if _, nerr := strconv.ParseFloat(val, 64); nerr == nil {
				return fail("latency %q needs a unit, e.g. %sms", val, val)
			}
			return fail("latency %q is not a duration like 250ms or 1.5s", val)
		}
		if d < 0 {
			return fail("latency must not be negative")
		}
		t.Value = float64(d)
	case t.Metric == MetricSuccess:
		v, err := parseRatio(val)
		if err != nil {
			return fail("%v", err)
		}
		t.Value = v
	case t.Metric == MetricRate:
		v, err := strconv.ParseFloat(strings.TrimSuffix(val, "/s"), 64)
		if err != nil || !finiteNonNegative(v) {
			return fail("rate %q is not a non-negative number of requests per second", val)
		}
		t.Value = v
	case t.Metric == MetricErrors:
		v, err := strconv.ParseUint(val, 10, 53)
		if err != nil {
			return fail("errors %q is not a whole number", val)
		}
		t.Value = float64(v)
	}
	return t, nil
}

func parseRatio(val string) (float64, error) {
	pct := strings.HasSuffix(val, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("success %q is not a ratio like 0.999 or a percentage like 99.9%%", val)
	}
	if pct {
		// 99.9/100 is 0.9990000000000001 in binary; round away the noise so the
		// bound is the ratio the operator wrote.
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v/100, 'g', 12, 64), 64)
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("success %q is outside 0..1 (0%%..100%%)", val)
	}
	return v, nil
}

// ParseThresholds parses each expression, stopping at the first error.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// String is the expression in canonical form: series.metric, op, value.
func (t Threshold) String() string {
	return string(t.Series) + "." + string(t.Metric) + string(t.Op) + t.format(t.Value)
}

func (t Threshold) format(v float64) string {
	switch {
	case t.Metric.latency():
		return time.Duration(v).String()
	case t.Metric == MetricSuccess:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case t.Metric == MetricRate:
		return strconv.FormatFloat(v, 'f', -1, 64) + "/s"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}

// Verdict is the outcome of one threshold.
type Verdict struct {
	Threshold string `json:"threshold"`
	// Actual is the measured value, formatted like the threshold's value; "n/a" when
	// the series has no requests, which fails the threshold.
	Actual string `json:"actual"`
	Pass   bool   `json:"pass"`
}

// Check evaluates the threshold on a run's summary.
func (t Threshold) Check(s *Summary) Verdict {
	v := Verdict{Threshold: t.String(), Actual: "n/a"}
	ser := s.Series(t.Series)
	if ser == nil || ser.Count == 0 {
		return v
	}
	var actual float64
	switch t.Metric {
	case MetricSuccess:
		actual = ser.Success
		v.Actual = strconv.FormatFloat(actual, 'f', 4, 64)
	case MetricRate:
		actual = ser.Rate
		v.Actual = strconv.FormatFloat(actual, 'f', 1, 64) + "/s"
	case MetricErrors:
		actual = float64(ser.Errors)
		v.Actual = strconv.FormatInt(ser.Errors, 10)
	default:
		d := ser.Latency.get(t.Metric)
		actual = float64(d)
		v.Actual = fmtDuration(d)
	}
	v.Pass = t.compare(actual)
	return v
}

func (t Threshold) compare(actual float64) bool {
	switch t.Op {
	case OpLT:
		return actual < t.Value
	case OpLE:
		return actual <= t.Value
	case OpGT:
		return actual > t.Value
	case OpGE:
		return actual >= t.Value
	case OpEQ:
		return actual == t.Value
	}
	return false
}

// CheckAll evaluates every threshold and reports whether all passed.
func CheckAll(ts []Threshold, s *Summary) ([]Verdict, bool) {
	out := make([]Verdict, 0, len(ts))
	ok := true
	for _, t := range ts {
		v := t.Check(s)
		ok = ok && v.Pass
		out = append(out, v)
	}
	return out, ok
}

// fmtDuration prints a latency with about three significant digits in a fitting
// unit: 850µs, 12.3ms, 1.25s.
func fmtDuration(d time.Duration) string {
	var v float64
	var unit string
	switch {
	case d == 0:
		return "0s"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		v, unit = float64(d)/1e3, "µs"
	case d < time.Second:
		v, unit = float64(d)/1e6, "ms"
	default:
		v, unit = d.Seconds(), "s"
	}
	prec := 2
	switch {
	case v >= 100:
		prec = 0
	case v >= 10:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + unit
}
