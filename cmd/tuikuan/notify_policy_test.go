package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Ensure --notify-deny keeps notifications from a denied address: the receiver there
// gets nothing, and the sandbox shows each attempt failed with the reason. 127.0.0.2 is a
// loopback address standing in for a cloud's metadata service, so that no test traffic
// leaves the machine.
func TestNotify_DenySetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.2: %v", err)
	}
	var hits atomic.Int64
	rcv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) })}}
	rcv.Start()
	t.Cleanup(rcv.Close)

	s := startServer(t, "--notify-deny", "127.0.0.2/32", "--notify-time-scale", "0.001")
	direct := s.merchant(t, "direct")
	id, _ := s.refundFor(t, direct, direct.Mchid, rcv.URL+"/wxpay/refund-notify")
	s.settleTo(t, id, "SUCCESS")

	n := s.waitNotification(t, id, 5*time.Second, func(n notificationView) bool { return n.Attempts >= 2 })
	want := "notify_url refused: address 127.0.0.2 is in 127.0.0.2/32, where notifications are not sent"
	for _, d := range n.Deliveries {
		if d.StatusCode != 0 || d.Error != want {
			t.Errorf("delivery %d = status %d error %q, want no status and %q", d.Number, d.StatusCode, d.Error, want)
		}
	}
	if n.Status != "PENDING" {
		t.Errorf("status = %s, want PENDING: a refused attempt fails like any other", n.Status)
	}
	if got := hits.Load(); got != 0 {
		t.Errorf("receiver on a denied address got %d requests, want none", got)
	}
}
