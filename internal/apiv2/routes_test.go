package apiv2

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-pay/gopay/wechat"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure failures found before the request is authenticated are return_code=FAIL with
// the error table's description, unsigned, in XML with HTTP 200, never a 500 or HTML.
func TestProtocolErrors(t *testing.T) {
	f := newFixture(t)
	q := map[string]string{"out_trade_no": "T00000001"}
	signed := request(direct, q)
	tests := []struct {
		name string
		r    *http.Request
		msg  string
	}{
		{"GET", rawRequest("GET", "/pay/refundquery", ""), msgPost},
		{"PUT", rawRequest("PUT", "/pay/refundquery", "<xml/>"), msgPost},
		{"EmptyBody", rawRequest("POST", "/pay/refundquery", ""), msgXMLFormat},
		{"NotXML", rawRequest("POST", "/pay/refundquery", "appid=wx&mch_id=1"), msgXMLFormat},
		{"XXE", rawRequest("POST", "/pay/refundquery", `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>`), msgXMLFormat},
		{"Duplicate", rawRequest("POST", "/pay/refundquery", `<xml><mch_id>1</mch_id><mch_id>2</mch_id></xml>`), msgXMLFormat},
		{"TooLarge", rawRequest("POST", "/pay/refundquery", "<xml><a>"+strings.Repeat("x", maxBody)+"</a></xml>"), msgXMLFormat},
		{"NoMchid", request(direct, map[string]string{"mch_id": "-", "out_trade_no": "T1"}), msgMchid},
		{"UnknownMchid", request(&pay.Merchant{Mchid: "1234567890", Appid: direct.Appid, APIv2Key: direct.APIv2Key}, q), msgMchid},
		{"NoAppid", request(direct, map[string]string{"appid": "-", "out_trade_no": "T1"}), msgAppid},
		// The partner's appid with the direct merchant's mch_id.
		{"OtherAppid", request(&pay.Merchant{Mchid: direct.Mchid, Appid: partner.Appid, APIv2Key: direct.APIv2Key}, q), msgAppid},
		{"NoSign", request(direct, map[string]string{"sign": "-", "out_trade_no": "T1"}), msgSign},
		{"WrongKey", request(&pay.Merchant{Mchid: direct.Mchid, Appid: direct.Appid, APIv2Key: partner.APIv2Key}, q), msgSign},
		{"Tampered", rawRequest("POST", "/pay/refundquery", strings.Replace(readBody(signed), "T00000001", "T00000002", 1)), msgSign},
		{"UnknownSignType", request(direct, map[string]string{"sign_type": "SHA1", "out_trade_no": "T1"}), msgSign},
		{"RefundOverPlainHTTP", onPath(request(direct, q), "/secapi/pay/refund"), msgNoCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFail(t, f.serve(t, tt.r), tt.msg)
		})
	}
}

func readBody(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// Ensure every Content-Type clients send, or none, reaches the handler.
func TestContentTypes(t *testing.T) {
	f := newFixture(t)
	for _, ct := range []string{"application/xml", "text/xml; charset=utf-8", "application/x-www-form-urlencoded", ""} {
		r := request(direct, map[string]string{"out_trade_no": "T00000001"})
		if ct == "" {
			r.Header.Del("Content-Type")
		} else {
			r.Header.Set("Content-Type", ct)
		}
		wantErrCode(t, direct, signMD5, f.serve(t, r), codeRefundNotExist)
	}
}

// Ensure paths the v2 handler does not serve say so in XML.
func TestNotFound(t *testing.T) {
	f := newFixture(t)
	r := onPath(request(direct, nil), "/pay/micropay")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "<return_code><![CDATA[FAIL]]></return_code>") {
		t.Errorf("POST /pay/micropay = %d %s, want 404 with an XML FAIL", w.Code, w.Body)
	}
}

// Ensure business failures are signed with the request's sign type and carry the
// merchant's appid, mch_id and a nonce_str.
func TestBusinessErrors(t *testing.T) {
	f := newFixture(t)
	o := f.pay(t, direct, 1000)
	tests := []struct {
		name   string
		m      *pay.Merchant
		params map[string]string
		code   string
	}{
		{"UnknownOrder", direct, map[string]string{"out_trade_no": "T00000001"}, codeRefundNotExist},
		{"OrderWithoutRefunds", direct, map[string]string{"transaction_id": o.ID}, codeRefundNotExist},
		{"UnknownRefundID", direct, map[string]string{"refund_id": "50302026010112345678901234567"}, codeRefundNotExist},
		{"UnknownOutRefundNo", direct, map[string]string{"out_refund_no": "R404"}, codeRefundNotExist},
		{"MalformedTransactionID", direct, map[string]string{"transaction_id": "42000abc"}, codeInvalidTransactionID},
		{"NoID", direct, map[string]string{"refund_id": ""}, codeParamError},
		{"BadOffset", direct, map[string]string{"transaction_id": o.ID, "offset": "-1"}, codeParamError},
		{"NoNonce", direct, map[string]string{"nonce_str": "-", "out_trade_no": o.OutTradeNo}, codeParamError},
		{"PartnerWithoutSub", partner, map[string]string{"out_trade_no": o.OutTradeNo}, codeParamError},
		{"PartnerUnknownSub", partner, map[string]string{"sub_mch_id": "1999999999", "out_trade_no": o.OutTradeNo}, "MCHID_NOT_EXIST"},
		{"DirectNamingSub", direct, map[string]string{"sub_mch_id": sub.Mchid, "out_trade_no": o.OutTradeNo}, codeParamError},
	}
	for _, tt := range tests {
		for _, st := range []string{signMD5, signHMAC} {
			t.Run(tt.name+"/"+st, func(t *testing.T) {
				params := with(tt.params, "sign_type", st)
				if tt.params["nonce_str"] == "-" {
					// gopay always sends nonce_str; sign without it.
					params["nonce_str"] = ""
				}
				wantErrCode(t, tt.m, st, f.serve(t, request(tt.m, params)), tt.code)
			})
		}
	}
}

// Ensure a fault rule on v2.refundquery answers its error in v2 terms.
func TestFaultRule(t *testing.T) {
	f := newFixture(t)
	if _, err := f.api.faults.Add(fault.Rule{API: endpoint.V2Query, Action: fault.Action{Error: pay.CodeSystemError}}); err != nil {
		t.Fatal(err)
	}
	bm := f.serve(t, request(direct, map[string]string{"out_trade_no": "T00000001"}))
	wantErrCode(t, direct, signMD5, bm, codeSystemError)
	if got := bm.GetString("err_code_des"); got != descriptions[codeSystemError] {
		t.Errorf("err_code_des = %q, want %q", got, descriptions[codeSystemError])
	}
	// The rule is spent: the next request is handled.
	wantErrCode(t, direct, signMD5, f.serve(t, request(direct, map[string]string{"out_trade_no": "T00000001"})), codeRefundNotExist)
}

func TestBusinessErrorTable(t *testing.T) {
	tests := []struct {
		api      string
		err      error
		code     string
		wantDesc string
	}{
		{endpoint.V2Query, pay.Errorf(pay.CodeResourceNotExists, "退款单不存在"), codeRefundNotExist, "退款订单查询失败"},
		{endpoint.V2Refund, pay.Errorf(pay.CodeResourceNotExists, "订单不存在"), codeInvalidTransactionID, "订单不存在"},
		{endpoint.V2Refund, pay.Errorf(pay.CodeInvalidRequest, "申请退款金额超过订单可退金额"), "INVALID_REQUEST", "申请退款金额超过订单可退金额"},
		{endpoint.V2Refund, pay.Errorf(pay.CodeNotEnough, "基本账户余额不足"), "NOTENOUGH", "基本账户余额不足"},
		{endpoint.V2Refund, pay.Errorf(pay.CodeFrequencyLimited, "频率限制"), "FREQUENCY_LIMITED", "频率限制"},
		{endpoint.V2Refund, pay.ParamError("amount.refund", "退款金额必须大于等于1分", 0), codeParamError, "refund_fee参数错误：退款金额必须大于等于1分"},
		{endpoint.V2Refund, pay.Errorf(pay.CodeInvalidState, "x"), codeSystemError, descriptions[codeSystemError]},
		{endpoint.V2Query, http.ErrHandlerTimeout, codeSystemError, descriptions[codeSystemError]},
	}
	for _, tt := range tests {
		code, des := businessError(tt.api, tt.err)
		if code != tt.code || des != tt.wantDesc {
			t.Errorf("businessError(%s, %v) = %s, %q; want %s, %q", tt.api, tt.err, code, des, tt.code, tt.wantDesc)
		}
	}
}

// Ensure a request gopay builds for HMAC-SHA256 verifies, and so does the answer.
func TestSignTypes(t *testing.T) {
	f := newFixture(t)
	for _, st := range []string{"", signMD5, signHMAC} {
		params := map[string]string{"out_trade_no": "T00000001"}
		if st != "" {
			params["sign_type"] = st
		}
		bm := f.serve(t, request(direct, params))
		want := st
		if want == "" {
			want = wechat.SignType_MD5
		}
		wantErrCode(t, direct, want, bm, codeRefundNotExist)
	}
}
