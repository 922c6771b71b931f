package pay_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// now0 is real time for every service under test; business time moves only through
// AdvanceClock. Whole milliseconds, as the store keeps them.
var now0 = time.Date(2025, 6, 1, 10, 0, 0, 0, pay.Beijing)

const (
	directMchid   = "1900000101"
	partnerMchid  = "1900000100"
	subMchid      = "1900000109" // acted for by partnerMchid
	otherPartner  = "1900000200"
	otherSubMchid = "1900000209" // acted for by otherPartner
	partnerAppid  = "wxd678efh567hg6787"
	subAppid      = "wx8888888888888888"
)

// cmpOpts forgive what the store may change: sub-millisecond times, zones, nil vs empty.
var cmpOpts = cmp.Options{cmpopts.EquateApproxTime(time.Millisecond), cmpopts.EquateEmpty()}

func mustOpenStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return storetest.NewSQLite(tb)
}

// newService returns a Service over a fresh store holding a direct merchant, two
// partners and a sub-merchant of each.
func newService(tb testing.TB, ch pay.Channel) *pay.Service {
	tb.Helper()
	svc, _ := newServiceStore(tb, ch)
	return svc
}

// newServiceStore is newService and its store, for a test that writes what the service
// would not.
func newServiceStore(tb testing.TB, ch pay.Channel) (*pay.Service, pay.Store) {
	tb.Helper()
	s := mustOpenStore(tb)
	merchant := func(mchid string, kind pay.Kind, sp, appid string) *pay.Merchant {
		return &pay.Merchant{
			Mchid: mchid, Kind: kind, SpMchid: sp, Appid: appid,
			CertSerial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", CertPEM: "dummy",
			APIv3Key: "0123456789abcdef0123456789abcdef", CreateTime: now0,
		}
	}
	ms := []*pay.Merchant{
		merchant(directMchid, pay.KindDirect, "", "wx1111111111111111"),
		merchant(partnerMchid, pay.KindPartner, "", partnerAppid),
		merchant(subMchid, pay.KindSub, partnerMchid, subAppid),
		merchant(otherPartner, pay.KindPartner, "", "wx2222222222222222"),
		merchant(otherSubMchid, pay.KindSub, otherPartner, "wx3333333333333333"),
	}
	storetest.Merchants(tb, s, ms...)
	return pay.NewService(s, ch, pay.NewClock(func() time.Time { return now0 })), s
}

// mustPay creates a paid order of mchid.
func mustPay(tb testing.TB, svc *pay.Service, mchid string, total int64, promos ...pay.Promotion) *pay.Order {
	tb.Helper()
	t, err := svc.Orders.Create(tb.Context(), pay.OrderRequest{Mchid: mchid, Total: total, Promotions: promos})
	if err != nil {
		tb.Fatalf("CreateOrder(%s, %d): %v", mchid, total, err)
	}
	return t
}

// refundOf is a domestic request refunding amount of t, made by t's merchant or, for a
// sub-merchant's order, by its partner.
func refundOf(t *pay.Order, outRefundNo string, amount int64) pay.ApplyRequest {
	q := pay.ApplyRequest{
		API: pay.APIDomestic, Caller: t.Mchid, TransactionID: t.ID,
		OutRefundNo: outRefundNo, Refund: amount, Total: t.Total, Currency: "CNY",
	}
	if t.SpMchid != "" {
		q.Caller, q.SubMchid = t.SpMchid, t.Mchid
	}
	return q
}

func mustApply(tb testing.TB, svc *pay.Service, q pay.ApplyRequest) *pay.Refund {
	tb.Helper()
	r, err := svc.Refunds.Apply(tb.Context(), q)
	if err != nil {
		tb.Fatalf("Apply(%s, %d) = %v, want nil", q.OutRefundNo, q.Refund, err)
	}
	return r
}

// wantError checks that err is a *pay.Error with code and, unless "", message.
func wantError(tb testing.TB, call string, err error, code, message string) *pay.Error {
	tb.Helper()
	var e *pay.Error
	if !errors.As(err, &e) {
		tb.Fatalf("%s = %v, want %s", call, err, code)
	}
	if e.Code != code {
		tb.Errorf("%s code = %q (%v), want %q", call, e.Code, err, code)
	}
	if message != "" && e.Message != message {
		tb.Errorf("%s message = %q, want %q", call, e.Message, message)
	}
	return e
}

func mustOrder(tb testing.TB, svc *pay.Service, id string) (*pay.Order, []*pay.Refund) {
	tb.Helper()
	t, rs, err := svc.Orders.Query(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Order(%s): %v", id, err)
	}
	return t, rs
}

func mustAdvance(tb testing.TB, svc *pay.Service, d time.Duration) {
	tb.Helper()
	if _, err := svc.Time.Advance(tb.Context(), d); err != nil {
		tb.Fatalf("AdvanceClock(%v): %v", d, err)
	}
}

var refundIDPattern = regexp.MustCompile(`^5030\d{25}$`)

func TestService_Apply(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		coupon := pay.Promotion{PromotionID: "109519", Scope: "GLOBAL", Type: "COUPON", Amount: 200}
		o := mustPay(t, svc, directMchid, 1000, coupon)
		q := refundOf(o, "R1|*@_-x", 500)
		q.Reason, q.NotifyURL, q.FundsAccount = "商品已售完", "https://weixin.qq.com/notify", "AVAILABLE"
		r := mustApply(t, svc, q)

		if !refundIDPattern.MatchString(r.ID) {
			t.Errorf("Apply refund_id = %q, want 5030 and 25 digits", r.ID)
		}
		want := &pay.Refund{
			ID: r.ID, OutRefundNo: "R1|*@_-x", Mchid: directMchid, TransactionID: o.ID, OutTradeNo: o.OutTradeNo,
			API: pay.APIDomestic, Reason: "商品已售完", NotifyURL: "https://weixin.qq.com/notify", FundsAccount: "AVAILABLE",
			Amount: pay.Amount{
				Refund: 500, Total: 1000, PayerTotal: 800, PayerRefund: 400,
				SettlementTotal: 1000, SettlementRefund: 500, DiscountRefund: 100, Currency: "CNY",
			},
			Promotions: []pay.PromotionRefund{{Promotion: coupon, RefundAmount: 100}},
			Status:     pay.StatusProcessing, Channel: "ORIGINAL", UserReceivedAccount: "支付用户零钱",
			CreateTime: now0, UpdateTime: now0, Outcome: pay.StatusSuccess,
		}
		if diff := cmp.Diff(want, r, cmpOpts); diff != "" {
			t.Errorf("Apply mismatch (-want +got):\n%s", diff)
		}
		got, err := svc.Refunds.Query(t.Context(), pay.APIDomestic, directMchid, "", "R1|*@_-x")
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("Query after Apply mismatch (-want +got):\n%s", diff)
		}
		tr, _ := mustOrder(t, svc, o.ID)
		if tr.Refunded != 500 || tr.RefundCount != 1 || !tr.LastRefundAt.Equal(now0) {
			t.Errorf("transaction after Apply: refunded %d count %d last %v, want 500 1 %v", tr.Refunded, tr.RefundCount, tr.LastRefundAt, now0)
		}
	})

	t.Run("ByOutTradeNo", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		q := refundOf(o, "R1", 100)
		q.TransactionID, q.OutTradeNo = "", o.OutTradeNo
		if r := mustApply(t, svc, q); r.TransactionID != o.ID {
			t.Errorf("Apply by out_trade_no transaction_id = %q, want %q", r.TransactionID, o.ID)
		}
	})

	t.Run("Replay", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		first := mustApply(t, svc, refundOf(o, "R1", 1000))
		// The order is fully refunded by now; the replay must still answer, not refuse.
		again := mustApply(t, svc, refundOf(o, "R1", 1000))
		if again.ID != first.ID {
			t.Errorf("Apply(replay) refund_id = %q, want %q", again.ID, first.ID)
		}
		byTradeNo := refundOf(o, "R1", 1000)
		byTradeNo.TransactionID, byTradeNo.OutTradeNo = "", o.OutTradeNo
		if r := mustApply(t, svc, byTradeNo); r.ID != first.ID {
			t.Errorf("Apply(replay by out_trade_no) refund_id = %q, want %q", r.ID, first.ID)
		}
		tr, rs := mustOrder(t, svc, o.ID)
		if len(rs) != 1 || tr.Refunded != 1000 || tr.RefundCount != 1 {
			t.Errorf("after replays: %d refunds, refunded %d, count %d; want 1, 1000, 1", len(rs), tr.Refunded, tr.RefundCount)
		}
	})

	t.Run("ReplayPartial", func(t *testing.T) {
		// The order could take the replay as a new refund: the taken out_refund_no, not
		// the order, must answer it, and nothing of the order may change.
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000, pay.Promotion{PromotionID: "900001", Scope: "GLOBAL", Type: "COUPON", Amount: 100})
		first := mustApply(t, svc, refundOf(o, "R1", 400))
		before, _ := mustOrder(t, svc, o.ID)
		again := mustApply(t, svc, refundOf(o, "R1", 400))
		if again.ID != first.ID {
			t.Errorf("Apply(replay) refund_id = %q, want %q", again.ID, first.ID)
		}
		after, rs := mustOrder(t, svc, o.ID)
		if len(rs) != 1 || !cmp.Equal(before, after, cmpOpts) {
			t.Errorf("after a replay: %d refunds, order %+v; want 1 and unchanged %+v", len(rs), after, before)
		}
	})

	t.Run("ReplayOtherAmount", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(o, "R1", 500))
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R1", 300))
		wantError(t, "Apply(R1, 300 after 500)", err, pay.CodeInvalidRequest, "订单金额或退款金额与之前请求不一致，请核实后再试")

		otherTotal := refundOf(o, "R1", 500)
		otherTotal.Total = 2000
		_, err = svc.Refunds.Apply(t.Context(), otherTotal)
		wantError(t, "Apply(R1, total 2000)", err, pay.CodeInvalidRequest, "订单金额或退款金额与之前请求不一致，请核实后再试")
	})

	t.Run("ReplayOtherOrder", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		a := mustPay(t, svc, directMchid, 1000)
		b := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(a, "R1", 500))
		_, err := svc.Refunds.Apply(t.Context(), refundOf(b, "R1", 500))
		wantError(t, "Apply(R1 on another order)", err, pay.CodeInvalidRequest,
			"请求内容和上次请求不一致，请核实后再试。原因主要是商户号不一致，或者商户订单号/商户退款单号已经被其他请求使用。")
		if tr, _ := mustOrder(t, svc, b.ID); tr.Refunded != 0 {
			t.Errorf("other order refunded = %d, want 0", tr.Refunded)
		}
	})

	t.Run("OverRefund", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(o, "R1", 600))
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R2", 401))
		wantError(t, "Apply(401 of 400 left)", err, pay.CodeInvalidRequest, "申请退款金额超过订单可退金额")
		mustApply(t, svc, refundOf(o, "R3", 400))
	})

	t.Run("FullyRefunded", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(o, "R1", 1000))
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R2", 1))
		wantError(t, "Apply(after full refund)", err, pay.CodeInvalidRequest, "订单已全额退款")
	})

	t.Run("TooMany", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 100)
		for i := range 50 {
			mustApply(t, svc, refundOf(o, fmt.Sprintf("R%d", i), 1))
		}
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R50", 1))
		wantError(t, "Apply(51st refund)", err, pay.CodeInvalidRequest, "")
		if tr, _ := mustOrder(t, svc, o.ID); tr.Refunded != 50 || tr.RefundCount != 50 {
			t.Errorf("after 51 refunds: refunded %d count %d, want 50 50", tr.Refunded, tr.RefundCount)
		}
	})

	t.Run("TooOld", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		mustAdvance(t, svc, 365*24*time.Hour)
		mustApply(t, svc, refundOf(o, "R1", 100)) // the last moment of the year
		mustAdvance(t, svc, time.Second)
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R2", 100))
		wantError(t, "Apply(365 days and 1 s after payment)", err, pay.CodeInvalidRequest, "交易时间超过一年的订单无法提交退款")
	})

	t.Run("Spacing", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		svc.Spacing = true
		o := mustPay(t, svc, directMchid, 1000)
		other := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(o, "R1", 100))
		_, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R2", 100))
		wantError(t, "Apply(same order at once)", err, pay.CodeFrequencyLimited, "")
		mustApply(t, svc, refundOf(other, "R3", 100)) // the spacing is per order

		mustAdvance(t, svc, 59*time.Second)
		_, err = svc.Refunds.Apply(t.Context(), refundOf(o, "R2", 100))
		wantError(t, "Apply(same order after 59 s)", err, pay.CodeFrequencyLimited, "")
		mustAdvance(t, svc, 2*time.Second)
		// A refused request left nothing behind: R2 is a new refund now, not a replay.
		mustApply(t, svc, refundOf(o, "R2", 100))
		if tr, _ := mustOrder(t, svc, o.ID); tr.Refunded != 200 || tr.RefundCount != 2 {
			t.Errorf("after spacing: refunded %d count %d, want 200 2", tr.Refunded, tr.RefundCount)
		}
	})

	t.Run("NoSpacing", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		mustApply(t, svc, refundOf(o, "R1", 100))
		mustApply(t, svc, refundOf(o, "R2", 100))
	})

	t.Run("Partner", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, subMchid, 1000)
		if o.SpMchid != partnerMchid {
			t.Fatalf("CreateOrder(sub) sp_mchid = %q, want %q", o.SpMchid, partnerMchid)
		}
		r := mustApply(t, svc, refundOf(o, "R1", 100))
		if r.Mchid != subMchid || r.SpMchid != partnerMchid {
			t.Errorf("Apply(partner) mchid %q sp_mchid %q, want %q %q", r.Mchid, r.SpMchid, subMchid, partnerMchid)
		}
	})

	t.Run("Ecommerce", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, subMchid, 1000)
		q := refundOf(o, "R1", 100)
		q.API, q.SpAppid, q.SubAppid = pay.APIEcommerce, partnerAppid, subAppid
		q.RefundAccount = "REFUND_SOURCE_SUB_MERCHANT"
		r := mustApply(t, svc, q)
		if r.API != pay.APIEcommerce || r.SpAppid != partnerAppid || r.RefundAccount != "REFUND_SOURCE_SUB_MERCHANT" {
			t.Errorf("Apply(ecommerce) = api %q sp_appid %q refund_account %q", r.API, r.SpAppid, r.RefundAccount)
		}

		q.OutRefundNo, q.SpAppid = "R2", "wx2222222222222222"
		_, err := svc.Refunds.Apply(t.Context(), q)
		wantError(t, "Apply(ecommerce, another platform's sp_appid)", err, pay.CodeInvalidRequest, "")
	})
}

// Ensure Apply refuses a request that one change to a valid one makes wrong, with the code, message and
// field the real service answers.
func TestService_ApplyErrors(t *testing.T) {
	tests := []struct {
		name    string
		payer   string // mchid of the order refunded
		mutate  func(q *pay.ApplyRequest)
		code    string
		message string // "" leaves the message unchecked
		field   string // "" leaves the field unchecked
	}{
		{name: "OrderNotExists", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) { q.TransactionID = "4200000000202506019999999999" },
			code:   pay.CodeResourceNotExists, message: "订单不存在"},
		{name: "TotalMismatch", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) { q.Total = 999 },
			code:   pay.CodeInvalidRequest, message: "订单金额total与原订单金额不一致，请核实后再试"},
		{name: "SubAsItself", payer: subMchid, // the partner's order, asked for by the sub-merchant as itself
			mutate: func(q *pay.ApplyRequest) { q.Caller, q.SubMchid = subMchid, "" },
			code:   pay.CodeResourceNotExists, message: "订单不存在"},
		{name: "PartnerWithoutSubMchid", payer: subMchid,
			mutate: func(q *pay.ApplyRequest) { q.SubMchid = "" },
			code:   pay.CodeParamError, field: "sub_mchid"},
		{name: "PartnerOtherSub", payer: otherSubMchid,
			mutate: func(q *pay.ApplyRequest) { q.Caller = partnerMchid },
			code:   pay.CodeNoAuth, message: "服务商与子商户号1900000209不存在受理关系"},
		{name: "UnknownSub", payer: subMchid,
			mutate: func(q *pay.ApplyRequest) { q.SubMchid = "1900009999" },
			code:   pay.CodeMchNotExists, message: "子商户号不存在"},
		{name: "UnknownCaller", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) { q.Caller = "1900009999" },
			code:   pay.CodeMchNotExists, message: "商户号不存在"},
		{name: "DirectNamingSubMchid", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) { q.SubMchid = subMchid },
			code:   pay.CodeParamError},
		{name: "DirectOnEcommerce", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) {
				q.API, q.SubMchid, q.SpAppid = pay.APIEcommerce, directMchid, "wx1111111111111111"
			},
			code: pay.CodeNoAuth, message: "仅电商平台（服务商）可调用电商收付通退款接口"},
		{name: "Invalid", payer: directMchid,
			mutate: func(q *pay.ApplyRequest) { q.OutRefundNo = "R#1" },
			code:   pay.CodeParamError, field: "out_refund_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(t, pay.Simulated{})
			q := refundOf(mustPay(t, svc, tt.payer, 1000), "R1", 100)
			tt.mutate(&q)
			_, err := svc.Refunds.Apply(t.Context(), q)
			call := fmt.Sprintf("Apply(%s)", tt.name)
			if e := wantError(t, call, err, tt.code, tt.message); tt.field != "" && e.Field != tt.field {
				t.Errorf("%s field = %q, want %q", call, e.Field, tt.field)
			}
		})
	}
}

func TestService_Settle(t *testing.T) {
	// settle moves r to status and returns what Settle answers.
	settle := func(t *testing.T, svc *pay.Service, r *pay.Refund, to pay.Status) (*pay.Refund, error) {
		t.Helper()
		return svc.Refunds.Settle(t.Context(), r.ID, to)
	}
	mustSettle := func(t *testing.T, svc *pay.Service, r *pay.Refund, to pay.Status) *pay.Refund {
		t.Helper()
		got, err := settle(t, svc, r, to)
		if err != nil {
			t.Fatalf("Settle(%s, %s) = %v, want nil", r.Status, to, err)
		}
		if got.Status != to {
			t.Errorf("Settle(%s) status = %s, want %s", to, got.Status, to)
		}
		return got
	}

	t.Run("Success", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		r := mustApply(t, svc, refundOf(o, "R1", 100))
		if !r.SuccessTime.IsZero() {
			t.Errorf("Apply success_time = %v, want zero", r.SuccessTime)
		}
		mustAdvance(t, svc, 10*time.Second)
		got := mustSettle(t, svc, r, pay.StatusSuccess)
		want := now0.Add(10 * time.Second)
		if !got.SuccessTime.Equal(want) || !got.UpdateTime.Equal(want) {
			t.Errorf("Settle(SUCCESS) success_time %v update_time %v, want %v", got.SuccessTime, got.UpdateTime, want)
		}
		stored, err := svc.Refunds.Query(t.Context(), pay.APIDomestic, directMchid, "", "R1")
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if stored.Status != pay.StatusSuccess || !stored.SuccessTime.Equal(want) {
			t.Errorf("Query after Settle = %s at %v, want SUCCESS at %v", stored.Status, stored.SuccessTime, want)
		}

		// Settling again is a no-op that keeps the first success time.
		mustAdvance(t, svc, 10*time.Second)
		if again := mustSettle(t, svc, r, pay.StatusSuccess); !again.SuccessTime.Equal(want) {
			t.Errorf("Settle(SUCCESS) twice success_time = %v, want %v", again.SuccessTime, want)
		}
	})

	t.Run("FinalStaysFinal", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		ok := mustApply(t, svc, refundOf(o, "R1", 100))
		mustSettle(t, svc, ok, pay.StatusSuccess)
		_, err := settle(t, svc, ok, pay.StatusClosed)
		wantError(t, "Settle(SUCCESS→CLOSED)", err, pay.CodeInvalidState, "")
		_, err = settle(t, svc, ok, pay.StatusAbnormal)
		wantError(t, "Settle(SUCCESS→ABNORMAL)", err, pay.CodeInvalidState, "")

		closed := mustApply(t, svc, refundOf(o, "R2", 100))
		mustSettle(t, svc, closed, pay.StatusClosed)
		_, err = settle(t, svc, closed, pay.StatusSuccess)
		wantError(t, "Settle(CLOSED→SUCCESS)", err, pay.CodeInvalidState, "")
		if tr, _ := mustOrder(t, svc, o.ID); tr.Refunded != 100 {
			t.Errorf("refunded after refused moves = %d, want 100", tr.Refunded)
		}
	})

	t.Run("AbnormalToSuccess", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		r := mustApply(t, svc, refundOf(o, "R1", 100))
		if got := mustSettle(t, svc, r, pay.StatusAbnormal); !got.SuccessTime.IsZero() {
			t.Errorf("Settle(ABNORMAL) success_time = %v, want zero", got.SuccessTime)
		}
		if got := mustSettle(t, svc, r, pay.StatusSuccess); got.SuccessTime.IsZero() {
			t.Errorf("Settle(ABNORMAL→SUCCESS) success_time is zero")
		}
	})

	t.Run("ClosedGivesBack", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		r := mustApply(t, svc, refundOf(o, "R1", 1000))
		mustSettle(t, svc, r, pay.StatusClosed)
		if tr, _ := mustOrder(t, svc, o.ID); tr.Refunded != 0 {
			t.Errorf("refunded after CLOSED = %d, want 0", tr.Refunded)
		}
		// The closed refund's number stays taken: a replay answers the CLOSED refund.
		if again := mustApply(t, svc, refundOf(o, "R1", 1000)); again.ID != r.ID || again.Status != pay.StatusClosed {
			t.Errorf("Apply(replay of closed) = %s %s, want %s CLOSED", again.ID, again.Status, r.ID)
		}
		mustApply(t, svc, refundOf(o, "R2", 1000))
		if tr, _ := mustOrder(t, svc, o.ID); tr.Refunded != 1000 || tr.RefundCount != 2 {
			t.Errorf("after a new refund: refunded %d count %d, want 1000 2", tr.Refunded, tr.RefundCount)
		}
	})

	t.Run("BadStatus", func(t *testing.T) {
		svc := newService(t, pay.Simulated{})
		o := mustPay(t, svc, directMchid, 1000)
		r := mustApply(t, svc, refundOf(o, "R1", 100))
		_, err := settle(t, svc, r, pay.StatusProcessing)
		wantError(t, "Settle(PROCESSING)", err, pay.CodeParamError, "")
		_, err = svc.Refunds.Settle(t.Context(), "50300000000000000000000000000", pay.StatusSuccess)
		wantError(t, "Settle(unknown refund)", err, pay.CodeResourceNotExists, "")
	})
}

func TestService_SettleDue(t *testing.T) {
	svc := newService(t, pay.Simulated{Delay: time.Minute})
	ctx := t.Context()
	o := mustPay(t, svc, directMchid, 1000)
	abnormal, err := svc.Orders.Create(ctx, pay.OrderRequest{Mchid: directMchid, Total: 1000, RefundOutcome: pay.StatusAbnormal})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	settleDue := func(want int) {
		t.Helper()
		n, err := svc.Refunds.SettleDue(ctx)
		if err != nil || n != want {
			t.Fatalf("SettleDue() = %d, %v, want %d, nil", n, err, want)
		}
	}
	status := func(no string) pay.Status {
		t.Helper()
		r, err := svc.Refunds.Query(ctx, pay.APIDomestic, directMchid, "", no)
		if err != nil {
			t.Fatalf("Query(%s): %v", no, err)
		}
		return r.Status
	}

	r1 := mustApply(t, svc, refundOf(o, "R1", 100))
	if want := now0.Add(time.Minute); !r1.SettleAt.Equal(want) {
		t.Errorf("Apply settle_at = %v, want %v", r1.SettleAt, want)
	}
	mustApply(t, svc, refundOf(abnormal, "A1", 100))
	mustAdvance(t, svc, 30*time.Second)
	mustApply(t, svc, refundOf(o, "R2", 100))
	settleDue(0)

	mustAdvance(t, svc, 30*time.Second) // R1 and A1 are due, R2 is not
	settleDue(2)
	if s1, sa, s2 := status("R1"), status("A1"), status("R2"); s1 != pay.StatusSuccess || sa != pay.StatusAbnormal || s2 != pay.StatusProcessing {
		t.Errorf("after one minute: R1 %s, A1 %s, R2 %s; want SUCCESS, ABNORMAL, PROCESSING", s1, sa, s2)
	}
	settleDue(0)

	mustAdvance(t, svc, 30*time.Second)
	settleDue(1)
	if s := status("R2"); s != pay.StatusSuccess {
		t.Errorf("after 90 s: R2 %s, want SUCCESS", s)
	}
	settleDue(0)
}

// TestService_ApplyConcurrent races refunds of random amounts on one order: whatever the
// interleaving, the order is refunded exactly once over and never more.
func TestService_ApplyConcurrent(t *testing.T) {
	const workers = 40
	svc := newService(t, pay.Simulated{})
	rng := rand.New(rand.NewPCG(1, 2))
	amounts := make([]int64, workers)
	var sum int64
	for i := range amounts {
		amounts[i] = 1 + rng.Int64N(300)
		sum += amounts[i]
	}
	// Half of what the workers ask for: some must be refused, and the order runs out.
	o := mustPay(t, svc, directMchid, sum/2)

	accepted := make([]int64, workers)
	errs := make([][]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			amount := amounts[i]
			for try := 0; ; try++ {
				_, err := svc.Refunds.Apply(t.Context(), refundOf(o, fmt.Sprintf("R%d-%d", i, try), amount))
				if err == nil {
					accepted[i] += amount
					return
				}
				errs[i] = append(errs[i], err)
				var e *pay.Error
				if !errors.As(err, &e) || e.Code != pay.CodeInvalidRequest || e.Message == "订单已全额退款" || try > 50 {
					return
				}
				// Refused as too much: ask for what is left, if anything.
				tr, _, err := svc.Orders.Query(t.Context(), o.ID)
				if err != nil {
					errs[i] = append(errs[i], err)
					return
				}
				if amount = min(amount, tr.Refundable()); amount <= 0 {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	var got int64
	refused := 0
	for i := range workers {
		got += accepted[i]
		refused += len(errs[i])
		for _, err := range errs[i] {
			if pay.ErrorCode(err) != pay.CodeInvalidRequest {
				t.Errorf("worker %d: Apply = %v, want only INVALID_REQUEST refusals", i, err)
			}
		}
	}
	tr, rs := mustOrder(t, svc, o.ID)
	var stored int64
	for _, r := range rs {
		stored += r.Amount.Refund
	}
	if got != o.Total || stored != o.Total || tr.Refunded != o.Total {
		t.Errorf("accepted %d, stored refunds %d, transaction refunded %d; want all %d", got, stored, tr.Refunded, o.Total)
	}
	if tr.RefundCount != len(rs) {
		t.Errorf("refund_count = %d, want %d refunds", tr.RefundCount, len(rs))
	}
	t.Logf("%d refunds accepted, %d requests refused", len(rs), refused)
}

// TestService_ApplyConcurrentSameOutRefundNo sends one request 20 times at once: one
// refund results and every caller is told about it.
func TestService_ApplyConcurrentSameOutRefundNo(t *testing.T) {
	const workers = 20
	svc := newService(t, pay.Simulated{})
	o := mustPay(t, svc, directMchid, 1000)
	ids := make([]string, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			r, err := svc.Refunds.Apply(t.Context(), refundOf(o, "R1", 300))
			errs[i] = err
			if err == nil {
				ids[i] = r.ID
			}
		})
	}
	close(start)
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: Apply(R1) = %v, want nil", i, err)
		} else if ids[i] != ids[0] {
			t.Errorf("worker %d: Apply(R1) refund_id = %s, want %s", i, ids[i], ids[0])
		}
	}
	tr, rs := mustOrder(t, svc, o.ID)
	if len(rs) != 1 || tr.Refunded != 300 || tr.RefundCount != 1 {
		t.Errorf("after 20 identical requests: %d refunds, refunded %d, count %d; want 1, 300, 1", len(rs), tr.Refunded, tr.RefundCount)
	}
}

// TestService_ApplyUpgradedOrder refunds an order whose refunds were accepted before
// orders kept their refund split (stored without one), next to a twin that kept it all
// along: each refund after the upgrade splits the same, fen for fen, and the upgraded
// order keeps the same totals from then on.
func TestService_ApplyUpgradedOrder(t *testing.T) {
	svc, s := newServiceStore(t, pay.Simulated{})
	promos := []pay.Promotion{
		{PromotionID: "900001", Scope: "GLOBAL", Type: "COUPON", Amount: 100},
		{PromotionID: "900002", Scope: "SINGLE", Type: "DISCOUNT", Amount: 37},
	}
	kept := mustPay(t, svc, directMchid, 1000, promos...)
	upgraded := mustPay(t, svc, directMchid, 1000, promos...)

	apply := func(no string, amount int64) (k, u *pay.Refund) {
		t.Helper()
		k = mustApply(t, svc, refundOf(kept, "K"+no, amount))
		u = mustApply(t, svc, refundOf(upgraded, "U"+no, amount))
		if k.Amount.PayerRefund != u.Amount.PayerRefund || !cmp.Equal(k.Promotions, u.Promotions) {
			t.Errorf("refund %s of %d: upgraded order split %d %+v, want %d %+v as the kept one",
				no, amount, u.Amount.PayerRefund, u.Promotions, k.Amount.PayerRefund, k.Promotions)
		}
		return k, u
	}
	forget := func() {
		t.Helper()
		err := s.Update(t.Context(), func(tx pay.Tx) error {
			o, err := tx.OrderByID(t.Context(), upgraded.ID)
			if err != nil {
				return err
			}
			o.Split = nil
			return tx.UpdateOrder(t.Context(), o)
		})
		if err != nil {
			t.Fatalf("store the order as before the upgrade: %v", err)
		}
	}

	k1, u1 := apply("1", 333)
	apply("2", 101)
	forget()
	// A refund closed after the upgrade, before the order's next refund.
	for _, r := range []*pay.Refund{k1, u1} {
		if _, err := svc.Refunds.Settle(t.Context(), r.ID, pay.StatusClosed); err != nil {
			t.Fatalf("Settle(%s, CLOSED): %v", r.OutRefundNo, err)
		}
	}
	apply("3", 250)
	apply("4", 7)
	forget() // and one without a close in between
	apply("5", 309)

	k, rs := mustOrder(t, svc, kept.ID)
	u, _ := mustOrder(t, svc, upgraded.ID)
	want := pay.RefundSplit{Promotions: make([]int64, len(promos))}
	for _, r := range rs {
		if r.Status != pay.StatusClosed {
			want.Payer += r.Amount.PayerRefund
			for i, p := range r.Promotions {
				want.Promotions[i] += p.RefundAmount
			}
		}
	}
	if k.Split == nil || !cmp.Equal(*k.Split, want) {
		t.Errorf("kept order's totals %+v, want %+v from its active refunds", k.Split, want)
	}
	if !cmp.Equal(k.Split, u.Split) || u.Refunded != k.Refunded {
		t.Errorf("upgraded order's totals %d %+v, want %d %+v as the kept one", u.Refunded, u.Split, k.Refunded, k.Split)
	}
}
