// Package metrics holds what tuikuan tells Prometheus: the counters and histograms of the
// requests it answers, the notifications it delivers and the store transactions it runs,
// gauges read from the store when scraped, and the handler that serves them all.
//
// No label ever carries a request's path, a merchant's key, a token or a body: the api
// label is an endpoint name or one of a few fixed names, and the others come from fixed
// sets (HTTP statuses, error codes, outcomes).
package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Metrics is one server's metrics, on a registry of its own: several servers in one
// process (the tests) never share a series.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	transactions    *prometheus.HistogramVec
}

// New returns the metrics of one server, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuikuan_http_requests_total",
			Help: "HTTP requests answered, by endpoint name, HTTP status and the answer's error code (empty for a success).",
		}, []string{"api", "status", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuikuan_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by endpoint name.",
			Buckets: prometheus.DefBuckets,
		}, []string{"api"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuikuan_notification_attempts_total",
			Help: "Notification delivery attempts, by outcome: delivered, rejected (answered but not taken), error (no answer) or fault (failed by a fault rule).",
		}, []string{"outcome"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuikuan_notification_attempt_duration_seconds",
			Help:    "Time a merchant's notify_url took to answer a delivery attempt, by outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"outcome"}),
		transactions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuikuan_store_transaction_duration_seconds",
			Help:    "Time a store transaction took, by kind: update (read-write) or view (read-only).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"kind"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.attempts, m.attemptDuration, m.transactions,
	)
	return m
}

// Handler serves the metrics in Prometheus's formats. A collector that fails leaves its
// series out rather than failing the scrape.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// slogPrinter is promhttp's error log on a slog.Logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	if p.log != nil {
		p.log.Error("serve metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
	}
}

// Instrument counts and times every request next answers. It reads the request's
// jsonapi.Exchange once next returns, so it must run inside jsonapi.Common, which
// creates it.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			ex := jsonapi.ExchangeOf(r)
			status, code := sw.status, ex.Code
			p := recover()
			switch {
			case p == http.ErrAbortHandler:
				// The connection is dropped (a fault rule's drop): no answer, status 0.
				status = 0
			case p != nil:
				// Common, outside, recovers the panic and answers a SYSTEM_ERROR.
				status, code = http.StatusInternalServerError, pay.CodeSystemError
			}
			api := apiName(ex.API, r.URL.Path)
			m.requests.WithLabelValues(api, strconv.Itoa(status), code).Inc()
			m.requestDuration.WithLabelValues(api).Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// apiName is the api label of a request: the endpoint its handler named, else one of a
// few fixed names by the part of the listener that answered — never the path itself,
// which would make a series of every refund number.
func apiName(api, path string) string {
	switch {
	case api != "":
		return api
	case strings.HasPrefix(path, "/sandbox/"):
		return "sandbox"
	case path == "/console" || strings.HasPrefix(path, "/console/"):
		return "console"
	case path == "/healthz" || path == "/readyz":
		return "health"
	case path == "/metrics":
		return "metrics"
	}
	return "other"
}

// ObserveAttempt counts one notification delivery attempt and its latency.
func (m *Metrics) ObserveAttempt(outcome string, latency time.Duration) {
	m.attempts.WithLabelValues(outcome).Inc()
	m.attemptDuration.WithLabelValues(outcome).Observe(latency.Seconds())
}

// ObserveTransaction times one store transaction of kind "update" or "view".
func (m *Metrics) ObserveTransaction(kind string, d time.Duration) {
	m.transactions.WithLabelValues(kind).Observe(d.Seconds())
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// WatchJournalDrops adds tuikuan_journal_dropped_total, read from dropped when scraped:
// the request-journal entries not recorded because the journal's queue was full.
func (m *Metrics) WatchJournalDrops(dropped func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tuikuan_journal_dropped_total",
		Help: "Request-journal entries dropped, not recorded, because the journal's write queue was full.",
	}, func() float64 { return float64(dropped()) }))
}
