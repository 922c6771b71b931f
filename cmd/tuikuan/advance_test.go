package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// advanceRefund makes an e-commerce refund of 300 of a fresh order of sub through go-pay,
// as partner, advanced by the platform when advance is set, and settles it to status
// unless status is "".
func (s *testServer) advanceRefund(t *testing.T, partner, sub identity.MerchantCredential, advance bool, status string) *wechat.EcommerceRefund {
	t.Helper()
	o := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 1000})
	bm := ecommerceBody(partner, sub, o, uniq("AD"), 300, 1000)
	if advance {
		bm.Set("refund_account", "REFUND_SOURCE_PARTNER_ADVANCE")
	}
	rsp, err := s.gopayClient(t, partner).V3EcommerceRefund(context.Background(), bm)
	if err != nil || rsp.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefund = %+v, %v", rsp, err)
	}
	if status != "" {
		if st := s.sandbox(t, "POST", "/sandbox/v1/refunds/"+rsp.Response.RefundId+"/settle", map[string]string{"status": status}, nil); st != 200 {
			t.Fatalf("settle %s: %d", status, st)
		}
	}
	return rsp.Response
}

// callAdvance calls go-pay's return-advance POST or GET and fails the test on a
// transport error; the answer's Code tells success from a refusal.
func callAdvance(t *testing.T, call func(context.Context, string, gopay.BodyMap) (*wechat.EcommerceRefundAdvanceRsp, error), refundID string, sub gopay.BodyMap) *wechat.EcommerceRefundAdvanceRsp {
	t.Helper()
	rsp, err := call(context.Background(), refundID, sub)
	if err != nil {
		t.Fatalf("return-advance of %s: %v", refundID, err)
	}
	return rsp
}

// Ensure a platform gets back what it advanced for a refund, as
// https://pay.weixin.qq.com/docs/partner/apis/ecommerce-refund/refunds/create-return-advance.html
// and https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_5.shtml describe:
// nothing to query before the return, the sub-merchant pays the platform the refund's
// amount, a repeat answers the same return, and the query shows it.
func TestReturnAdvance(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	c := s.gopayClient(t, partner)
	r := s.advanceRefund(t, partner, sub, true, "SUCCESS")

	if q := callAdvance(t, c.V3EcommerceRefundAdvanceResult, r.RefundId, subMchid(sub)); q.Code != 404 || q.ErrResponse.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("query before any return = %d %s, want 404 RESOURCE_NOT_EXISTS", q.Code, q.ErrResponse.Code)
	}

	first := callAdvance(t, c.V3EcommerceRefundAdvance, r.RefundId, subMchid(sub))
	if first.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefundAdvance Code = %d: %s", first.Code, first.Error)
	}
	got := first.Response
	if !regexp.MustCompile(`^\d{28}$`).MatchString(got.AdvanceReturnId) {
		t.Errorf("advance_return_id = %q, want 28 digits", got.AdvanceReturnId)
	}
	if d := time.Since(mustTime(t, "success_time", got.SuccessTime)); d < -time.Minute || d > time.Minute {
		t.Errorf("success_time = %s, want about now", got.SuccessTime)
	}
	want := &wechat.EcommerceRefundAdvance{
		RefundId: r.RefundId, AdvanceReturnId: got.AdvanceReturnId, ReturnAmount: 300,
		PayerMchid: sub.Mchid, PayerAccount: "BASIC", PayeeMchid: partner.Mchid, PayeeAccount: "BASIC",
		Result: "SUCCESS", SuccessTime: got.SuccessTime,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("V3EcommerceRefundAdvance mismatch (-want +got):\n%s", diff)
	}

	again := callAdvance(t, c.V3EcommerceRefundAdvance, r.RefundId, subMchid(sub))
	if again.Code != wechat.Success {
		t.Fatalf("second V3EcommerceRefundAdvance Code = %d: %s", again.Code, again.Error)
	}
	if diff := cmp.Diff(want, again.Response); diff != "" {
		t.Errorf("second V3EcommerceRefundAdvance, want the same return (-want +got):\n%s", diff)
	}

	q := callAdvance(t, c.V3EcommerceRefundAdvanceResult, r.RefundId, subMchid(sub))
	if q.Code != wechat.Success {
		t.Fatalf("V3EcommerceRefundAdvanceResult Code = %d: %s", q.Code, q.Error)
	}
	if diff := cmp.Diff(want, q.Response); diff != "" {
		t.Errorf("V3EcommerceRefundAdvanceResult mismatch (-want +got):\n%s", diff)
	}
}

// Ensure return-advance refuses what
// https://pay.weixin.qq.com/docs/partner/apis/ecommerce-refund/refunds/create-return-advance.html
// does not allow — a refund that is not an advance one ("必须是垫付退款的微信退款单"), an
// advance not yet refunded, a sub-merchant that is not the caller's, a caller that is not a
// platform — and that the query
// (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_5.shtml) refuses alike.
func TestReturnAdvance_Refused(t *testing.T) {
	s := startServer(t)
	partner, sub, direct := s.merchant(t, "partner"), s.merchant(t, "sub"), s.merchant(t, "direct")
	ownFunds := s.advanceRefund(t, partner, sub, false, "SUCCESS")
	processing := s.advanceRefund(t, partner, sub, true, "")
	advanced := s.advanceRefund(t, partner, sub, true, "SUCCESS")

	tests := []struct {
		name     string
		caller   identity.MerchantCredential
		refundID string
		sub      gopay.BodyMap
		status   int
		code     string
		queried  bool // the query refuses it the same way
	}{
		{"NotAdvance", partner, ownFunds.RefundId, subMchid(sub), 400, "INVALID_REQUEST", true},
		{"NotYetRefunded", partner, processing.RefundId, subMchid(sub), 400, "INVALID_REQUEST", false},
		{"NotItsSubMchid", partner, advanced.RefundId, subMchid(direct), 403, "NO_AUTH", true},
		{"NoSubMchid", partner, advanced.RefundId, make(gopay.BodyMap), 400, "PARAM_ERROR", true},
		{"UnknownRefund", partner, "50300000000000000000000000000", subMchid(sub), 404, "RESOURCE_NOT_EXISTS", true},
		{"SubMerchantItself", sub, advanced.RefundId, subMchid(sub), 403, "NO_AUTH", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.gopayClient(t, tt.caller)
			if rsp := callAdvance(t, c.V3EcommerceRefundAdvance, tt.refundID, tt.sub); rsp.Code != tt.status || rsp.ErrResponse.Code != tt.code {
				t.Errorf("return-advance = %d %s %q, want %d %s", rsp.Code, rsp.ErrResponse.Code, rsp.ErrResponse.Message, tt.status, tt.code)
			}
			if !tt.queried {
				return
			}
			if rsp := callAdvance(t, c.V3EcommerceRefundAdvanceResult, tt.refundID, tt.sub); rsp.Code != tt.status || rsp.ErrResponse.Code != tt.code {
				t.Errorf("query return-advance = %d %s %q, want %d %s", rsp.Code, rsp.ErrResponse.Code, rsp.ErrResponse.Message, tt.status, tt.code)
			}
		})
	}
}

// Ensure the query's route, which ServeMux can only take as refunds/{refund_id}/{action},
// answers no other action: such a path is no API, as on any unknown path.
func TestReturnAdvance_OtherActionNotFound(t *testing.T) {
	s := startServer(t)
	partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
	r := s.advanceRefund(t, partner, sub, true, "SUCCESS")
	_, err := s.wechatpayClient(t, partner).Get(context.Background(),
		"https://api.mch.weixin.qq.com/v3/ecommerce/refunds/"+r.RefundId+"/return-advances?sub_mchid="+sub.Mchid)
	if ae := apiError(t, err); ae.StatusCode != 404 || ae.Code != "RESOURCE_NOT_EXISTS" {
		t.Errorf("GET …/return-advances = %d %s, want 404 RESOURCE_NOT_EXISTS", ae.StatusCode, ae.Code)
	}
}
