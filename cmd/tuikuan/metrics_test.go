package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// scrape reads the metrics at url, parsed as Prometheus parses them.
func (s *testServer) scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := (&http.Client{Transport: s.transport, Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return families
}

// sample returns the value of the sample of family whose labels include want: a
// counter's or gauge's value, a histogram's count. ok is false when there is none.
func sample(families map[string]*dto.MetricFamily, family string, want map[string]string) (v float64, ok bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// waitSample scrapes until family's sample with labels reaches min, failing after a
// while: some counts move just after the client sees the answer that moves them.
func (s *testServer) waitSample(t *testing.T, url, family string, labels map[string]string, min float64) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		families := s.scrape(t, url)
		if v, ok := sample(families, family, labels); ok && v >= min {
			return families
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v did not reach %v within 10s", family, labels, min)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Ensure /metrics tells Prometheus of a refund applied through wechatpay-go (its
// request, its time, the store transactions behind it, the refund in the store), of a
// request refused for its signature, and of the notification delivered when the refund
// settles; and that no label carries a path.
func TestMetrics_Scrape(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	ep := newNotifyEndpoint(t, s.publicKeyHandler(t, m))
	refundID, _ := s.refundFor(t, m, m.Mchid, ep.URL)

	path := "/v3/refund/domestic/refunds/" + uniq("MET")
	a := s.send(t, "GET", path, nil, map[string]string{
		"Authorization": s.signer(t, m).sign(t, "GET", path+"X", time.Now().Unix(), wxcrypto.Nonce(32), nil).header()})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("GET %s with a wrong signature = %d %s, want 401", path, a.status, a.body)
	}

	url := s.base + "/metrics"
	families := s.scrape(t, url)
	applied := map[string]string{"api": endpoint.RefundApply, "status": "200", "code": ""}
	if v, _ := sample(families, "tuikuan_http_requests_total", applied); v < 1 {
		t.Errorf("tuikuan_http_requests_total%v = %v, want at least 1", applied, v)
	}
	refused := map[string]string{"api": endpoint.RefundQuery, "status": "401", "code": "SIGN_ERROR"}
	if v, _ := sample(families, "tuikuan_http_requests_total", refused); v != 1 {
		t.Errorf("tuikuan_http_requests_total%v = %v, want 1", refused, v)
	}
	if v, _ := sample(families, "tuikuan_http_request_duration_seconds", map[string]string{"api": endpoint.RefundApply}); v < 1 {
		t.Errorf("tuikuan_http_request_duration_seconds{api=%q} count = %v, want at least 1", endpoint.RefundApply, v)
	}
	for _, kind := range []string{"update", "view"} {
		if v, _ := sample(families, "tuikuan_store_transaction_duration_seconds", map[string]string{"kind": kind}); v < 1 {
			t.Errorf("tuikuan_store_transaction_duration_seconds{kind=%q} count = %v, want at least 1", kind, v)
		}
	}
	if v, ok := sample(families, "tuikuan_refunds", map[string]string{"status": "PROCESSING"}); !ok || v < 1 {
		t.Errorf("tuikuan_refunds{status=\"PROCESSING\"} = %v (present %v), want at least 1", v, ok)
	}
	if _, ok := sample(families, "tuikuan_notifications_pending", nil); !ok {
		t.Error("no tuikuan_notifications_pending")
	}
	if v, ok := sample(families, "tuikuan_journal_dropped_total", nil); !ok || v != 0 {
		t.Errorf("tuikuan_journal_dropped_total = %v (present %v), want 0", v, ok)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if families[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	for _, f := range families {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), "/") {
					t.Errorf("%s has label %s=%q: a path", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}

	s.settleTo(t, refundID, "SUCCESS")
	ep.next(t, 10*time.Second)
	families = s.waitSample(t, url, "tuikuan_notification_attempts_total", map[string]string{"outcome": "delivered"}, 1)
	if v, _ := sample(families, "tuikuan_notification_attempt_duration_seconds", map[string]string{"outcome": "delivered"}); v < 1 {
		t.Errorf("tuikuan_notification_attempt_duration_seconds{outcome=\"delivered\"} count = %v, want at least 1", v)
	}
}

// Ensure --metrics-addr moves /metrics to its own listener: it answers there and no
// longer on the main one.
func TestMetrics_OwnListener(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, "--metrics-addr", addr)
	families := s.scrape(t, "http://"+addr+"/metrics")
	if families["go_goroutines"] == nil {
		t.Error("no go_goroutines on the metrics listener")
	}
	if a := s.send(t, "GET", "/metrics", nil, nil); a.status != http.StatusNotFound {
		t.Errorf("GET /metrics on the main listener = %d, want 404", a.status)
	}
}

// freeAddr is a loopback address no one listens on, for a listener a test names.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Ensure that with --log-format json a refused request's line is one JSON object that
// carries the answer's Request-ID as request_id, once, and the node's name.
func TestLog_JSONRequestID(t *testing.T) {
	s := startServer(t, "--log-level", "info", "--log-format", "json", "--node", "json-1")
	m := s.merchant(t, "direct")
	path := "/v3/refund/domestic/refunds/" + uniq("JSON")
	a := s.send(t, "GET", path, nil, map[string]string{
		"Authorization": s.signer(t, m).sign(t, "GET", path+"X", time.Now().Unix(), wxcrypto.Nonce(32), nil).header()})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("GET %s = %d %s, want 401", path, a.status, a.body)
	}
	id := a.header.Get("Request-ID")
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["path"] == path {
			found = append(found, rec)
		}
	}
	if len(found) != 1 {
		t.Fatalf("log lines naming %s = %v, want one\nlog:\n%s", path, found, s.logs.String())
	}
	rec := found[0]
	if rec["request_id"] != id || rec["node"] != "json-1" || rec["code"] != "SIGN_ERROR" || rec["msg"] != "request refused" {
		t.Errorf("log line = %v, want request_id %q, node json-1, code SIGN_ERROR", rec, id)
	}
	if n := strings.Count(s.logs.String(), `"request_id"`); n != 1 {
		t.Errorf("request_id appears %d times in the log, want once:\n%s", n, s.logs.String())
	}
}
