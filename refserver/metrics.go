package refserver

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// SRP operation kinds and outcomes, the label values of renewkit_srp_operations_total.
const (
	srpKindServerStart = "server_start" // a new server ephemeral B for a session
	srpKindVerify      = "verify"       // a client proof M1 checked at completion
	srpKindVerifier    = "verifier"     // a new verifier's range checked at completion

	srpOutcomeOK                 = "ok"
	srpOutcomeInvalidProof       = "invalid_proof"
	srpOutcomeInvalidPublicValue = "invalid_public_value"
	srpOutcomeInvalidVerifier    = "invalid_verifier"
	srpOutcomeError              = "error"
)

// The limits of renewkit_limits_total: what each count is.
const (
	limitSessionsPerUser = "sessions_per_user" // a user's oldest session dropped for a new one
	limitSessions        = "sessions"          // a start refused: the server holds MaxSessions
	limitTokenFailures   = "token_failures"    // a token request refused 429 by the throttle
)

// metrics is the server's instrumentation, on a registry of its own so that two servers
// in one test binary never collide on the global default registry.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	srpOps   *prometheus.CounterVec
	limits   *prometheus.CounterVec
}

// newMetrics builds the collectors; openSessions is sampled at each scrape.
func newMetrics(openSessions func() float64) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "renewkit_http_requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "renewkit_http_request_duration_seconds",
			Help: "HTTP request latency by route template and method.",
			// From sub-millisecond (health checks) to the seconds a 8192-bit group takes.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		srpOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "renewkit_srp_operations_total",
			Help: "SRP operations by kind (server_start, verify, verifier) and outcome.",
		}, []string{"kind", "outcome"}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "renewkit_limits_total",
			Help: "Times a limit acted: sessions_per_user (a user's oldest session dropped), sessions (a start refused, the server is full), token_failures (a token request refused for its client id's failures).",
		}, []string{"limit"}),
	}
	for _, l := range []string{limitSessionsPerUser, limitSessions, limitTokenFailures} {
		m.limits.WithLabelValues(l) // every series from the start, at 0
	}
	reg.MustRegister(
		m.requests,
		m.latency,
		m.srpOps,
		m.limits,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "renewkit_sessions_open",
			Help: "Sessions started and neither completed nor expired.",
		}, openSessions),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// middleware records each request under its route template (never the raw path, which
// holds user and session IDs and would explode the label space).
func (m *metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	method := c.Request.Method
	m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
}

// srp counts one SRP operation.
func (m *metrics) srp(kind, outcome string) {
	m.srpOps.WithLabelValues(kind, outcome).Inc()
}

// limited counts n actions of limit.
func (m *metrics) limited(limit string, n int) {
	if n > 0 {
		m.limits.WithLabelValues(limit).Add(float64(n))
	}
}

// handler serves the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
