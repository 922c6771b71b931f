package main

import (
	"context"
	"testing"

	"github.com/go-pay/gopay/wechat"
)

// Ensure gopay's QueryRefund of an order paid more than a year and a half ago finds its
// refunds only by transaction_id alone or with refund_id, and gets PARAM_ERROR otherwise,
// following 查询退款: "如果该订单支付时间超过一年半，需单独使用微信订单号查询或者同时使用微信
// 订单号和微信退款单号查询" (https://pay.weixin.qq.com/doc/v2/merchant/4011939577, 应用场景,
// 注意 2). The age is the sandbox clock's, advanced past 18 months.
func TestV2_QueryRefundOfArchivedOrder(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	no := uniq("A")
	r, _, err := c.Refund(ctx, v2RefundBody(o, no, 300, wechat.SignType_MD5))
	if err != nil || r.ResultCode != "SUCCESS" {
		t.Fatalf("Refund = %+v, %v", r, err)
	}
	st := wechat.SignType_HMAC_SHA256
	query := func(kv ...string) *wechat.QueryRefundResponse {
		t.Helper()
		q, bm, err := c.QueryRefund(ctx, v2QueryBody(st, kv...))
		if err != nil {
			t.Fatalf("QueryRefund(%v): %v", kv, err)
		}
		v2Verify(t, m, st, bm)
		if q.ResultCode == "FAIL" {
			v2ErrCode(t, m, st, bm, "PARAM_ERROR")
		}
		return q
	}

	const day = 24 * 3600
	// 546 days is the shortest 18 months (a year and 181 days); 540 is short of any.
	s.advanceClock(t, 540*day)
	if q := query("out_trade_no", o.OutTradeNo); q.ResultCode != "SUCCESS" || q.RefundId0 != r.RefundId {
		t.Errorf("QueryRefund by out_trade_no at 540 days = %+v, want the refund", q)
	}
	s.advanceClock(t, 10*day)

	refused := [][]string{
		{"out_trade_no", o.OutTradeNo},
		{"out_refund_no", no},
		{"refund_id", r.RefundId},
		{"transaction_id", o.TransactionID, "out_trade_no", o.OutTradeNo},
		{"transaction_id", o.TransactionID, "out_refund_no", no},
	}
	for _, kv := range refused {
		if q := query(kv...); q.ResultCode != "FAIL" {
			t.Errorf("QueryRefund(%v) at 550 days = %+v, want PARAM_ERROR", kv, q)
		}
	}
	allowed := [][]string{
		{"transaction_id", o.TransactionID},
		{"transaction_id", o.TransactionID, "refund_id", r.RefundId},
	}
	for _, kv := range allowed {
		if q := query(kv...); q.ResultCode != "SUCCESS" || q.RefundId0 != r.RefundId || q.OutRefundNo0 != no {
			t.Errorf("QueryRefund(%v) at 550 days = %+v, want the refund", kv, q)
		}
	}
}

// Ensure the archive rule follows the order's age, not the refund's: a refund made a
// year after its payment, queried by its number half a year later, is refused, though
// the refund itself is six months old.
func TestV2_QueryLateRefundOfArchivedOrder(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "https", true)
	ctx := context.Background()
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
	const day = 24 * 3600
	s.advanceClock(t, 360*day)
	no := uniq("L")
	r, _, err := c.Refund(ctx, v2RefundBody(o, no, 300, wechat.SignType_MD5))
	if err != nil || r.ResultCode != "SUCCESS" {
		t.Fatalf("Refund at 360 days = %+v, %v", r, err)
	}
	st := wechat.SignType_HMAC_SHA256
	s.advanceClock(t, 190*day)
	for _, kv := range [][]string{{"out_refund_no", no}, {"refund_id", r.RefundId}} {
		q, bm, err := c.QueryRefund(ctx, v2QueryBody(st, kv...))
		if err != nil {
			t.Fatalf("QueryRefund(%v): %v", kv, err)
		}
		if q.ResultCode != "FAIL" {
			t.Errorf("QueryRefund(%v) of an order paid 550 days ago = %+v, want PARAM_ERROR", kv, q)
			continue
		}
		v2ErrCode(t, m, st, bm, "PARAM_ERROR")
	}
}
