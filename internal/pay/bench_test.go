package pay_test

import (
	"fmt"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// BenchmarkService_Apply is Refunds.Apply alone on SQLite, with no HTTP and no signature:
// the work the store's single writer serialises. Each order, with two promotions, takes
// 50 refunds of 1 fen, the most one order takes, so later refunds of an order find many
// before them.
func BenchmarkService_Apply(b *testing.B) {
	svc := newService(b, pay.Simulated{})
	promos := []pay.Promotion{
		{PromotionID: "900001", Scope: "GLOBAL", Type: "COUPON", Amount: 10},
		{PromotionID: "900002", Scope: "SINGLE", Type: "DISCOUNT", Amount: 5},
	}
	orders := make([]*pay.Order, (b.N+49)/50)
	for i := range orders {
		orders[i] = mustPay(b, svc, directMchid, 50, promos...)
	}
	b.ResetTimer()
	defer storetest.ReportCPU(b)()
	for i := range b.N {
		if _, err := svc.Refunds.Apply(b.Context(), refundOf(orders[i/50], fmt.Sprintf("B%d", i), 1)); err != nil {
			b.Fatalf("Apply(B%d): %v", i, err)
		}
	}
}

// BenchmarkService_Query is Refunds.Query alone: the merchant lookups and one refund read.
func BenchmarkService_Query(b *testing.B) {
	svc := newService(b, pay.Simulated{})
	o := mustPay(b, svc, directMchid, 50)
	mustApply(b, svc, refundOf(o, "Q1", 1))
	b.ResetTimer()
	for range b.N {
		if _, err := svc.Refunds.Query(b.Context(), pay.APIDomestic, directMchid, "", "Q1"); err != nil {
			b.Fatalf("Query: %v", err)
		}
	}
}
