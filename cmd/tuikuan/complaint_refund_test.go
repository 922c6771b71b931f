package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/tuikuan/tuikuan/internal/identity"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// refundSettled refunds amount of m's order through wechatpay-go and settles it SUCCESS.
func (s *testServer) refundSettled(t *testing.T, m identity.MerchantCredential, o paidOrder, amount int64) {
	t.Helper()
	svc := refunddomestic.RefundsApiService{Client: s.wechatpayClient(t, m)}
	r, _, err := svc.Create(context.Background(), refunddomestic.CreateRequest{
		TransactionId: core.String(o.TransactionID), OutRefundNo: core.String(uniq("CR")),
		Amount: &refunddomestic.AmountReq{Refund: core.Int64(amount), Total: core.Int64(o.Total), Currency: core.String("CNY")},
	})
	if err != nil {
		t.Fatalf("refund %d of %s: %v", amount, o.TransactionID, err)
	}
	s.settleTo(t, *r.RefundId, "SUCCESS")
}

// advanceClock moves the sandbox's business clock on, so that what happens next is
// strictly later than what happened before.
func (s *testServer) advanceClock(t *testing.T, seconds int64) {
	t.Helper()
	if st := s.sandbox(t, "POST", "/sandbox/v1/clock", map[string]int64{"advance_seconds": seconds}, nil); st != http.StatusOK {
		t.Fatalf("advance the clock %d s: status %d", seconds, st)
	}
}

func approve(t *testing.T, c *wechat.ClientV3, id string) {
	t.Helper()
	up, err := c.V3ComplaintUpdateRefundProgress(context.Background(), id, make(gopay.BodyMap).Set("action", "APPROVE").Set("launch_refund_day", 0))
	noErr(t, "V3ComplaintUpdateRefundProgress APPROVE", up.Code, up.Error, err)
}

func wantState(t *testing.T, c *wechat.ClientV3, id, when, want string) {
	t.Helper()
	d, err := c.V3ComplaintDetail(context.Background(), id)
	noErr(t, "V3ComplaintDetail", d.Code, d.Error, err)
	if d.Response.ComplaintState != want {
		t.Errorf("complaint state %s = %s, want %s", when, d.Response.ComplaintState, want)
	}
}

// Ensure an approved refund complaint is PROCESSED exactly when the money the user asked
// for has arrived, following 更新退款审批结果: "传入“同意退款”后，需要额外调退款接口发起原路
// 退款。退款到账后，投诉单的状态将自动扭转为“处理完成”"
// (https://pay.weixin.qq.com/doc/v3/merchant/4012467256, the opening paragraphs). "退款到账"
// is read as the refunds that succeeded since the complaint reaching apply_refund_amount,
// or the order refunded in full: checked on APPROVE and on each refund's success.
func TestComplaint_ApprovedRefundArrives(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.gopayClient(t, m)
	complain := func(o paidOrder, asked int64) string {
		return s.complain(t, map[string]any{"transaction_id": o.TransactionID, "problem_type": "REFUND",
			"apply_refund_amount": asked, "complaint_detail": "要求退款"})
	}

	t.Run("RefundedBeforeApprove", func(t *testing.T) {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
		id := complain(o, 400)
		s.refundSettled(t, m, o, 400)
		wantState(t, c, id, "after the refund, before APPROVE", "PENDING")
		approve(t, c, id)
		wantState(t, c, id, "after APPROVE of an already refunded complaint", "PROCESSED")
	})

	t.Run("PartialThenEnough", func(t *testing.T) {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
		id := complain(o, 600)
		approve(t, c, id)
		s.refundSettled(t, m, o, 200)
		wantState(t, c, id, "after 200 of the 600 asked", "PROCESSING")
		s.refundSettled(t, m, o, 400)
		wantState(t, c, id, "after 600 of the 600 asked", "PROCESSED")
	})

	t.Run("RefundsBeforeTheComplaintDoNotCount", func(t *testing.T) {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
		s.refundSettled(t, m, o, 500)
		s.advanceClock(t, 60)
		id := complain(o, 300)
		approve(t, c, id)
		wantState(t, c, id, "after APPROVE with only an earlier refund of 500", "PROCESSING")
		s.refundSettled(t, m, o, 300)
		wantState(t, c, id, "after 300 of the 300 asked", "PROCESSED")
	})

	t.Run("FullyRefundedBeforeTheComplaint", func(t *testing.T) {
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 1000})
		s.refundSettled(t, m, o, 1000)
		s.advanceClock(t, 60)
		id := complain(o, 1000)
		approve(t, c, id)
		wantState(t, c, id, "after APPROVE of a fully refunded order", "PROCESSED")
	})
}
