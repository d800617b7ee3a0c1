package load

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/api"
)

// Histogram ranges. Latencies are recorded in microseconds from 1µs to 10 minutes
// (longer values are clamped), with 3 significant digits overall and 2 in the
// per-window histograms of the timeline.
const (
	histLowest       = 1
	histHighest      = int64(10 * time.Minute / time.Microsecond)
	histDigits       = 3
	windowHistDigits = 2
	// DefaultLateAfter is how far behind its intended time a completion may be sent
	// before it counts as late.
	DefaultLateAfter = 10 * time.Millisecond
	// maxWindows bounds the timeline: the window grows with the run's length so
	// that a soak keeps a few hundred points, not one per second.
	maxWindows = 300
)

// Error keys of the outcomes the load generator itself decides, beside the error codes
// of SPEC.md section 10 that servers send.
const (
	// KeyM2 is a 200 completion whose m2 did not verify: the server did not prove it
	// knows the verifier. A failure, whatever the status says.
	KeyM2 = "M2_NOT_VERIFIED"
	// KeyMalformed is a 200 whose body does not decode or lacks what the flow needs.
	KeyMalformed = "MALFORMED_RESPONSE"
	// KeyProof is a start response whose B the client refuses (B mod N = 0, u = 0).
	KeyProof = "BAD_SERVER_PUBLIC_VALUE"
)

// lagHeader carries, in a results file, how long after its intended time a
// completion was actually sent, in nanoseconds. vegeta ignores it; merge reads it.
const lagHeader = "Renewkit-Send-Lag"

// errorPrefix starts the Error of a result the generator failed on purpose.
const errorPrefix = "load: "

// Millis is a duration that JSON carries as a number of milliseconds.
type Millis time.Duration

// MarshalJSON writes milliseconds with microsecond precision.
func (m Millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Duration(m).Microseconds())/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads milliseconds.
func (m *Millis) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	// Rounded, not truncated: 8.193 ms is 8192999.999... ns in floating point, and
	// MarshalJSON's microseconds must come back exactly.
	*m = Millis(time.Duration(math.Round(f * float64(time.Millisecond))))
	return nil
}

// Latency is a latency distribution's summary, from an HDR histogram.
type Latency struct {
	P50  Millis `json:"p50Ms"`
	P90  Millis `json:"p90Ms"`
	P95  Millis `json:"p95Ms"`
	P99  Millis `json:"p99Ms"`
	Max  Millis `json:"maxMs"`
	Mean Millis `json:"meanMs"`
}

func (l Latency) get(m Metric) time.Duration {
	switch m {
	case MetricP50:
		return time.Duration(l.P50)
	case MetricP90:
		return time.Duration(l.P90)
	case MetricP95:
		return time.Duration(l.P95)
	case MetricP99:
		return time.Duration(l.P99)
	case MetricMax:
		return time.Duration(l.Max)
	}
	return time.Duration(l.Mean)
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	q := func(p float64) Millis { return Millis(time.Duration(h.ValueAtQuantile(p)) * time.Microsecond) }
	return Latency{
		P50: q(50), P90: q(90), P95: q(95), P99: q(99),
		Max:  Millis(time.Duration(h.Max()) * time.Microsecond),
		Mean: Millis(time.Duration(h.Mean() * float64(time.Microsecond))),
	}
}

// SeriesSummary is what one series measured.
type SeriesSummary struct {
	// Count is the requests sent; OK those that succeeded; Errors the rest.
	Count  int64 `json:"count"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"`
	// Success is OK / Count.
	Success float64 `json:"success"`
	// Rate is requests sent per second of attack; Throughput successes per second.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	// Latency is from the intended send time to the last byte of the response:
	// corrected for coordinated omission in the complete series; the start series
	// is closed-loop (the producer sends when it needs a session), so its latency
	// is the service time.
	Latency Latency `json:"latency"`
	// Service is the complete series' latency from the actual send: what the
	// latency would be without the correction.
	Service *Latency `json:"serviceLatency,omitempty"`
	// Status counts responses by HTTP status ("0": no response).
	Status map[string]int64 `json:"status"`
	// ErrorCodes counts failures by error code: the section 10 code of an error
	// body, one of the Key constants, or a transport class (TIMEOUT, ...).
	ErrorCodes map[string]int64 `json:"errorCodes"`
	// Verified counts completions whose M2 verified (complete series).
	Verified int64  `json:"m2Verified"`
	BytesIn  uint64 `json:"bytesIn"`
	BytesOut uint64 `json:"bytesOut"`
	// Timeline is the series over time, one point per window.
	Timeline []Point `json:"timeline,omitempty"`

	// hist is the full distribution, for the report's plot; not in the JSON.
	hist, service *hdrhistogram.Histogram
}

// Point is one window of a series' timeline.
type Point struct {
	// T is the window's start in seconds since the run's origin.
	T      float64 `json:"t"`
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	Rate   float64 `json:"rate"`
	P50    Millis  `json:"p50Ms"`
	P99    Millis  `json:"p99Ms"`
	Max    Millis  `json:"maxMs"`
}

// seriesAgg accumulates one series. It is not safe for concurrent use; recorder
// guards it.
type seriesAgg struct {
	lat, service, lag       *hdrhistogram.Histogram
	count, ok, verified     int64
	late                    int64
	status                  map[int]int64
	codes                   map[string]int64
	bytesIn, bytesOut       uint64
	origin                  time.Time
	window                  time.Duration
	windows                 []*windowAgg
	lateAfter               time.Duration
	first, last             time.Time
	hasService, hasTimeline bool
}

type windowAgg struct {
	hist          *hdrhistogram.Histogram
	count, errors int64
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histLowest, histHighest, histDigits) }

// newSeriesAgg makes an accumulator. With window > 0 it keeps a timeline from origin.
func newSeriesAgg(service bool, origin time.Time, window, lateAfter time.Duration) *seriesAgg {
	a := &seriesAgg{
		lat: newHist(), status: map[int]int64{}, codes: map[string]int64{},
		origin: origin, window: window, lateAfter: lateAfter,
		hasService: service, hasTimeline: window > 0,
	}
	if service {
		a.service, a.lag = newHist(), newHist()
	}
	return a
}

func micros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	return min(max(us, histLowest), histHighest)
}

// add records one result whose outcome is ok or the failure key.
func (a *seriesAgg) add(r *vegeta.Result, ok bool, key string, lag time.Duration) {
	a.count++
	a.status[int(r.Code)]++
	if ok {
		a.ok++
	} else {
		a.codes[key]++
	}
	if ok && a.hasService {
		a.verified++ // a completion succeeds only when its M2 verified
	}
	a.bytesIn += r.BytesIn
	a.bytesOut += r.BytesOut
	_ = a.lat.RecordValue(micros(r.Latency))
	if a.hasService {
		_ = a.service.RecordValue(micros(r.Latency - lag))
		_ = a.lag.RecordValue(micros(lag))
		if lag > a.lateAfter {
			a.late++
		}
	}
	if a.first.IsZero() || r.Timestamp.Before(a.first) {
		a.first = r.Timestamp
	}
	if end := r.End(); end.After(a.last) {
		a.last = end
	}
	if a.hasTimeline {
		i := int(r.Timestamp.Sub(a.origin) / a.window)
		if i < 0 {
			i = 0
		}
		for len(a.windows) <= i {
			a.windows = append(a.windows, nil)
		}
		w := a.windows[i]
		if w == nil {
			w = &windowAgg{hist: hdrhistogram.New(histLowest, histHighest, windowHistDigits)}
			a.windows[i] = w
		}
		w.count++
		if !ok {
			w.errors++
		}
		_ = w.hist.RecordValue(micros(r.Latency))
	}
}

// summary summarizes the series over an attack of the given length.
func (a *seriesAgg) summary(attack time.Duration) SeriesSummary {
	s := SeriesSummary{
		Count: a.count, OK: a.ok, Errors: a.count - a.ok, Verified: a.verified,
		Latency: latencyOf(a.lat), Status: map[string]int64{}, ErrorCodes: map[string]int64{},
		BytesIn: a.bytesIn, BytesOut: a.bytesOut, hist: a.lat.Clone(),
	}
	if a.count > 0 {
		s.Success = float64(a.ok) / float64(a.count)
	}
	if attack > 0 {
		s.Rate = float64(a.count) / attack.Seconds()
		s.Throughput = float64(a.ok) / attack.Seconds()
	}
	if a.hasService {
		l := latencyOf(a.service)
		s.Service = &l
		s.service = a.service.Clone()
	}
	for c, n := range a.status {
		s.Status[strconv.Itoa(c)] = n
	}
	for k, n := range a.codes {
		s.ErrorCodes[k] = n
	}
	for i, w := range a.windows {
		p := Point{T: (time.Duration(i) * a.window).Seconds()}
		if w != nil {
			p.Count, p.Errors = w.count, w.errors
			p.Rate = float64(w.count) / a.window.Seconds()
			p.P50 = Millis(time.Duration(w.hist.ValueAtQuantile(50)) * time.Microsecond)
			p.P99 = Millis(time.Duration(w.hist.ValueAtQuantile(99)) * time.Microsecond)
			p.Max = Millis(time.Duration(w.hist.Max()) * time.Microsecond)
		}
		s.Timeline = append(s.Timeline, p)
	}
	return s
}

// windowFor picks the timeline window of a run of length d: one second, or longer
// so that the timeline has at most maxWindows points.
func windowFor(d time.Duration) time.Duration {
	w := time.Second
	for d/w > maxWindows {
		w *= 2
	}
	return w
}

// classify decides a result's outcome. A success is a 200 without an Error; the
// generator sets Error on a 200 it refuses (KeyM2, KeyMalformed). Failures are keyed
// by the section 10 code of the error body, the generator's key, or the class of a
// transport error.
func classify(r *vegeta.Result) (ok bool, key string) {
	switch {
	case r.Code == 200 && r.Error == "":
		return true, ""
	case strings.HasPrefix(r.Error, errorPrefix):
		k, _, _ := strings.Cut(strings.TrimPrefix(r.Error, errorPrefix), ":")
		return false, k
	case r.Code == 0:
		return false, transportClass(r.Error)
	}
	if e, err := api.DecodeError(r.Body); err == nil && e.Code != "" {
		return false, string(e.Code)
	}
	return false, "HTTP_" + strconv.Itoa(int(r.Code))
}

// transportClass names a transport error without the URL, so that session IDs do
// not make every error distinct.
func transportClass(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "timeout") || strings.Contains(m, "deadline exceeded"):
		return "TIMEOUT"
	case strings.Contains(m, "connection refused"):
		return "CONNECTION_REFUSED"
	case strings.Contains(m, "connection reset"):
		return "CONNECTION_RESET"
	case strings.Contains(m, "eof"):
		return "EOF"
	case strings.Contains(m, "too many open files"):
		return "TOO_MANY_OPEN_FILES"
	case strings.Contains(m, "canceled"):
		return "CANCELED"
	}
	return "TRANSPORT"
}

// lagOf reads the send lag a completion result carries.
func lagOf(r *vegeta.Result) time.Duration {
	v := r.Headers.Get(lagHeader)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n)
}

func withLag(lag time.Duration) http.Header {
	return http.Header{lagHeader: []string{strconv.FormatInt(int64(lag), 10)}}
}

// recorder accumulates both series of a run and, when open, writes every result to
// the results files. It is safe for concurrent use.
type recorder struct {
	mu              sync.Mutex
	start, complete *seriesAgg
	step            *seriesAgg // the current search step's completions, or nil
	stepStart       *seriesAgg // and its starts
	tickStart       *hdrhistogram.Histogram
	tickComplete    *hdrhistogram.Histogram
	files           map[Series]*resultWriter
	writeErr        error
}

func newRecorder(origin time.Time, window, lateAfter time.Duration) *recorder {
	return &recorder{
		start:        newSeriesAgg(false, origin, window, lateAfter),
		complete:     newSeriesAgg(true, origin, window, lateAfter),
		tickStart:    newHist(),
		tickComplete: newHist(),
		files:        map[Series]*resultWriter{},
	}
}

// add records a result of a series (its Attack field names the series) and writes it.
func (rc *recorder) add(r *vegeta.Result) {
	ok, key := classify(r)
	lag := time.Duration(0)
	series := Series(r.Attack)
	if series == SeriesComplete {
		lag = lagOf(r)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch series {
	case SeriesStart:
		rc.start.add(r, ok, key, 0)
		_ = rc.tickStart.RecordValue(micros(r.Latency))
		if rc.stepStart != nil {
			rc.stepStart.add(r, ok, key, 0)
		}
	case SeriesComplete:
		rc.complete.add(r, ok, key, lag)
		_ = rc.tickComplete.RecordValue(micros(r.Latency))
		if rc.step != nil {
			rc.step.add(r, ok, key, lag)
		}
	default:
		return
	}
	if w := rc.files[series]; w != nil && rc.writeErr == nil {
		rc.writeErr = w.write(r)
	}
}

// beginStep starts accumulating a separate view of both series for one search
// step.
func (rc *recorder) beginStep(lateAfter time.Duration) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.step = newSeriesAgg(true, time.Time{}, 0, lateAfter)
	rc.stepStart = newSeriesAgg(false, time.Time{}, 0, lateAfter)
}

// endStep returns the step's completions and starts and stops the step view.
func (rc *recorder) endStep() (complete, start *seriesAgg) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	complete, start = rc.step, rc.stepStart
	rc.step, rc.stepStart = nil, nil
	return complete, start
}

// progress is what the live line shows: totals, and the latencies since the last
// call.
type progress struct {
	completes, completeErrors, starts, startErrors int64
	p50, p99, startP99                             time.Duration
}

func (rc *recorder) progress() progress {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	p := progress{
		completes: rc.complete.count, completeErrors: rc.complete.count - rc.complete.ok,
		starts: rc.start.count, startErrors: rc.start.count - rc.start.ok,
	}
	if rc.tickComplete.TotalCount() > 0 {
		p.p50 = time.Duration(rc.tickComplete.ValueAtQuantile(50)) * time.Microsecond
		p.p99 = time.Duration(rc.tickComplete.ValueAtQuantile(99)) * time.Microsecond
	}
	if rc.tickStart.TotalCount() > 0 {
		p.startP99 = time.Duration(rc.tickStart.ValueAtQuantile(99)) * time.Microsecond
	}
	rc.tickComplete.Reset()
	rc.tickStart.Reset()
	return p
}

// sortedKeys returns a map's keys in order, for stable tables.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonIndent is json.MarshalIndent with the house's two spaces.
func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
