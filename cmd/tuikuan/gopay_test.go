package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/pkg/xhttp"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// gopayClient is go-pay's APIv3 client for m, sent to the test server with SetProxyHost
// (docs/wire.md#hosts) and verifying every 200 with the platform public key: without
// AutoVerifySign* gopay checks nothing (docs/wire.md#answer-signatures).
func (s *testServer) gopayClient(t testing.TB, m identity.MerchantCredential) *wechat.ClientV3 {
	t.Helper()
	key, err := os.ReadFile(s.path(m.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := wechat.NewClientV3(m.Mchid, m.CertSerial, m.APIv3Key, string(key))
	if err != nil {
		t.Fatalf("NewClientV3: %v", err)
	}
	c.SetProxyHost(s.base)
	c.SetHttpClient(xhttp.NewClient().SetTransport(s.transport))
	pub, err := os.ReadFile(s.path(s.creds.Platform.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AutoVerifySignByPublicKey(pub, s.creds.Platform.PublicKeyID); err != nil {
		t.Fatalf("AutoVerifySignByPublicKey: %v", err)
	}
	return c
}

// ecommerceBody is the e-commerce refund apply's request for refunding o, a
// sub-merchant's order, by transaction_id (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml).
func ecommerceBody(partner, sub identity.MerchantCredential, o paidOrder, outRefundNo string, refund, total int64) gopay.BodyMap {
	bm := make(gopay.BodyMap)
	bm.Set("sub_mchid", sub.Mchid).
		Set("sp_appid", partner.Appid).
		Set("transaction_id", o.TransactionID).
		Set("out_refund_no", outRefundNo).
		Set("reason", "商品已售完").
		Set("notify_url", "http://127.0.0.1:1/notify"). // loopback: tests never reach out
		SetBodyMap("amount", func(b gopay.BodyMap) {
			b.Set("refund", refund).Set("total", total).Set("currency", "CNY")
		})
	return bm
}

func subMchid(sub identity.MerchantCredential) gopay.BodyMap {
	return make(gopay.BodyMap).Set("sub_mchid", sub.Mchid)
}

// mustTime parses an RFC3339 time field the way a strict client would
// (docs/wire.md#times).
func mustTime(t *testing.T, field, v string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatalf("%s = %q, want RFC3339: %v", field, v, err)
	}
	return tm
}

// Ensure gopay's e-commerce refund apply, as a platform acting for its sub-merchant,
// gets the answer the e-commerce refund apply documents, signed so that gopay's verification passes.
func TestGopay_EcommerceRefund(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, partner)
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})

	no := uniq("E")
	rsp, err := c.V3EcommerceRefund(context.Background(), ecommerceBody(partner, sub, o, no, 300, 1000))
	if err != nil {
		t.Fatalf("V3EcommerceRefund: %v", err)
	}
	if rsp.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund Code = %d, want 0: %s", rsp.Code, rsp.Error)
	}
	got := rsp.Response
	if got.RefundId == "" {
		t.Error("V3EcommerceRefund refund_id is empty")
	}
	created := mustTime(t, "create_time", got.CreateTime)
	if d := time.Since(created); d < -time.Minute || d > time.Minute {
		t.Errorf("V3EcommerceRefund create_time = %s, want about now", got.CreateTime)
	}
	want := &wechat.EcommerceRefund{
		RefundId:      got.RefundId,
		OutRefundNo:   no,
		CreateTime:    got.CreateTime,
		RefundAccount: "REFUND_SOURCE_SUB_MERCHANT",
		Amount:        &wechat.EcommerceRefundAmount{Refund: 300, PayerRefund: 300, DiscountRefund: 0, Currency: "CNY"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("V3EcommerceRefund mismatch (-want +got):\n%s", diff)
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 300 {
		t.Errorf("order refunded = %d, want 300", got)
	}
}

// Ensure a refund of an order paid partly with a coupon splits in proportion: 1000 with a
// 200 COUPON, refund 500 → payer_refund 400, discount_refund 100 (README.md, Refund rules).
func TestGopay_EcommerceRefundPromotion(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, partner)
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000,
		"promotions": []map[string]any{{"promotion_id": "109519", "scope": "GLOBAL", "type": "COUPON", "amount": 200}}})

	rsp, err := c.V3EcommerceRefund(context.Background(), ecommerceBody(partner, sub, o, uniq("P"), 500, 1000))
	if err != nil {
		t.Fatalf("V3EcommerceRefund: %v", err)
	}
	if rsp.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund Code = %d, want 0: %s", rsp.Code, rsp.Error)
	}
	wantAmount := &wechat.EcommerceRefundAmount{Refund: 500, PayerRefund: 400, DiscountRefund: 100, Currency: "CNY"}
	if diff := cmp.Diff(wantAmount, rsp.Response.Amount); diff != "" {
		t.Errorf("V3EcommerceRefund amount mismatch (-want +got):\n%s", diff)
	}
	wantPromotions := []*wechat.PromotionDetailItem{
		{PromotionId: "109519", Scope: "GLOBAL", Type: "COUPON", Amount: 200, RefundAmount: 100},
	}
	if diff := cmp.Diff(wantPromotions, rsp.Response.PromotionDetail); diff != "" {
		t.Errorf("V3EcommerceRefund promotion_detail mismatch (-want +got):\n%s", diff)
	}
}

// fundsAccounts are the funds_account values of a refund answer (申请退款, 应答参数,
// https://pay.weixin.qq.com/doc/v3/merchant/4012556457).
var fundsAccounts = []string{"UNSETTLED", "AVAILABLE", "UNAVAILABLE", "OPERATION", "BASIC", "ECNY_BASIC"}

// Ensure both e-commerce queries answer the refund as gopay models it, success_time only
// once it succeeded.
func TestGopay_EcommerceRefundQuery(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, partner)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})
	// By out_trade_no this time, the other way the e-commerce apply names the order.
	bm := ecommerceBody(partner, sub, o, uniq("Q"), 1000, 1000)
	bm.Remove("transaction_id")
	bm.Set("out_trade_no", o.OutTradeNo)
	created, err := c.V3EcommerceRefund(ctx, bm)
	if err != nil {
		t.Fatalf("V3EcommerceRefund: %v", err)
	}
	if created.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund Code = %d, want 0: %s", created.Code, created.Error)
	}
	r := created.Response

	query := func(t *testing.T) (byID, byNo *wechat.EcommerceRefundQuery) {
		t.Helper()
		rsp, err := c.V3EcommerceRefundQueryById(ctx, r.RefundId, subMchid(sub))
		if err != nil {
			t.Fatalf("V3EcommerceRefundQueryById(%s): %v", r.RefundId, err)
		}
		if rsp.Code != wechat.Success {
			t.Fatalf("V3EcommerceRefundQueryById(%s) Code = %d, want 0: %s", r.RefundId, rsp.Code, rsp.Error)
		}
		byID = rsp.Response
		rsp, err = c.V3EcommerceRefundQueryByNo(ctx, r.OutRefundNo, subMchid(sub))
		if err != nil {
			t.Fatalf("V3EcommerceRefundQueryByNo(%s): %v", r.OutRefundNo, err)
		}
		if rsp.Code != wechat.Success {
			t.Fatalf("V3EcommerceRefundQueryByNo(%s) Code = %d, want 0: %s", r.OutRefundNo, rsp.Code, rsp.Error)
		}
		byNo = rsp.Response
		if diff := cmp.Diff(byID, byNo); diff != "" {
			t.Errorf("query by id and by out_refund_no differ (-id +no):\n%s", diff)
		}
		if !slices.Contains(fundsAccounts, byID.FundsAccount) {
			t.Errorf("V3EcommerceRefundQueryById funds_account = %q, want one of %v", byID.FundsAccount, fundsAccounts)
		}
		return byID, byNo
	}
	want := &wechat.EcommerceRefundQuery{
		RefundId:            r.RefundId,
		OutRefundNo:         r.OutRefundNo,
		TransactionId:       o.TransactionID,
		OutTradeNo:          o.OutTradeNo,
		Channel:             "ORIGINAL",
		UserReceivedAccount: "支付用户零钱",
		CreateTime:          r.CreateTime,
		Status:              "PROCESSING",
		RefundAccount:       "REFUND_SOURCE_SUB_MERCHANT",
		Amount:              &wechat.EcommerceRefundAmount{Refund: 1000, PayerRefund: 1000, Currency: "CNY"},
	}

	t.Run("Processing", func(t *testing.T) {
		got, _ := query(t)
		want.FundsAccount = got.FundsAccount
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("V3EcommerceRefundQueryById mismatch (-want +got):\n%s", diff)
		}
	})

	if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+r.RefundId+"/settle", map[string]string{"status": "SUCCESS"}, nil); st != http.StatusOK {
		t.Fatalf("settle %s: status %d", r.RefundId, st)
	}

	t.Run("Success", func(t *testing.T) {
		got, _ := query(t)
		if got.SuccessTime == "" {
			t.Fatal("V3EcommerceRefundQueryById success_time is empty after SUCCESS")
		}
		if mustTime(t, "success_time", got.SuccessTime).Before(mustTime(t, "create_time", got.CreateTime)) {
			t.Errorf("success_time %s is before create_time %s", got.SuccessTime, got.CreateTime)
		}
		want.Status, want.SuccessTime, want.FundsAccount = "SUCCESS", got.SuccessTime, got.FundsAccount
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("V3EcommerceRefundQueryById mismatch (-want +got):\n%s", diff)
		}
	})
}

// Ensure the same out_refund_no with the same content is the same refund, and refunds
// once ("同一退款单号多次请求只退一笔", https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml).
func TestGopay_EcommerceRefundReplay(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, partner)
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})
	no := uniq("R")
	var ids []string
	for range 2 {
		rsp, err := c.V3EcommerceRefund(context.Background(), ecommerceBody(partner, sub, o, no, 400, 1000))
		if err != nil {
			t.Fatalf("V3EcommerceRefund(%s): %v", no, err)
		}
		if rsp.Code != wechat.Success {
			t.Fatalf("V3EcommerceRefund(%s) Code = %d, want 0: %s", no, rsp.Code, rsp.Error)
		}
		ids = append(ids, rsp.Response.RefundId)
	}
	if ids[1] != ids[0] {
		t.Errorf("V3EcommerceRefund replay refund_id = %s, want %s", ids[1], ids[0])
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 400 {
		t.Errorf("order refunded = %d, want 400", got)
	}
}

// Ensure the e-commerce apply's errors reach gopay as its error table says: Code is the
// HTTP status, ErrResponse the envelope (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml).
func TestGopay_EcommerceRefundErrors(t *testing.T) {
	s := startServer(t)
	partner, sub, direct := s.merchant(t, "partner"), s.merchant(t, "sub"), s.merchant(t, "direct")
	pc, dc := s.gopayClient(t, partner), s.gopayClient(t, direct)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})
	first := uniq("F")
	rsp, err := pc.V3EcommerceRefund(ctx, ecommerceBody(partner, sub, o, first, 600, 1000))
	if err != nil {
		t.Fatalf("V3EcommerceRefund: %v", err)
	}
	if rsp.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund Code = %d, want 0: %s", rsp.Code, rsp.Error)
	}
	body := func(edit func(bm gopay.BodyMap)) gopay.BodyMap {
		bm := ecommerceBody(partner, sub, o, uniq("X"), 100, 1000)
		edit(bm)
		return bm
	}

	tests := []struct {
		name    string
		client  *wechat.ClientV3
		body    gopay.BodyMap
		status  int
		code    string
		message string // checked when set
		field   string // detail.field, checked when set
	}{
		{"OverRefund", pc, body(func(bm gopay.BodyMap) {
			bm.SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("refund", 401).Set("total", 1000).Set("currency", "CNY") })
		}), 400, "INVALID_REQUEST", "申请退款金额超过订单可退金额", ""},
		{"ReplayOtherAmount", pc, body(func(bm gopay.BodyMap) {
			bm.Set("out_refund_no", first)
		}), 400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试", ""},
		{"UnknownOrder", pc, body(func(bm gopay.BodyMap) {
			bm.Remove("transaction_id")
			bm.Set("out_trade_no", "NO-SUCH-ORDER")
		}), 404, "RESOURCE_NOT_EXISTS", "", ""},
		{"MissingSpAppid", pc, body(func(bm gopay.BodyMap) {
			bm.Remove("sp_appid")
		}), 400, "PARAM_ERROR", "", "sp_appid"},
		{"WrongSpAppid", pc, body(func(bm gopay.BodyMap) {
			bm.Set("sp_appid", "wx8888888888888888")
		}), 400, "INVALID_REQUEST", "", ""},
		{"UnknownSubMchid", pc, body(func(bm gopay.BodyMap) {
			bm.Set("sub_mchid", "1900000109")
		}), 400, "MCH_NOT_EXISTS", "", ""},
		{"DirectMerchant", dc, body(func(gopay.BodyMap) {}), 403, "NO_AUTH", "", ""},
		{"UnknownField", pc, body(func(bm gopay.BodyMap) {
			bm.Set("refund_fee", 100)
		}), 400, "PARAM_ERROR", "", "refund_fee"},
		{"RefundAsString", pc, body(func(bm gopay.BodyMap) {
			bm.SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("refund", "100").Set("total", 1000).Set("currency", "CNY") })
		}), 400, "PARAM_ERROR", "", "amount.refund"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rsp, err := tt.client.V3EcommerceRefund(ctx, tt.body)
			if err != nil {
				t.Fatalf("V3EcommerceRefund error = %v, want nil (gopay reports API errors in Code)", err)
			}
			if rsp.Code != tt.status || rsp.ErrResponse.Code != tt.code {
				t.Errorf("V3EcommerceRefund = %d %s, want %d %s: %s", rsp.Code, rsp.ErrResponse.Code, tt.status, tt.code, rsp.Error)
			}
			if rsp.ErrResponse.Message == "" {
				t.Errorf("V3EcommerceRefund message is empty: %s", rsp.Error)
			}
			if tt.message != "" && rsp.ErrResponse.Message != tt.message {
				t.Errorf("V3EcommerceRefund message = %q, want %q", rsp.ErrResponse.Message, tt.message)
			}
			if tt.field != "" && rsp.ErrResponse.Detail.Field != tt.field {
				t.Errorf("V3EcommerceRefund detail.field = %q, want %q: %s", rsp.ErrResponse.Detail.Field, tt.field, rsp.Error)
			}
		})
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 600 {
		t.Errorf("order refunded = %d after refused refunds, want 600", got)
	}
}

// Ensure gopay's domestic refund apply and query work for a direct merchant, with an
// out_refund_no that gopay signs unescaped but Go sends escaped
// (docs/wire.md#request-signatures).
func TestGopay_DomesticRefundQuery(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})

	no := uniq("G|*")
	bm := make(gopay.BodyMap).
		Set("out_trade_no", o.OutTradeNo).
		Set("out_refund_no", no).
		SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("refund", 250).Set("total", 1000).Set("currency", "CNY") })
	created, err := c.V3Refund(ctx, bm)
	if err != nil {
		t.Fatalf("V3Refund: %v", err)
	}
	if created.Code != wechat.Success {
		t.Fatalf("V3Refund Code = %d, want 0: %s", created.Code, created.Error)
	}

	rsp, err := c.V3RefundQuery(ctx, no, nil)
	if err != nil {
		t.Fatalf("V3RefundQuery(%s): %v", no, err)
	}
	if rsp.Code != wechat.Success {
		t.Fatalf("V3RefundQuery(%s) Code = %d, want 0: %s", no, rsp.Code, rsp.Error)
	}
	got := rsp.Response
	mustTime(t, "create_time", got.CreateTime)
	if !slices.Contains(fundsAccounts, got.FundsAccount) {
		t.Errorf("V3RefundQuery funds_account = %q, want one of %v", got.FundsAccount, fundsAccounts)
	}
	want := &wechat.RefundQueryResponse{
		RefundId:            created.Response.RefundId,
		OutRefundNo:         no,
		TransactionId:       o.TransactionID,
		OutTradeNo:          o.OutTradeNo,
		Channel:             "ORIGINAL",
		UserReceivedAccount: "支付用户零钱",
		CreateTime:          created.Response.CreateTime,
		Status:              "PROCESSING",
		FundsAccount:        got.FundsAccount,
		Amount: &wechat.RefundOrderAmount{
			Total: 1000, Refund: 250, PayerTotal: 1000, PayerRefund: 250,
			SettlementRefund: 250, SettlementTotal: 1000, Currency: "CNY",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("V3RefundQuery mismatch (-want +got):\n%s", diff)
	}

	rsp, err = c.V3RefundQuery(ctx, "NOPE", nil)
	if err != nil {
		t.Fatalf("V3RefundQuery(NOPE): %v", err)
	}
	if rsp.Code != http.StatusNotFound || rsp.ErrResponse.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("V3RefundQuery(NOPE) = %d %s, want 404 RESOURCE_NOT_EXISTS", rsp.Code, rsp.ErrResponse.Code)
	}
}

// Ensure gopayClient's verification is live, so the passing tests above mean the answers
// were signed: the same call with another key under the same id must fail.
func TestGopay_VerifiesSignature(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	bm := make(gopay.BodyMap).
		Set("transaction_id", o.TransactionID).
		Set("out_refund_no", "V-1").
		SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("refund", 100).Set("total", 100).Set("currency", "CNY") })
	if _, err := c.V3Refund(context.Background(), bm); err != nil {
		t.Fatalf("V3Refund: %v", err)
	}

	other, err := wxcrypto.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := wxcrypto.EncodePublicKey(&other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AutoVerifySignByPublicKey(pub, s.creds.Platform.PublicKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.V3RefundQuery(context.Background(), "V-1", nil); !errors.Is(err, gopay.VerifySignatureErr) {
		t.Errorf("V3RefundQuery with the wrong platform key error = %v, want %v", err, gopay.VerifySignatureErr)
	}
}
