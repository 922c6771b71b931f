package sandbox_test

import (
	"math"
	"math/big"
	"net/http"
	"testing"
)

// FuzzCreateOrder_Amounts sends arbitrary totals and promotion amounts through the
// sandbox's JSON decoder and checks that every order it accepts has promotions that sum,
// exactly, to less than the total and a payer_total of what is left.
func FuzzCreateOrder_Amounts(f *testing.F) {
	f.Add(int64(1000), int64(200), int64(0), int64(0), false)
	f.Add(int64(1000), int64(math.MaxInt64), int64(math.MaxInt64), int64(0), false)
	f.Add(int64(1000), int64(math.MaxInt64), int64(1), int64(0), false)
	f.Add(int64(1000), int64(math.MaxInt64), int64(math.MaxInt64), int64(1002), true)
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64-1), int64(0), int64(1), true)
	s := newSandboxServer(f, nil)
	f.Fuzz(func(t *testing.T, total, a, b, payerTotal int64, withPayerTotal bool) {
		body := map[string]any{"mchid": directMchid, "total": total}
		var promotions []any
		for i, amount := range []int64{a, b} {
			if amount != 0 { // a zero leaves the promotion out, to try none, one and two
				promotions = append(promotions, map[string]any{"promotion_id": string(rune('1' + i)), "scope": "GLOBAL", "type": "COUPON", "amount": amount})
			}
		}
		if promotions != nil {
			body["promotions"] = promotions
		}
		if withPayerTotal {
			body["payer_total"] = payerTotal
		}
		var got struct {
			Total      int64 `json:"total"`
			PayerTotal int64 `json:"payer_total"`
			Promotions []struct {
				Amount int64 `json:"amount"`
			} `json:"promotions"`
		}
		if s.call(t, "POST", "/sandbox/v1/transactions", body, &got) != http.StatusOK {
			return
		}
		discount := new(big.Int)
		for _, p := range got.Promotions {
			if p.Amount < 1 {
				t.Fatalf("accepted %v with a promotion below 1 fen: %+v", body, got)
			}
			discount.Add(discount, big.NewInt(p.Amount))
		}
		left := new(big.Int).Sub(big.NewInt(total), discount)
		if got.Total != total || got.PayerTotal < 1 || left.Cmp(big.NewInt(got.PayerTotal)) != 0 {
			t.Errorf("accepted %v as total %d payer_total %d, want total %d payer_total %v ≥ 1", body, got.Total, got.PayerTotal, total, left)
		}
	})
}
