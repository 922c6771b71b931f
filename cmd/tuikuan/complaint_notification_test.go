package main

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// complaintNotifications lists a complaint's notifications through the sandbox API.
func (s *testServer) complaintNotifications(t *testing.T, complaintID string) []notificationView {
	t.Helper()
	var out struct {
		Data []notificationView `json:"data"`
	}
	if st := s.sandbox(t, "GET", "/sandbox/v1/complaints/"+complaintID+"/notifications", nil, &out); st != http.StatusOK {
		t.Fatalf("list notifications of complaint %s: status %d", complaintID, st)
	}
	return out.Data
}

// Ensure the sandbox API shows a complaint's notifications as it shows a refund's: the
// COMPLAINT.CREATE sent to the complaint notify URL is listed DELIVERED with its 200, and
// an unknown complaint is 404 RESOURCE_NOT_EXISTS.
func TestComplaint_SandboxNotifications(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	url, events := complaintEndpoint(t, s.publicKeyHandler(t, m))
	nu, err := c.V3ComplaintNotifyUrlCreate(context.Background(), url)
	noErr(t, "V3ComplaintNotifyUrlCreate", nu.Code, nu.Error, err)

	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	id := s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND",
		"apply_refund_amount": 1000, "complaint_detail": "没收到货，要求退款", "payer_phone": "13800138000"})
	if ev := nextEvent(t, events); ev.EventType != "COMPLAINT.CREATE" || ev.ComplaintID != id {
		t.Fatalf("first notification = %+v, want COMPLAINT.CREATE of %s", ev, id)
	}

	// The endpoint has answered; the delivery's record may trail it by a moment.
	var ns []notificationView
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ns = s.complaintNotifications(t, id)
		if len(ns) == 1 && ns[0].Status == "DELIVERED" || time.Now().After(deadline) {
			break
		}
	}
	if len(ns) != 1 {
		t.Fatalf("notifications of complaint %s = %+v, want one", id, ns)
	}
	n := ns[0]
	if n.EventType != "COMPLAINT.CREATE" || n.URL != url || n.Status != "DELIVERED" || n.Attempts != 1 || n.ID == "" || n.CreateTime == "" {
		t.Errorf("complaint notification = %+v, want COMPLAINT.CREATE to %s DELIVERED after 1 attempt", n, url)
	}
	if got := statusCodes(n); len(got) != 1 || got[0] != http.StatusOK {
		t.Errorf("deliveries' status codes = %v, want [200]", got)
	}

	var e struct{ Code string }
	if st := s.sandbox(t, "GET", "/sandbox/v1/complaints/200000020260101000000000000/notifications", nil, &e); st != http.StatusNotFound || e.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("notifications of an unknown complaint = %d %q, want 404 RESOURCE_NOT_EXISTS", st, e.Code)
	}
}
