package apiv2

import (
	"context"
	"testing"

	"github.com/go-pay/gopay"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// order posts params of m to path and parses the answer, checking its sign.
func (f *fixture) order(t *testing.T, m *pay.Merchant, path string, params map[string]string) gopay.BodyMap {
	t.Helper()
	bm := f.serve(t, onPath(request(m, params), path))
	if bm.GetString("return_code") != "SUCCESS" {
		t.Fatalf("%s: %v", path, bm)
	}
	st, _ := signType(params)
	mustVerify(t, m, st, bm)
	return bm
}

func wantFields(t *testing.T, what string, bm gopay.BodyMap, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := bm.GetString(kv[i]); got != kv[i+1] {
			t.Errorf("%s: %s = %q, want %q; answer %v", what, kv[i], got, kv[i+1], bm)
		}
	}
}

// Ensure an order lives through v2 as through v3: placed (and placed again), NOTPAY,
// paid, SUCCESS by either id, refunded, REFUND; and that the v2 codes of each refusal
// come out — ORDERPAID, ORDERCLOSED, OUT_TRADE_NO_USED, ORDERNOTEXIST.
func TestOrderFlow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, st := range []string{signMD5, signHMAC} {
		p := placeParams("out_trade_no", "FLOW-"+st, "sign_type", st, "attach", "a&b", "device_info", "WEB")
		placed := f.order(t, direct, "/pay/unifiedorder", p)
		wantFields(t, "placed", placed, "result_code", "SUCCESS", "trade_type", "JSAPI", "device_info", "WEB")
		again := f.order(t, direct, "/pay/unifiedorder", p)
		wantFields(t, "placed again", again, "prepay_id", placed.GetString("prepay_id"))
		used := f.order(t, direct, "/pay/unifiedorder", with(p, "total_fee", "89"))
		wantErrCode(t, direct, st, used, "OUT_TRADE_NO_USED")

		q := map[string]string{"out_trade_no": "FLOW-" + st, "sign_type": st}
		wantFields(t, "unpaid", f.order(t, direct, "/pay/orderquery", q),
			"trade_state", "NOTPAY", "out_trade_no", "FLOW-"+st, "attach", "a&b", "transaction_id", "", "total_fee", "")

		o, err := f.svc.Orders.Pay(ctx, pay.PayRequest{PrepayID: placed.GetString("prepay_id"), BankType: "CMB_CREDIT"})
		if err != nil {
			t.Fatal(err)
		}
		paid := f.order(t, direct, "/pay/orderquery", q)
		wantFields(t, "paid", paid, "trade_state", "SUCCESS", "transaction_id", o.ID, "total_fee", "88", "cash_fee", "88",
			"bank_type", "CMB_CREDIT", "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "is_subscribe", "N", "fee_type", "CNY",
			"time_end", o.SuccessTime.In(pay.Beijing).Format(v2Time), "trade_type", "JSAPI")
		byID := f.order(t, direct, "/pay/orderquery", map[string]string{"transaction_id": o.ID, "sign_type": st})
		wantFields(t, "by transaction_id", byID, "out_trade_no", "FLOW-"+st, "trade_state", "SUCCESS")

		wantErrCode(t, direct, st, f.order(t, direct, "/pay/unifiedorder", p), "ORDERPAID")
		wantErrCode(t, direct, st, f.order(t, direct, "/pay/closeorder", q), "ORDERPAID")

		r, err := f.svc.Refunds.Apply(ctx, pay.ApplyRequest{API: pay.APIV2, Caller: direct.Mchid, OutTradeNo: "FLOW-" + st,
			OutRefundNo: "REFUND-" + st, Total: 88, Refund: 8})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refunds.Settle(ctx, r.ID, pay.StatusSuccess); err != nil {
			t.Fatal(err)
		}
		wantFields(t, "refunded", f.order(t, direct, "/pay/orderquery", q), "trade_state", "REFUND", "transaction_id", o.ID, "total_fee", "88")
	}
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/orderquery", map[string]string{"out_trade_no": "nonexistent"}), codeOrderNotExist)
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/closeorder", map[string]string{"out_trade_no": "nonexistent"}), codeOrderNotExist)
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/orderquery", nil), codeParamError)
}

// Ensure 关闭订单 closes an unpaid order once, then answers ORDERCLOSED, as does placing it
// again; and that a partner's order is its sub-merchant's, placed for it with sub_openid.
func TestCloseOrder(t *testing.T) {
	f := newFixture(t)
	p := placeParams("appid", partner.Appid, "mch_id", partner.Mchid, "sub_mch_id", sub.Mchid, "sub_appid", sub.Appid,
		"out_trade_no", "CLOSE-1", "trade_type", "NATIVE", "product_id", "12235413214070356458058")
	placed := f.order(t, partner, "/pay/unifiedorder", p)
	wantFields(t, "placed", placed, "result_code", "SUCCESS", "trade_type", "NATIVE", "sub_mch_id", sub.Mchid)
	if placed.GetString("code_url") == "" {
		t.Errorf("NATIVE placed without code_url: %v", placed)
	}
	q := map[string]string{"appid": partner.Appid, "mch_id": partner.Mchid, "sub_mch_id": sub.Mchid, "out_trade_no": "CLOSE-1"}
	wantFields(t, "closed", f.order(t, partner, "/pay/closeorder", q), "result_code", "SUCCESS")
	wantFields(t, "queried", f.order(t, partner, "/pay/orderquery", q), "trade_state", "CLOSED", "trade_state_desc", "订单已关闭")
	wantErrCode(t, partner, signMD5, f.order(t, partner, "/pay/closeorder", q), "ORDERCLOSED")
	wantErrCode(t, partner, signMD5, f.order(t, partner, "/pay/unifiedorder", p), "ORDERCLOSED")
	// The sub-merchant's own order number is not the direct merchant's.
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/orderquery", map[string]string{"out_trade_no": "CLOSE-1"}), codeOrderNotExist)
}

// Ensure fault rules on the order endpoints' names answer before the handler and change
// nothing: a 统一下单 broken by a rule places no order.
func TestOrderFaults(t *testing.T) {
	f := newFixture(t)
	for _, api := range []string{endpoint.V2UnifiedOrder, endpoint.V2OrderQuery, endpoint.V2CloseOrder} {
		if _, err := f.api.faults.Add(fault.Rule{API: api, Action: fault.Action{Error: pay.CodeSystemError}}); err != nil {
			t.Fatal(err)
		}
	}
	p := placeParams("out_trade_no", "FAULT-1")
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/unifiedorder", p), codeSystemError)
	q := map[string]string{"out_trade_no": "FAULT-1"}
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/orderquery", q), codeSystemError)
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/closeorder", q), codeSystemError)
	// Each rule fired once: the order was never placed.
	wantErrCode(t, direct, signMD5, f.order(t, direct, "/pay/orderquery", q), codeOrderNotExist)
	wantFields(t, "placed after the fault", f.order(t, direct, "/pay/unifiedorder", p), "result_code", "SUCCESS")
}
