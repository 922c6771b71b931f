package apiv2

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// refundRequest is a /secapi/pay/refund request of m, arriving with a verified client
// certificate naming cn.
func refundRequest(m *pay.Merchant, cn string, params map[string]string) *http.Request {
	return withCert(onPath(request(m, params), "/secapi/pay/refund"), cn)
}

func refundParams(o *pay.Order, no string, amount int64, kv ...string) map[string]string {
	return with(map[string]string{
		"transaction_id": o.ID, "out_refund_no": no,
		"total_fee": strconv.FormatInt(o.Total, 10), "refund_fee": strconv.FormatInt(amount, 10),
	}, kv...)
}

func TestRefund(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	for _, st := range []string{signMD5, signHMAC} {
		bm := f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "A-"+st, 100, "sign_type", st, "refund_desc", "商品已售完")))
		mustVerify(t, direct, st, bm)
		want := map[string]string{
			"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": direct.Appid, "mch_id": direct.Mchid,
			"transaction_id": o.ID, "out_trade_no": o.OutTradeNo, "out_refund_no": "A-" + st,
			"refund_fee": "100", "settlement_refund_fee": "100", "total_fee": "1000", "settlement_total_fee": "1000",
			"fee_type": "CNY", "cash_fee": "1000", "cash_refund_fee": "100",
		}
		for k, v := range want {
			if got := bm.GetString(k); got != v {
				t.Errorf("%s: %s = %q, want %q", st, k, got, v)
			}
		}
		r, err := f.svc.Refunds.QueryByID(context.Background(), pay.APIDomestic, direct.Mchid, "", bm.GetString("refund_id"))
		if err != nil || r.API != pay.APIV2 || r.Reason != "商品已售完" {
			t.Errorf("QueryByID(%s) = %+v, %v; want a v2 refund with its reason", bm.GetString("refund_id"), r, err)
		}
	}
}

func TestRefund_Errors(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	first := f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "E1", 600)))
	tests := []struct {
		name   string
		params map[string]string
		code   string
		des    string
	}{
		{"OverRefund", refundParams(o, "E2", 500), "INVALID_REQUEST", "申请退款金额超过订单可退金额"},
		{"ReplayOtherAmount", refundParams(o, "E1", 300), "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试"},
		{"TotalMismatch", refundParams(o, "E3", 100, "total_fee", "999"), "INVALID_REQUEST", ""},
		{"UnknownOrder", refundParams(o, "E4", 100, "transaction_id", "4200000000000000000000000001"), codeInvalidTransactionID, "订单不存在"},
		{"UnknownOutTradeNo", refundParams(o, "E5", 100, "transaction_id", "", "out_trade_no", "T404404"), codeInvalidTransactionID, "订单不存在"},
		{"MalformedTransactionID", refundParams(o, "E6", 100, "transaction_id", "42x"), codeInvalidTransactionID, ""},
		{"NoTotalFee", refundParams(o, "E7", 100, "total_fee", ""), codeParamError, "total_fee参数错误：缺少参数"},
		{"TextFee", refundParams(o, "E8", 100, "refund_fee", "1.00"), codeParamError, "refund_fee参数错误：应为以分为单位的整数"},
		{"ZeroFee", refundParams(o, "E9", 0), codeParamError, "refund_fee参数错误：退款金额必须大于等于1分"},
		{"Currency", refundParams(o, "E10", 100, "refund_fee_type", "USD"), codeParamError, "refund_fee_type参数错误：目前只支持人民币：CNY"},
		{"RefundAccount", refundParams(o, "E11", 100, "refund_account", "AVAILABLE"), codeParamError, ""},
		{"NoOutRefundNo", refundParams(o, "", 100), codeParamError, "out_refund_no参数错误：字段必填"},
		{"NoOrder", refundParams(o, "E12", 100, "transaction_id", ""), codeParamError, ""},
		{"NotEnough", refundParams(o, fault.MagicNotEnough+"1", 100), "NOTENOUGH", ""},
		{"Frequency", refundParams(o, fault.MagicFrequencyLimited+"1", 100), "FREQUENCY_LIMITED", ""},
		{"SystemError", refundParams(o, fault.MagicSystemError+"1", 100), codeSystemError, ""},
		{"AccountAbnormal", refundParams(o, fault.MagicUserAccountAbnormal+"1", 100), "USER_ACCOUNT_ABNORMAL", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bm := f.serve(t, refundRequest(direct, direct.Mchid, with(tt.params, "sign_type", signHMAC)))
			wantErrCode(t, direct, signHMAC, bm, tt.code)
			if tt.des != "" && bm.GetString("err_code_des") != tt.des {
				t.Errorf("err_code_des = %q, want %q", bm.GetString("err_code_des"), tt.des)
			}
		})
	}
	// The rest of the order, then one fen more: v2 says ERROR where v3 says INVALID_REQUEST.
	f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "E13", 400)))
	full := f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "E14", 1)))
	wantErrCode(t, direct, signMD5, full, "ERROR")
	if got := full.GetString("err_code_des"); got != "订单已全额退款" {
		t.Errorf("err_code_des of a fully refunded order = %q", got)
	}
	// A replay with the same content is the same refund.
	again := f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "E1", 600)))
	if again.GetString("refund_id") == "" || again.GetString("refund_id") != first.GetString("refund_id") {
		t.Errorf("replay refund_id = %q, first %q", again.GetString("refund_id"), first.GetString("refund_id"))
	}
}

// Ensure the certificate must be the caller's: a partner calls with its own.
func TestRefund_Certificate(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, sub, 1000)
	params := refundParams(o, "S1", 100, "sub_mch_id", sub.Mchid)
	wantFail(t, f.serve(t, refundRequest(partner, sub.Mchid, params)), msgCertMatch)
	wantFail(t, f.serve(t, refundRequest(partner, direct.Mchid, params)), msgCertMatch)
	r := onPath(request(partner, params), "/secapi/pay/refund")
	wantFail(t, f.serve(t, r), msgNoCert)
	bm := f.serve(t, refundRequest(partner, partner.Mchid, params))
	mustVerify(t, partner, signMD5, bm)
	if bm.GetString("result_code") != "SUCCESS" || bm.GetString("sub_mch_id") != sub.Mchid {
		t.Errorf("partner refund = %v, want SUCCESS for sub_mch_id %s", bm, sub.Mchid)
	}
	// Without sub_mch_id the partner names no order of its own.
	wantErrCode(t, partner, signMD5, f.serve(t, refundRequest(partner, partner.Mchid, refundParams(o, "S2", 100))), codeParamError)
}

// Ensure refund_account REFUND_SOURCE_RECHARGE_FUNDS is the domain's AVAILABLE funds.
func TestRefund_RechargeFunds(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	bm := f.serve(t, refundRequest(direct, direct.Mchid, refundParams(o, "F1", 100, "refund_account", "REFUND_SOURCE_RECHARGE_FUNDS")))
	r, err := f.svc.Refunds.Query(context.Background(), pay.APIDomestic, direct.Mchid, "", "F1")
	if err != nil || r.FundsAccount != "AVAILABLE" || r.ID != bm.GetString("refund_id") {
		t.Errorf("Query(F1) = %+v, %v; want funds account AVAILABLE", r, err)
	}
}

// Ensure SANDBOX_TIMEOUT_ drops the first answer after creating the refund, and the
// retry the docs ask for gets it.
func TestRefund_Timeout(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	params := refundParams(o, fault.MagicTimeout+"1", 100)
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("first request: panic %v, want http.ErrAbortHandler (a dropped connection)", p)
			}
		}()
		f.serve(t, refundRequest(direct, direct.Mchid, params))
	}()
	bm := f.serve(t, refundRequest(direct, direct.Mchid, params))
	if bm.GetString("result_code") != "SUCCESS" {
		t.Fatalf("retry = %v, want SUCCESS", bm)
	}
	r, err := f.svc.Refunds.Query(context.Background(), pay.APIDomestic, direct.Mchid, "", params["out_refund_no"])
	if err != nil || r.ID != bm.GetString("refund_id") {
		t.Errorf("Query = %+v, %v; want the refund the first request made", r, err)
	}
}
