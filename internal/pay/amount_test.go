package pay_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// FuzzApplyRequest_From feeds arbitrary amounts to amount.from and checks that a request
// Validate accepts has positive amounts whose exact sum is the refund.
func FuzzApplyRequest_From(f *testing.F) {
	f.Add(int64(100), int64(60), int64(40), int64(0))
	f.Add(int64(5), int64(math.MaxInt64), int64(math.MaxInt64), int64(7))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64-1), int64(1), int64(0))
	f.Add(int64(-1), int64(math.MinInt64), int64(math.MaxInt64), int64(0))
	f.Fuzz(func(t *testing.T, refundAmount, a, b, c int64) {
		q := domesticRequest()
		q.Refund = refundAmount
		for _, amount := range []int64{a, b, c} {
			if amount != 0 { // a zero leaves the item out, to try one, two and three items
				q.From = append(q.From, pay.FundsFrom{Account: "AVAILABLE", Amount: amount})
			}
		}
		if q.Validate() != nil {
			return
		}
		sum := new(big.Int)
		for _, f := range q.From {
			if f.Amount < 1 {
				t.Fatalf("Validate accepted amount.from %v with an amount below 1", q.From)
			}
			sum.Add(sum, big.NewInt(f.Amount))
		}
		if q.From != nil && sum.Cmp(big.NewInt(q.Refund)) != 0 {
			t.Errorf("Validate accepted amount.from %v summing to %v for refund %d", q.From, sum, q.Refund)
		}
	})
}
