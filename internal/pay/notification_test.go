package pay_test

import (
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
