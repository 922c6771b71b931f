package apiv2

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/go-pay/gopay"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// apply refunds amount of t as m (a partner names the sub-merchant).
func (f *fixture) apply(tb testing.TB, caller *pay.Merchant, subMchid string, t *pay.Order, no string, amount int64) *pay.Refund {
	tb.Helper()
	r, err := f.svc.Refunds.Apply(context.Background(), pay.ApplyRequest{
		API: pay.APIV2, Caller: caller.Mchid, SubMchid: subMchid, TransactionID: t.ID,
		OutRefundNo: no, Refund: amount, Total: t.Total,
	})
	if err != nil {
		tb.Fatalf("Apply(%s): %v", no, err)
	}
	return r
}

// Ensure each of the four ids finds the refund, in both sign types, and that the id
// priority refund_id > out_refund_no > transaction_id > out_trade_no holds.
func TestRefundQuery_IDs(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	r1 := f.apply(t, direct, "", o, "R1", 100)
	r2 := f.apply(t, direct, "", o, "R2", 200)
	other := f.apply(t, direct, "", f.pay(t, direct, 500), "R3", 50)
	tests := []struct {
		name   string
		params map[string]string
		want   []*pay.Refund
	}{
		{"RefundID", map[string]string{"refund_id": r2.ID}, []*pay.Refund{r2}},
		{"OutRefundNo", map[string]string{"out_refund_no": "R1"}, []*pay.Refund{r1}},
		{"TransactionID", map[string]string{"transaction_id": o.ID}, []*pay.Refund{r1, r2}},
		{"OutTradeNo", map[string]string{"out_trade_no": o.OutTradeNo}, []*pay.Refund{r1, r2}},
		{"RefundIDWins", map[string]string{"refund_id": other.ID, "out_refund_no": "R1", "transaction_id": o.ID}, []*pay.Refund{other}},
		{"OutRefundNoWins", map[string]string{"out_refund_no": "R3", "transaction_id": o.ID}, []*pay.Refund{other}},
		{"TransactionIDWins", map[string]string{"transaction_id": o.ID, "out_trade_no": "T_OTHER_ORDER"}, []*pay.Refund{r1, r2}},
	}
	for _, tt := range tests {
		for _, st := range []string{signMD5, signHMAC} {
			t.Run(tt.name+"/"+st, func(t *testing.T) {
				bm := f.serve(t, request(direct, with(tt.params, "sign_type", st)))
				mustVerify(t, direct, st, bm)
				wantRefunds(t, bm, tt.want, 0)
				byOrder := tt.params["refund_id"] == "" && tt.params["out_refund_no"] == ""
				if got := bm.GetString("total_refund_count"); byOrder != (got != "") {
					t.Errorf("total_refund_count = %q; want it only when queried by order", got)
				}
			})
		}
	}
}

// wantRefunds checks a successful answer lists want as _0, _1, … with the order's fields.
func wantRefunds(t *testing.T, bm gopay.BodyMap, want []*pay.Refund, offset int) {
	t.Helper()
	if bm.GetString("return_code") != "SUCCESS" || bm.GetString("result_code") != "SUCCESS" {
		t.Fatalf("answer = %v, want SUCCESS", bm)
	}
	if got := bm.GetString("refund_count"); got != strconv.Itoa(len(want)) {
		t.Errorf("refund_count = %s, want %d", got, len(want))
	}
	o := want[0]
	for k, v := range map[string]string{
		"transaction_id": o.TransactionID, "out_trade_no": o.OutTradeNo, "total_fee": strconv.FormatInt(o.Amount.Total, 10),
		"cash_fee": strconv.FormatInt(o.Amount.PayerTotal, 10), "fee_type": "CNY",
	} {
		if got := bm.GetString(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for n, r := range want {
		for k, v := range map[string]string{
			"refund_id": r.ID, "out_refund_no": r.OutRefundNo, "refund_fee": strconv.FormatInt(r.Amount.Refund, 10),
			"refund_status": "PROCESSING", "refund_channel": "ORIGINAL",
		} {
			if got := bm.GetString(indexed(k, n)); got != v {
				t.Errorf("%s = %q, want %q (refund %d of the page, offset %d)", indexed(k, n), got, v, n, offset)
			}
		}
	}
	if extra := indexed("refund_id", len(want)); bm.GetString(extra) != "" {
		t.Errorf("answer has %s, want %d refunds only", extra, len(want))
	}
}

// Ensure the refund query's paging (分页查询,
// https://pay.weixin.qq.com/doc/v2/merchant/4011939577): 36 refunds, 10 a page from offset,
// total_refund_count the order's total, PARAM_ERROR past the end.
func TestRefundQuery_Paging(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 10000)
	var rs []*pay.Refund
	for i := range 36 {
		rs = append(rs, f.apply(t, direct, "", o, fmt.Sprintf("P%02d", i), 10))
	}
	for _, tt := range []struct {
		offset string
		want   []*pay.Refund
	}{
		{"", rs[0:10]},
		{"0", rs[0:10]},
		{"10", rs[10:20]},
		{"24", rs[24:34]}, // the seed's example: the 25th to the 34th
		{"30", rs[30:36]},
		{"35", rs[35:36]},
	} {
		t.Run("Offset"+tt.offset, func(t *testing.T) {
			bm := f.serve(t, request(direct, map[string]string{"out_trade_no": o.OutTradeNo, "offset": tt.offset}))
			mustVerify(t, direct, signMD5, bm)
			off, _ := strconv.Atoi(tt.offset)
			wantRefunds(t, bm, tt.want, off)
			if got := bm.GetString("total_refund_count"); got != "36" {
				t.Errorf("total_refund_count = %s, want 36", got)
			}
		})
	}
	for _, off := range []string{"36", "100", "-1", "x", "99999999999999999999"} {
		t.Run("Offset"+off, func(t *testing.T) {
			wantErrCode(t, direct, signMD5, f.serve(t, request(direct, map[string]string{"transaction_id": o.ID, "offset": off})), codeParamError)
		})
	}
}

// Ensure a partner queries its sub-merchant's refunds with sub_mch_id, and that the
// answer echoes sub_mch_id and sub_appid and is signed with the partner's key.
func TestRefundQuery_Partner(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, sub, 1000)
	r := f.apply(t, partner, sub.Mchid, o, "SR1", 300)
	bm := f.serve(t, request(partner, map[string]string{"sub_mch_id": sub.Mchid, "sub_appid": sub.Appid, "out_refund_no": "SR1", "sign_type": signHMAC}))
	mustVerify(t, partner, signHMAC, bm)
	wantRefunds(t, bm, []*pay.Refund{r}, 0)
	if bm.GetString("sub_mch_id") != sub.Mchid || bm.GetString("sub_appid") != sub.Appid || bm.GetString("mch_id") != partner.Mchid {
		t.Errorf("answer = %v, want mch_id %s sub_mch_id %s sub_appid %s", bm, partner.Mchid, sub.Mchid, sub.Appid)
	}
	// The sub-merchant itself does not see refunds its partner made for it.
	wantErrCode(t, sub, signMD5, f.serve(t, request(sub, map[string]string{"out_refund_no": "SR1"})), codeRefundNotExist)
	// Nor does another merchant, by any id.
	wantErrCode(t, direct, signMD5, f.serve(t, request(direct, map[string]string{"refund_id": r.ID})), codeRefundNotExist)
	wantErrCode(t, direct, signMD5, f.serve(t, request(direct, map[string]string{"transaction_id": o.ID})), codeRefundNotExist)
}

// Ensure statuses, success time, coupon fields and refund_account as the query gives them.
func TestRefundQuery_Fields(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000,
		pay.Promotion{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
		pay.Promotion{PromotionID: "109520", Scope: "GLOBAL", Type: "COUPON", Amount: 40})
	r, err := f.svc.Refunds.Apply(context.Background(), pay.ApplyRequest{
		API: pay.APIV2, Caller: direct.Mchid, OutTradeNo: o.OutTradeNo, OutRefundNo: "C1",
		Refund: 500, Total: 1000, FundsAccount: "AVAILABLE",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = f.svc.Refunds.Settle(context.Background(), r.ID, pay.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	bm := f.serve(t, request(direct, map[string]string{"out_refund_no": "C1"}))
	mustVerify(t, direct, signMD5, bm)
	want := map[string]string{
		"refund_status_0":       "SUCCESS",
		"refund_success_time_0": pay.V2Time(r.SuccessTime),
		"refund_account_0":      "REFUND_SOURCE_RECHARGE_FUNDS",
		"refund_recv_accout_0":  r.UserReceivedAccount,
		"settlement_total_fee":  "940",
		"coupon_refund_count_0": strconv.Itoa(len(r.Promotions)),
	}
	for k, v := range want {
		if got := bm.GetString(k); got != v || v == "" {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	var couponFee int64
	for m, p := range r.Promotions {
		couponFee += p.RefundAmount
		if got, want := bm.GetString(indexed("coupon_type", 0, m)), pay.V2CouponType(p.Type); got != want {
			t.Errorf("coupon_type_0_%d = %q, want %q", m, got, want)
		}
		if got := bm.GetString(indexed("coupon_refund_id", 0, m)); got != p.PromotionID {
			t.Errorf("coupon_refund_id_0_%d = %q, want %q", m, got, p.PromotionID)
		}
	}
	if got := bm.GetString("coupon_refund_fee_0"); got != strconv.FormatInt(couponFee, 10) || couponFee == 0 {
		t.Errorf("coupon_refund_fee_0 = %s, want %d (> 0)", got, couponFee)
	}
}
