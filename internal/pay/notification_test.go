package pay_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure each protocol retries on the schedule its refund-notification page states:
// both v2 and v3 say 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, 24h4m in all.
func TestNotification_Schedule(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	documented := []time.Duration{15 * s, 15 * s, 30 * s, 3 * m, 10 * m, 20 * m, 30 * m, 30 * m, 30 * m, 60 * m, 3 * h, 3 * h, 3 * h, 6 * h, 6 * h}
	for _, protocol := range []string{pay.ProtocolV3, pay.ProtocolV2} {
		got := (&pay.Notification{Protocol: protocol}).Schedule()
		if diff := cmp.Diff(documented, got); diff != "" {
			t.Errorf("protocol %q schedule mismatch (-want +got):\n%s", protocol, diff)
		}
		var total time.Duration
		for _, d := range got {
			total += d
		}
		if total != 24*h+4*m {
			t.Errorf("protocol %q schedule totals %v, want 24h4m", protocol, total)
		}
	}
}

// Ensure RecordAttempts records a batch in one go, each notification moved on as
// RecordAttempt would, and that a notification that is not there spoils nothing: it
// gets nil and the others are recorded.
func TestNotifications_RecordAttempts(t *testing.T) {
	ctx := t.Context()
	svc := newService(t, pay.Simulated{})
	for i := range 3 {
		o := mustPay(t, svc, directMchid, 100)
		q := refundOf(o, fmt.Sprintf("RA%d", i), 100)
		q.NotifyURL = "http://127.0.0.1:1/n"
		r, err := svc.Refunds.Apply(ctx, q)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if _, err := svc.Refunds.Settle(ctx, r.ID, pay.StatusSuccess); err != nil {
			t.Fatalf("Settle: %v", err)
		}
	}
	ns, err := svc.Notifications.Claim(ctx, 10, time.Minute)
	if err != nil || len(ns) != 3 {
		t.Fatalf("Claim = %d notifications, %v; want 3", len(ns), err)
	}
	recs := []pay.AttemptRecord{
		{ID: ns[0].ID, Attempt: pay.Attempt{StatusCode: 200}, OK: true},
		{ID: "no-such-notification", OK: true},
		{ID: ns[1].ID, Attempt: pay.Attempt{StatusCode: 500}},
	}
	got, err := svc.Notifications.RecordAttempts(ctx, recs, 1)
	if err != nil || len(got) != 3 {
		t.Fatalf("RecordAttempts = %d, %v; want 3 results", len(got), err)
	}
	if got[0] == nil || got[0].Status != pay.NotifyDelivered || got[0].Attempts != 1 {
		t.Errorf("delivered one = %+v, want DELIVERED after 1 attempt", got[0])
	}
	if got[1] != nil {
		t.Errorf("missing one = %+v, want nil", got[1])
	}
	if got[2] == nil || got[2].Status != pay.NotifyPending || got[2].Attempts != 1 || !got[2].NextAttemptAt.Equal(now0.Add(pay.RetrySchedule[0])) {
		t.Errorf("failed one = %+v, want PENDING, retry after %v", got[2], pay.RetrySchedule[0])
	}
	for i, id := range []string{ns[0].ID, ns[1].ID, ns[2].ID} {
		n, err := svc.Notifications.Query(ctx, id)
		if err != nil {
			t.Fatalf("Query(%s): %v", id, err)
		}
		if want := []int{1, 1, 0}[i]; n.Attempts != want {
			t.Errorf("notification %d stored with %d attempts, want %d", i, n.Attempts, want)
		}
	}
}
