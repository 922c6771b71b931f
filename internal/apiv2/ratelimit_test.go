package apiv2

import (
	"fmt"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
)

// Ensure the v2 apply counts towards the rate limits of the merchant's profile: wechat
// refuses the 7th failing apply within a second with FREQUENCY_LIMITED, and off never
// limits. The limiter's clock stands still, so "within a second" holds however slow the
// machine.
func TestRefund_RateLimit(t *testing.T) {
	// An order that does not exist: every apply fails with INVALID_TRANSACTIONID.
	failing := func(o *pay.Order, i int) map[string]string {
		return refundParams(o, fmt.Sprintf("RL%d", i), 100, "transaction_id", "4200000000000000000000000001", "sign_type", signHMAC)
	}
	newLimited := func(t *testing.T, profile string) (*fixture, *time.Time) {
		f := newFixture(t)
		f.svc.RateProfile = profile
		now := time.Unix(1700000000, 0)
		f.api.limits = ratelimit.New(func() time.Time { return now })
		return f, &now
	}

	t.Run("Wechat", func(t *testing.T) {
		f, now := newLimited(t, pay.RateWechat)
		o := f.pay(t, direct, 1000)
		for i := range 6 {
			bm := f.serve(t, refundRequest(direct, direct.Mchid, failing(o, i)))
			wantErrCode(t, direct, signHMAC, bm, codeInvalidTransactionID)
		}
		bm := f.serve(t, refundRequest(direct, direct.Mchid, failing(o, 6)))
		wantErrCode(t, direct, signHMAC, bm, "FREQUENCY_LIMITED")
		// Until the failure bucket refills, a valid apply is refused too.
		bm = f.serve(t, refundRequest(direct, direct.Mchid, with(refundParams(o, "OK1", 100), "sign_type", signHMAC)))
		wantErrCode(t, direct, signHMAC, bm, "FREQUENCY_LIMITED")
		// The query is another API, with its own limits.
		bm = f.serve(t, request(direct, map[string]string{"transaction_id": o.ID}))
		if code := bm.GetString("err_code"); code == "FREQUENCY_LIMITED" {
			t.Errorf("refundquery after the apply's failure limit = %v, want no FREQUENCY_LIMITED", bm)
		}
		*now = now.Add(time.Second)
		bm = f.serve(t, refundRequest(direct, direct.Mchid, with(refundParams(o, "OK1", 100), "sign_type", signHMAC)))
		if bm.GetString("result_code") != "SUCCESS" {
			t.Errorf("apply a second later = %v, want result_code SUCCESS", bm)
		}
	})

	t.Run("Off", func(t *testing.T) {
		f, _ := newLimited(t, pay.RateOff)
		o := f.pay(t, direct, 1000)
		for i := range 20 {
			bm := f.serve(t, refundRequest(direct, direct.Mchid, failing(o, i)))
			wantErrCode(t, direct, signHMAC, bm, codeInvalidTransactionID)
		}
	})
}
