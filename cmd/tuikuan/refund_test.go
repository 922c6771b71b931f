package main

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Ensure the official SDK, in public-key mode, can apply for a refund and query it, and
// that the refund settles through the sandbox API.
func TestRefund_WechatpayGo(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})

	no := uniq("R")
	r, result, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID),
		OutRefundNo:   core.String(no),
		Reason:        core.String("商品已售完"),
		Amount:        &refunddomestic.AmountReq{Refund: core.Int64(300), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := result.Response.StatusCode; got != http.StatusOK {
		t.Errorf("status = %d, want 200", got)
	}
	if result.Response.Header.Get("Request-ID") == "" {
		t.Error("no Request-ID header")
	}
	if *r.Status != refunddomestic.STATUS_PROCESSING || *r.OutRefundNo != no || *r.OutTradeNo != o.OutTradeNo {
		t.Errorf("Create = status %s out_refund_no %s out_trade_no %s", *r.Status, *r.OutRefundNo, *r.OutTradeNo)
	}
	if *r.Amount.Refund != 300 || *r.Amount.Total != 1000 || *r.Amount.PayerRefund != 300 || *r.Amount.DiscountRefund != 0 {
		t.Errorf("amount = refund %d total %d payer_refund %d discount %d", *r.Amount.Refund, *r.Amount.Total, *r.Amount.PayerRefund, *r.Amount.DiscountRefund)
	}
	if r.SuccessTime != nil || r.CreateTime == nil {
		t.Errorf("success_time = %v, create_time = %v; want nil and set", r.SuccessTime, r.CreateTime)
	}
	if *r.UserReceivedAccount != "支付用户零钱" || *r.Channel != refunddomestic.CHANNEL_ORIGINAL {
		t.Errorf("account %q channel %s", *r.UserReceivedAccount, *r.Channel)
	}

	var settled map[string]any
	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+*r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, &settled); st != http.StatusOK {
		t.Fatalf("settle: status %d %v", st, settled)
	}
	q, _, err := svc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String(no)})
	if err != nil {
		t.Fatalf("QueryByOutRefundNo: %v", err)
	}
	if *q.Status != refunddomestic.STATUS_SUCCESS || q.SuccessTime == nil || *q.RefundId != *r.RefundId {
		t.Errorf("query = status %s success_time %v id %s", *q.Status, q.SuccessTime, *q.RefundId)
	}
}

// Ensure certificate mode works end to end: the SDK's downloader decrypts the platform
// certificate from /v3/certificates and verifies answers signed with its serial.
func TestRefund_WechatpayGoCertificateMode(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayCertClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 500})
	r, result, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		OutTradeNo:  core.String(o.OutTradeNo),
		OutRefundNo: core.String(uniq("C")),
		Amount:      &refunddomestic.AmountReq{Refund: core.Int64(500), Total: core.Int64(500), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got, want := result.Response.Header.Get("Wechatpay-Serial"), s.creds.Platform.CertSerial; got != want {
		t.Errorf("Wechatpay-Serial = %q, want the certificate serial %q", got, want)
	}
	if *r.Amount.Refund != 500 {
		t.Errorf("refund = %d", *r.Amount.Refund)
	}
}

// Ensure a replay returns the same refund, and the rules of money answer with the real
// service's codes.
func TestRefund_Rules(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	create := func(no string, refund, total int64) (*refunddomestic.Refund, error) {
		r, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
			TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(no),
			Amount: &refunddomestic.AmountReq{Refund: core.Int64(refund), Total: core.Int64(total), Currency: core.String("CNY")},
		})
		return r, err
	}
	first, err := create("R-1", 600, 1000)
	if err != nil {
		t.Fatal(err)
	}
	again, err := create("R-1", 600, 1000)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if *again.RefundId != *first.RefundId {
		t.Errorf("replay refund_id = %s, want %s", *again.RefundId, *first.RefundId)
	}

	tests := []struct {
		name          string
		no            string
		refund, total int64
		status        int
		code, message string
	}{
		{"ReplayOtherAmount", "R-1", 500, 1000, 400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试"},
		{"OverRefund", "R-2", 401, 1000, 400, "INVALID_REQUEST", "申请退款金额超过订单可退金额"},
		{"TotalMismatch", "R-3", 100, 999, 400, "INVALID_REQUEST", ""},
		{"ZeroRefund", "R-4", 0, 1000, 400, "PARAM_ERROR", ""},
		{"BadRefundNo", "R#5", 100, 1000, 400, "PARAM_ERROR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := create(tt.no, tt.refund, tt.total)
			ae := apiError(t, err)
			if ae.StatusCode != tt.status || ae.Code != tt.code {
				t.Errorf("Create = %d %s %q, want %d %s", ae.StatusCode, ae.Code, ae.Message, tt.status, tt.code)
			}
			if tt.message != "" && ae.Message != tt.message {
				t.Errorf("message = %q, want %q", ae.Message, tt.message)
			}
		})
	}

	if _, err := create("R-6", 400, 1000); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	_, err = create("R-7", 1, 1000)
	if ae := apiError(t, err); ae.Code != "INVALID_REQUEST" {
		t.Errorf("refund of a fully refunded order = %s %q", ae.Code, ae.Message)
	}

	_, _, err = svc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("NOPE")})
	if ae := apiError(t, err); ae.StatusCode != 404 || ae.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("query of an unknown refund = %d %s", ae.StatusCode, ae.Code)
	}
	_, _, err = svc.Create(ctx, refunddomestic.CreateRequest{
		OutTradeNo: core.String("NO-SUCH-ORDER"), OutRefundNo: core.String("R-8"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(1), Currency: core.String("CNY")},
	})
	if ae := apiError(t, err); ae.StatusCode != 404 || ae.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("refund of an unknown order = %d %s", ae.StatusCode, ae.Code)
	}
}

// Ensure a merchant sees neither another merchant's orders nor its refunds, and a partner
// refunds its sub-merchant's orders with sub_mchid.
func TestRefund_Visibility(t *testing.T) {
	s := startServer(t)
	direct, partner, sub := s.merchant(t, "direct"), s.merchant(t, "partner"), s.merchant(t, "sub")
	ctx := context.Background()
	directSvc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, direct)}
	partnerSvc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, partner)}

	subOrder := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 100})
	_, _, err := directSvc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(subOrder.TransactionID), OutRefundNo: core.String("V-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(100), Currency: core.String("CNY")},
	})
	if ae := apiError(t, err); ae.StatusCode != 404 {
		t.Errorf("direct merchant refunding a sub-merchant's order = %d %s, want 404", ae.StatusCode, ae.Code)
	}
	r, _, err := partnerSvc.Create(ctx, refunddomestic.CreateRequest{
		SubMchid: core.String(sub.Mchid), TransactionId: core.String(subOrder.TransactionID), OutRefundNo: core.String("V-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(1), Total: core.Int64(100), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("partner refund: %v", err)
	}
	if _, _, err := partnerSvc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: r.OutRefundNo, SubMchid: core.String(sub.Mchid)}); err != nil {
		t.Errorf("partner query: %v", err)
	}
	_, _, err = directSvc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: r.OutRefundNo})
	if ae := apiError(t, err); ae.StatusCode != 404 {
		t.Errorf("direct merchant querying the partner's refund = %d %s, want 404", ae.StatusCode, ae.Code)
	}
	_, _, err = partnerSvc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: r.OutRefundNo})
	if ae := apiError(t, err); ae.StatusCode != 400 || ae.Code != "PARAM_ERROR" {
		t.Errorf("partner query without sub_mchid = %d %s, want 400 PARAM_ERROR", ae.StatusCode, ae.Code)
	}
}

// Ensure promotions refund in proportion: paid 1000 with a 200 coupon, refunded 500,
// gives payer_refund 400 and discount_refund 100.
func TestRefund_Promotions(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000,
		"promotions": []map[string]any{{"promotion_id": "109519", "scope": "GLOBAL", "type": "COUPON", "amount": 200}}})
	if o.PayerTotal != 800 {
		t.Fatalf("payer_total = %d, want 800", o.PayerTotal)
	}
	r, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String("P-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(500), Total: core.Int64(1000), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *r.Amount.PayerRefund != 400 || *r.Amount.DiscountRefund != 100 || *r.Amount.PayerTotal != 800 {
		t.Errorf("amount = payer_refund %d discount_refund %d payer_total %d", *r.Amount.PayerRefund, *r.Amount.DiscountRefund, *r.Amount.PayerTotal)
	}
	if len(r.PromotionDetail) != 1 || *r.PromotionDetail[0].RefundAmount != 100 || *r.PromotionDetail[0].PromotionId != "109519" {
		t.Errorf("promotion_detail = %+v", r.PromotionDetail)
	}
}

// Ensure 40 concurrent refunds of one order never take more than was paid and are never
// answered with SYSTEM_ERROR for contention.
func TestRefund_Concurrent(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int64
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
				TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("K") + "-" + string(rune('a'+i%26))),
				Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(1000), Currency: core.String("CNY")},
			})
			if err != nil {
				if ae := apiError(t, err); ae.Code != "INVALID_REQUEST" {
					t.Errorf("concurrent refund: %d %s %s", ae.StatusCode, ae.Code, ae.Message)
				}
				return
			}
			mu.Lock()
			accepted += 100
			mu.Unlock()
		}()
	}
	wg.Wait()
	if accepted != 1000 {
		t.Errorf("accepted %d fen of refunds, want exactly 1000", accepted)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != accepted {
		t.Errorf("order refunded = %d, want %d", got, accepted)
	}
}

// Ensure the data survives a restart on the same data dir.
func TestServe_Restart(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String("S-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(100), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.stop()
	s2 := startServerIn(t, dir)
	if s2.creds.Platform.PublicKeyID != s.creds.Platform.PublicKeyID || s2.creds.Merchants[0].Mchid != s.creds.Merchants[0].Mchid {
		t.Fatal("identities changed across restart")
	}
	svc2 := refunddomestic.RefundsApiService{Client: s2.wechatpayClient(t, m)}
	q, _, err := svc2.QueryByOutRefundNo(context.Background(),
		refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("S-1")})
	if err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	if *q.RefundId != *r.RefundId {
		t.Errorf("refund_id = %s, want %s", *q.RefundId, *r.RefundId)
	}
}

// Ensure refunds settle by themselves after the configured delay, and that advancing the
// sandbox clock settles them at once.
func TestRefund_SettlesAfterDelay(t *testing.T) {
	s := startServer(t, "--settle-delay", "1h")
	m := s.merchant(t, "direct")
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	ctx := context.Background()
	if _, _, err := svc.Create(ctx, refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String("D-1"),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(100), Total: core.Int64(100), Currency: core.String("CNY")},
	}); err != nil {
		t.Fatal(err)
	}
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]any{"advance_seconds": 3600}, nil); st != 200 {
		t.Fatalf("advance clock: %d", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, _, err := svc.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{OutRefundNo: core.String("D-1")})
		if err != nil {
			t.Fatal(err)
		}
		if *q.Status == refunddomestic.STATUS_SUCCESS {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %s after advancing the clock past the settle delay", *q.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
