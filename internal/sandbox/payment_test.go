package sandbox_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// Ensure POST /sandbox/v1/payments refuses a body that does not name one order in one
// way, or that asks for what a payer cannot do, with the field at fault; and an order
// that does not exist with 404.
func TestPayments_BodyRules(t *testing.T) {
	s := newSandboxServer(t, nil)
	jsapiSign := map[string]any{"appId": "wx1111111111111111", "timeStamp": "1700000000", "nonceStr": "n", "package": "prepay_id=wx1", "signType": "RSA", "paySign": "c2ln"}
	tests := []struct {
		name  string
		body  map[string]any
		field string
		code  string // "" = PARAM_ERROR
	}{
		{"NoWay", map[string]any{"outcome": "SUCCESS"}, "prepay_id", ""},
		{"TwoWays", map[string]any{"prepay_id": "wx1", "code_url": "weixin://wxpay/bizpayurl?pr=x"}, "code_url", ""},
		{"PrepayAndOutTradeNo", map[string]any{"prepay_id": "wx1", "mchid": directMchid, "out_trade_no": "A1"}, "mchid", ""},
		{"MchidAlone", map[string]any{"mchid": directMchid}, "out_trade_no", ""},
		{"OutTradeNoAlone", map[string]any{"out_trade_no": "A1"}, "out_trade_no", ""},
		{"BadOutcome", map[string]any{"prepay_id": "wx1", "outcome": "PAID"}, "outcome", ""},
		{"NotPayOutcome", map[string]any{"prepay_id": "wx1", "outcome": "NOTPAY"}, "outcome", ""},
		{"UnknownField", map[string]any{"prepay_id": "wx1", "amount": 1}, "amount", ""},
		{"PaySignUnknownKey", map[string]any{"prepay_id": "wx1", "pay_sign": merge(jsapiSign, map[string]any{"signature": "x"})}, "pay_sign.signature", ""},
		{"PaySignTwoSpellings", map[string]any{"pay_sign": merge(jsapiSign, map[string]any{"timestamp": "1700000000"})}, "pay_sign.", ""},
		{"PaySignNoSign", map[string]any{"pay_sign": merge(jsapiSign, map[string]any{"paySign": ""})}, "pay_sign.sign", ""},
		{"PaySignOtherOrder", map[string]any{"prepay_id": "wx2", "pay_sign": jsapiSign}, "pay_sign", ""},
		{"PaySignPackageMismatch", map[string]any{"pay_sign": merge(jsapiSign, map[string]any{"prepay_id": "wx2"})}, "pay_sign.package", ""},
		{"PaySignNoPrepayID", map[string]any{"pay_sign": merge(jsapiSign, map[string]any{"package": "Sign=WXPay"})}, "pay_sign.package", ""},
		{"PaySignNotString", map[string]any{"pay_sign": merge(jsapiSign, map[string]any{"timeStamp": 1700000000})}, "pay_sign.timeStamp", ""},
		{"BadBankType", map[string]any{"prepay_id": "wx1", "bank_type": "XYZ_DEBIT"}, "bank_type", ""},
		{"UnknownPrepayID", map[string]any{"prepay_id": "wx1"}, "", "ORDER_NOT_EXIST"},
		{"UnknownOutTradeNo", map[string]any{"mchid": directMchid, "out_trade_no": "A1"}, "", "ORDER_NOT_EXIST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e struct {
				Code   string
				Detail struct{ Field string }
			}
			code, status := tt.code, http.StatusNotFound
			if code == "" {
				code, status = "PARAM_ERROR", http.StatusBadRequest
			}
			st := s.call(t, "POST", "/sandbox/v1/payments", tt.body, &e)
			if st != status || e.Code != code || !strings.HasPrefix(e.Detail.Field, tt.field) {
				t.Errorf("%v = %d %s field %q, want %d %s field %q", tt.body, st, e.Code, e.Detail.Field, status, code, tt.field)
			}
		})
	}
}

// merge returns a copy of a with b's keys set.
func merge(a, b map[string]any) map[string]any {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}
