package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/tuikuan/tuikuan/internal/storetest"
)

// refundsPerOrder is the most partial refunds one order takes (申请退款, https://pay.weixin.qq.com/doc/v3/merchant/4012556457),
// so a benchmark spreads its b.N refunds of 1 fen over orders of that many fen.
const refundsPerOrder = 50

// benchOrders pays enough orders for n one-fen refunds.
func benchOrders(b *testing.B, s *testServer, mchid string, n int) []paidOrder {
	b.Helper()
	orders := make([]paidOrder, (n+refundsPerOrder-1)/refundsPerOrder)
	for i := range orders {
		orders[i] = s.pay(b, map[string]any{"mchid": mchid, "total": refundsPerOrder})
	}
	return orders
}

func benchRefund(ctx context.Context, svc refunddomestic.RefundsApiService, o paidOrder, no string) error {
	_, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID),
		OutRefundNo:   core.String(no),
		Amount:        &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(refundsPerOrder), Currency: core.String("CNY")},
	})
	return err
}

// BenchmarkRefundApply is one signed refund apply through the official SDK, end to end:
// signing, HTTP, signature check, the store's transaction, the signed answer and its
// verification.
func BenchmarkRefundApply(b *testing.B) {
	// Off: the default sandbox profile allows 150 refunds a second.
	s := startServer(b, "--rate-limit", "off")
	m := s.merchant(b, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(b, m)}
	orders := benchOrders(b, s, m.Mchid, b.N)
	ctx := context.Background()
	b.ResetTimer()
	// The client's signing and verifying count too: the server is in this process.
	defer storetest.ReportCPU(b)()
	for i := range b.N {
		if err := benchRefund(ctx, svc, orders[i/refundsPerOrder], fmt.Sprintf("B%d", i)); err != nil {
			b.Fatalf("Create(B%d): %v", i, err)
		}
	}
}

// BenchmarkRefundApplyParallel is BenchmarkRefundApply from GOMAXPROCS goroutines, which
// contend for the store and, 50 at a time, for one order.
func BenchmarkRefundApplyParallel(b *testing.B) {
	s := startServer(b, "--rate-limit", "off")
	m := s.merchant(b, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(b, m)}
	orders := benchOrders(b, s, m.Mchid, b.N)
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	defer storetest.ReportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if err := benchRefund(ctx, svc, orders[i/refundsPerOrder], fmt.Sprintf("P%d", i)); err != nil {
				b.Errorf("Create(P%d): %v", i, err)
				return
			}
		}
	})
}
