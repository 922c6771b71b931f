package main

import (
	"context"
	"math"
	"net/http"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Ensure amount.from amounts whose int64 sum wraps to the refund are refused, and that
// no refund is recorded.
func TestOverflow_RefundFrom(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})

	_, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID),
		OutRefundNo:   core.String(uniq("R")),
		Amount: &refunddomestic.AmountReq{
			Refund: core.Int64(5), Total: core.Int64(100), Currency: core.String("CNY"),
			From: []refunddomestic.FundsFromItem{
				{Account: refunddomestic.ACCOUNT_AVAILABLE.Ptr(), Amount: core.Int64(math.MaxInt64)},
				{Account: refunddomestic.ACCOUNT_AVAILABLE.Ptr(), Amount: core.Int64(math.MaxInt64)},
				{Account: refunddomestic.ACCOUNT_UNAVAILABLE.Ptr(), Amount: core.Int64(7)},
			},
		},
	})
	if err == nil {
		t.Fatal("Create with amount.from [MaxInt64, MaxInt64, 7] for 5 = nil error, want PARAM_ERROR")
	}
	if ae := apiError(t, err); ae.StatusCode != http.StatusBadRequest || ae.Code != "PARAM_ERROR" {
		t.Errorf("Create = %d %s %q, want 400 PARAM_ERROR", ae.StatusCode, ae.Code, ae.Message)
	}
	if got := s.order(t, o.TransactionID); got.Refunded != 0 || len(got.Refunds) != 0 {
		t.Errorf("order after refused refund: refunded %d, %d refunds; want 0, 0", got.Refunded, len(got.Refunds))
	}
}

// Ensure promotions whose int64 sum wraps below the order total are refused rather than
// making payer_total larger than the order.
func TestOverflow_SandboxPromotions(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	promo := func(id string, amount int64) map[string]any {
		return map[string]any{"promotion_id": id, "scope": "GLOBAL", "type": "COUPON", "amount": amount}
	}
	tests := []struct {
		name       string
		promotions []any
	}{
		{"TwoMax", []any{promo("1", math.MaxInt64), promo("2", math.MaxInt64)}},
		{"MaxPlusOne", []any{promo("1", math.MaxInt64), promo("2", 1)}},
		{"OneAboveTotal", []any{promo("1", 1001)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				Code, Message string
				PayerTotal    int64 `json:"payer_total"`
			}
			st := s.sandbox(t, "POST", "/sandbox/v1/transactions", map[string]any{"mchid": m.Mchid, "total": 1000, "promotions": tt.promotions}, &got)
			if st != http.StatusBadRequest || got.Code != "PARAM_ERROR" {
				t.Errorf("POST /sandbox/v1/transactions = %d %s %q payer_total %d, want 400 PARAM_ERROR", st, got.Code, got.Message, got.PayerTotal)
			}
		})
	}
}
