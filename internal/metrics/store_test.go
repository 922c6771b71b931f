package metrics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// gauges scrapes reg and returns each gauge sample by name and labels' values, e.g.
// "tuikuan_refunds SUCCESS".
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.Metric {
			key := f.GetName()
			for _, l := range m.Label {
				key += " " + l.GetValue()
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// Ensure the store gauges query the store at most once per cache period however often
// they are scraped, and that a count that fails leaves its series out of a scrape that
// still succeeds, logged once until it works again.
func TestStoreCollector(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var queries int
	var fail error
	counts := Counts{
		Refunds: func(context.Context) (map[pay.Status]int64, error) {
			queries++
			return map[pay.Status]int64{pay.StatusSuccess: 3}, nil
		},
		NotificationsPending: func(context.Context) (int64, error) {
			queries++
			return 2, fail
		},
	}
	var logs bytes.Buffer
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newStoreCollector(counts, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now }))

	for range 3 {
		g := gauges(t, reg)
		if g["tuikuan_refunds SUCCESS"] != 3 || g["tuikuan_refunds PROCESSING"] != 0 || g["tuikuan_notifications_pending"] != 2 || len(g) != 5 {
			t.Fatalf("gauges = %v, want 4 refund statuses (3 SUCCESS) and 2 pending", g)
		}
	}
	if queries != 2 {
		t.Errorf("3 scrapes within the cache period made %d queries, want 2", queries)
	}

	fail = errors.New("database down")
	for range 2 {
		now = now.Add(storeCache)
		g := gauges(t, reg)
		if _, ok := g["tuikuan_notifications_pending"]; ok || len(g) != 4 {
			t.Errorf("gauges while the pending count fails = %v, want the 4 refund statuses alone", g)
		}
	}
	if n := strings.Count(logs.String(), "database down"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
	fail = nil
	now = now.Add(storeCache)
	if g := gauges(t, reg); g["tuikuan_notifications_pending"] != 2 {
		t.Errorf("gauges once the count works again = %v, want 2 pending", g)
	}
}
