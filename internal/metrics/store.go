package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Counts reads the numbers the store gauges report. Each count scans an index, so a
// scrape reads them at most once per StoreCollector's cache period.
type Counts struct {
	Refunds              func(ctx context.Context) (map[pay.Status]int64, error)
	NotificationsPending func(ctx context.Context) (int64, error)
}

// ServiceCounts reads the counts from svc.
func ServiceCounts(svc *pay.Service) Counts {
	return Counts{
		Refunds: svc.Refunds.CountByStatus,
		NotificationsPending: func(ctx context.Context) (int64, error) {
			return svc.Notifications.Count(ctx, pay.NotifyPending)
		},
	}
}

// Store periods: how long a count is reused, and how long a scrape waits for one.
const (
	storeCache   = 5 * time.Second
	storeTimeout = 2 * time.Second
)

// refundStatuses are reported even when no refund has them, so that a graph of one
// starts at zero rather than at its first refund.
var refundStatuses = []pay.Status{pay.StatusProcessing, pay.StatusSuccess, pay.StatusClosed, pay.StatusAbnormal}

// WatchStore adds the gauges read from the store: refunds by status and notifications
// pending. A count that fails is left out of the scrape, logged once until it works again.
func (m *Metrics) WatchStore(c Counts, log *slog.Logger) {
	m.reg.MustRegister(newStoreCollector(c, log, time.Now))
}

// storeCollector queries the store when scraped, each count at most once per storeCache:
// at millions of rows, a scrape every few seconds from several Prometheus servers must
// not keep the database scanning.
type storeCollector struct {
	refunds, pending *cached[prometheus.Metric]
}

var (
	refundsDesc = prometheus.NewDesc("tuikuan_refunds", "Refunds in the store, by status.", []string{"status"}, nil)
	pendingDesc = prometheus.NewDesc("tuikuan_notifications_pending", "Notifications still owed to merchants: not yet delivered, their retries not run out.", nil, nil)
)

func newStoreCollector(c Counts, log *slog.Logger, now func() time.Time) *storeCollector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &storeCollector{
		refunds: &cached[prometheus.Metric]{name: "refunds by status", log: log, now: now,
			read: func(ctx context.Context) ([]prometheus.Metric, error) {
				counts, err := c.Refunds(ctx)
				if err != nil {
					return nil, err
				}
				ms := make([]prometheus.Metric, 0, len(refundStatuses))
				for _, st := range refundStatuses {
					ms = append(ms, prometheus.MustNewConstMetric(refundsDesc, prometheus.GaugeValue, float64(counts[st]), string(st)))
				}
				return ms, nil
			}},
		pending: &cached[prometheus.Metric]{name: "pending notifications", log: log, now: now,
			read: func(ctx context.Context) ([]prometheus.Metric, error) {
				n, err := c.NotificationsPending(ctx)
				if err != nil {
					return nil, err
				}
				return []prometheus.Metric{prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(n))}, nil
			}},
	}
}

func (s *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- refundsDesc
	ch <- pendingDesc
}

func (s *storeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, c := range []*cached[prometheus.Metric]{s.refunds, s.pending} {
		for _, m := range c.get() {
			ch <- m
		}
	}
}

// cached is the result of read, kept for storeCache, failures included: a database that
// is down is not asked again on every scrape either.
type cached[T any] struct {
	name string
	read func(ctx context.Context) ([]T, error)
	log  *slog.Logger
	now  func() time.Time

	// mu is held across read: scrapes that come together wait for one query rather
	// than each making its own.
	mu      sync.Mutex
	at      time.Time
	value   []T
	failing bool
}

func (c *cached[T]) get() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); !c.at.IsZero() && now.Sub(c.at) < storeCache && !now.Before(c.at) {
		return c.value
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	v, err := c.read(ctx)
	c.at = c.now()
	if err != nil {
		if !c.failing {
			c.log.Error("metrics: count "+c.name, "err", err)
		}
		c.value, c.failing = nil, true
		return nil
	}
	if c.failing {
		c.log.Info("metrics: count " + c.name + " works again")
	}
	c.value, c.failing = v, false
	return v
}
