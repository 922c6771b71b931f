package metrics

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
)

// counts scrapes m and returns tuikuan_http_requests_total by api, status and code.
func counts(t *testing.T, m *Metrics) map[[3]string]float64 {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[[3]string]float64{}
	for _, f := range families {
		if f.GetName() != "tuikuan_http_requests_total" {
			continue
		}
		for _, s := range f.Metric {
			l := map[string]string{}
			for _, p := range s.Label {
				l[p.GetName()] = p.GetValue()
			}
			out[[3]string{l["api"], l["status"], l["code"]}] = s.GetCounter().GetValue()
		}
	}
	return out
}

// Ensure Instrument, inside jsonapi.Common, labels a request with the endpoint its
// handler named, or a fixed name for the rest of the listener but never its path, and
// counts a panic as the SYSTEM_ERROR Common answers and a dropped connection as status 0.
func TestInstrument(t *testing.T) {
	m := New()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/refund/domestic/refunds", func(w http.ResponseWriter, r *http.Request) {
		jsonapi.ExchangeOf(r).API = "refund.apply"
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /v3/refund/domestic/refunds/{no}", func(w http.ResponseWriter, r *http.Request) {
		jsonapi.ExchangeOf(r).API = "refund.query"
		jsonapi.ExchangeOf(r).Code = "RESOURCE_NOT_EXISTS"
		w.WriteHeader(http.StatusNotFound)
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("POST /drop", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	srv := httptest.NewServer(jsonapi.Common(m.Instrument(mux), slog.New(slog.DiscardHandler), "n1"))
	defer srv.Close()

	for _, req := range []struct{ method, path string }{
		{"POST", "/v3/refund/domestic/refunds"},
		{"GET", "/v3/refund/domestic/refunds/R1"},
		{"GET", "/v3/refund/domestic/refunds/R2"},
		{"GET", "/sandbox/v1/refunds/42/settle"},
		{"GET", "/unknown/R3"},
		{"GET", "/panic"},
		{"POST", "/drop"}, // a GET dropped on a reused connection the client sends again
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		if resp, err := srv.Client().Do(r); err == nil {
			resp.Body.Close()
		}
	}
	want := map[[3]string]float64{
		{"refund.apply", "200", ""}:                    1,
		{"refund.query", "404", "RESOURCE_NOT_EXISTS"}: 2,
		{"sandbox", "404", ""}:                         1,
		{"other", "404", ""}:                           1,
		{"other", "500", "SYSTEM_ERROR"}:               1,
		{"other", "0", ""}:                             1,
	}
	got := counts(t, m)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tuikuan_http_requests_total{api=%q,status=%q,code=%q} = %v, want %v", k[0], k[1], k[2], got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series = %v, want %v", got, want)
	}
}

// Ensure tuikuan_journal_dropped_total reports what the journal says it dropped, read at
// each scrape.
func TestWatchJournalDrops(t *testing.T) {
	m := New()
	var dropped uint64 = 3
	m.WatchJournalDrops(func() uint64 { return dropped })
	value := func() float64 {
		t.Helper()
		families, err := m.reg.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		for _, f := range families {
			if f.GetName() == "tuikuan_journal_dropped_total" && len(f.Metric) == 1 {
				return f.Metric[0].GetCounter().GetValue()
			}
		}
		t.Fatal("no tuikuan_journal_dropped_total counter")
		return 0
	}
	if v := value(); v != 3 {
		t.Errorf("tuikuan_journal_dropped_total = %v, want 3", v)
	}
	dropped = 5
	if v := value(); v != 5 {
		t.Errorf("tuikuan_journal_dropped_total = %v, want 5", v)
	}
}
