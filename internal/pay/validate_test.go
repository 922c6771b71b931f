package pay_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// domesticRequest is a valid POST /v3/refund/domestic/refunds request.
func domesticRequest() pay.ApplyRequest {
	return pay.ApplyRequest{
		API:           pay.APIDomestic,
		Caller:        "1900000101",
		TransactionID: "4200000000202506010000000001",
		OutTradeNo:    "T20250601100000",
		OutRefundNo:   "R20250601100000",
		Reason:        "商品已售完",
		NotifyURL:     "https://weixin.qq.com/notify",
		Refund:        100,
		Total:         1000,
		Currency:      "CNY",
	}
}

// ecommerceRequest is a valid POST /v3/ecommerce/refunds/apply request.
func ecommerceRequest() pay.ApplyRequest {
	q := domesticRequest()
	q.API = pay.APIEcommerce
	q.Caller = "1900000100"
	q.SubMchid = "1900000109"
	q.SpAppid = "wxd678efh567hg6787"
	q.SubAppid = "wx8888888888888888"
	return q
}

type validateTest struct {
	name string
	edit func(q *pay.ApplyRequest)
	// wantField is the Field of the PARAM_ERROR, "" when the request is valid.
	wantField string
}

// runValidate runs tests against base with each test's edit applied.
func runValidate(t *testing.T, base func() pay.ApplyRequest, tests []validateTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := base()
			tt.edit(&q)
			err := q.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *pay.Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want a *pay.Error on %s", err, tt.wantField)
			}
			if e.Code != pay.CodeParamError || e.Field != tt.wantField {
				t.Errorf("Validate() = code %q field %q, want %q field %q (%v)", e.Code, e.Field, pay.CodeParamError, tt.wantField, err)
			}
		})
	}
}

// commonTests hold for both APIs.
var commonTests = []validateTest{
	{"OK", func(q *pay.ApplyRequest) {}, ""},

	{"OutRefundNoMissing", func(q *pay.ApplyRequest) { q.OutRefundNo = "" }, "out_refund_no"},
	{"OutRefundNo64Bytes", func(q *pay.ApplyRequest) { q.OutRefundNo = strings.Repeat("a", 64) }, ""},
	{"OutRefundNo65Bytes", func(q *pay.ApplyRequest) { q.OutRefundNo = strings.Repeat("a", 65) }, "out_refund_no"},
	{"OutRefundNoDigitsLetters", func(q *pay.ApplyRequest) { q.OutRefundNo = "0123456789abcxyzABCXYZ" }, ""},
	{"OutRefundNoUnderscore", func(q *pay.ApplyRequest) { q.OutRefundNo = "R_1" }, ""},
	{"OutRefundNoHyphen", func(q *pay.ApplyRequest) { q.OutRefundNo = "R-1" }, ""},
	{"OutRefundNoBar", func(q *pay.ApplyRequest) { q.OutRefundNo = "R|1" }, ""},
	{"OutRefundNoStar", func(q *pay.ApplyRequest) { q.OutRefundNo = "R*1" }, ""},
	{"OutRefundNoAt", func(q *pay.ApplyRequest) { q.OutRefundNo = "R@1" }, ""},
	{"OutRefundNoHash", func(q *pay.ApplyRequest) { q.OutRefundNo = "R#1" }, "out_refund_no"},
	{"OutRefundNoSpace", func(q *pay.ApplyRequest) { q.OutRefundNo = "R 1" }, "out_refund_no"},
	{"OutRefundNoChinese", func(q *pay.ApplyRequest) { q.OutRefundNo = "退款1" }, "out_refund_no"},
	{"OutRefundNoInvalidUTF8", func(q *pay.ApplyRequest) { q.OutRefundNo = "R\xff1" }, "out_refund_no"},

	{"NoOrder", func(q *pay.ApplyRequest) { q.TransactionID, q.OutTradeNo = "", "" }, "transaction_id"},
	{"TransactionIDOnly", func(q *pay.ApplyRequest) { q.OutTradeNo = "" }, ""},
	{"OutTradeNoOnly", func(q *pay.ApplyRequest) { q.TransactionID = "" }, ""},
	{"TransactionID32Bytes", func(q *pay.ApplyRequest) { q.TransactionID = strings.Repeat("4", 32) }, ""},
	{"TransactionID33Bytes", func(q *pay.ApplyRequest) { q.TransactionID = strings.Repeat("4", 33) }, "transaction_id"},
	{"OutTradeNo32Bytes", func(q *pay.ApplyRequest) { q.OutTradeNo = strings.Repeat("T", 32) }, ""},
	{"OutTradeNo33Bytes", func(q *pay.ApplyRequest) { q.OutTradeNo = strings.Repeat("T", 33) }, "out_trade_no"},

	{"ReasonEmpty", func(q *pay.ApplyRequest) { q.Reason = "" }, ""},
	{"Reason80Chinese", func(q *pay.ApplyRequest) { q.Reason = strings.Repeat("退", 80) }, ""},
	{"Reason81Chinese", func(q *pay.ApplyRequest) { q.Reason = strings.Repeat("退", 81) }, "reason"},
	{"Reason81ASCII", func(q *pay.ApplyRequest) { q.Reason = strings.Repeat("r", 81) }, "reason"},
	{"ReasonInvalidUTF8", func(q *pay.ApplyRequest) { q.Reason = "退\xff" }, "reason"},

	{"NotifyURLEmpty", func(q *pay.ApplyRequest) { q.NotifyURL = "" }, ""},
	{"NotifyURLHTTPS", func(q *pay.ApplyRequest) { q.NotifyURL = "https://weixin.qq.com/notify" }, ""},
	{"NotifyURLHTTPSandbox", func(q *pay.ApplyRequest) { q.NotifyURL = "http://127.0.0.1:8080/notify" }, ""},
	{"NotifyURLQuery", func(q *pay.ApplyRequest) { q.NotifyURL = "https://weixin.qq.com/notify?id=1" }, "notify_url"},
	{"NotifyURLEmptyQuery", func(q *pay.ApplyRequest) { q.NotifyURL = "https://weixin.qq.com/notify?" }, "notify_url"},
	{"NotifyURLRelative", func(q *pay.ApplyRequest) { q.NotifyURL = "/notify" }, "notify_url"},
	{"NotifyURLNoScheme", func(q *pay.ApplyRequest) { q.NotifyURL = "weixin.qq.com/notify" }, "notify_url"},
	{"NotifyURLNoHost", func(q *pay.ApplyRequest) { q.NotifyURL = "https:///notify" }, "notify_url"},
	{"NotifyURLFTP", func(q *pay.ApplyRequest) { q.NotifyURL = "ftp://weixin.qq.com/notify" }, "notify_url"},
	{"NotifyURL256Bytes", func(q *pay.ApplyRequest) { q.NotifyURL = urlOfLen(256) }, ""},
	{"NotifyURL257Bytes", func(q *pay.ApplyRequest) { q.NotifyURL = urlOfLen(257) }, "notify_url"},

	{"RefundZero", func(q *pay.ApplyRequest) { q.Refund = 0 }, "amount.refund"},
	{"RefundNegative", func(q *pay.ApplyRequest) { q.Refund = -1 }, "amount.refund"},
	{"RefundOneFen", func(q *pay.ApplyRequest) { q.Refund = 1 }, ""},
	{"TotalZero", func(q *pay.ApplyRequest) { q.Total = 0 }, "amount.total"},
	{"TotalNegative", func(q *pay.ApplyRequest) { q.Total = -1000 }, "amount.total"},
	{"CurrencyEmpty", func(q *pay.ApplyRequest) { q.Currency = "" }, ""},
	{"CurrencyCNY", func(q *pay.ApplyRequest) { q.Currency = "CNY" }, ""},
	{"CurrencyUSD", func(q *pay.ApplyRequest) { q.Currency = "USD" }, "amount.currency"},
	{"CurrencyLowerCase", func(q *pay.ApplyRequest) { q.Currency = "cny" }, "amount.currency"},

	{"FromOne", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 100}}
	}, ""},
	{"FromTwo", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 60}, {Account: "UNAVAILABLE", Amount: 40}}
	}, ""},
	{"FromSumBelow", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 60}, {Account: "UNAVAILABLE", Amount: 39}}
	}, "amount.from"},
	{"FromSumAbove", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 101}}
	}, "amount.from"},
	{"FromEmptyList", func(q *pay.ApplyRequest) { q.From = []pay.FundsFrom{} }, "amount.from"},
	{"FromUnknownAccount", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 60}, {Account: "BASIC", Amount: 40}}
	}, "amount.from[1].account"},
	{"FromNoAccount", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Amount: 100}}
	}, "amount.from[0].account"},
	{"FromZeroAmount", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 100}, {Account: "UNAVAILABLE", Amount: 0}}
	}, "amount.from[1].amount"},
	{"FromNegativeAmount", func(q *pay.ApplyRequest) {
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: 101}, {Account: "UNAVAILABLE", Amount: -1}}
	}, "amount.from[1].amount"},
	// MaxInt64 + MaxInt64 + 7 wraps to 5 in int64 arithmetic.
	{"FromSumOverflow", func(q *pay.ApplyRequest) {
		q.Refund = 5
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: math.MaxInt64}, {Account: "AVAILABLE", Amount: math.MaxInt64}, {Account: "UNAVAILABLE", Amount: 7}}
	}, "amount.from"},
	{"FromSumOverflowToMax", func(q *pay.ApplyRequest) {
		q.Refund = math.MaxInt64
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: math.MaxInt64}, {Account: "AVAILABLE", Amount: math.MaxInt64}, {Account: "UNAVAILABLE", Amount: 1}}
	}, "amount.from"},
	{"FromSumMax", func(q *pay.ApplyRequest) {
		q.Refund, q.Total = math.MaxInt64, math.MaxInt64
		q.From = []pay.FundsFrom{{Account: "AVAILABLE", Amount: math.MaxInt64 - 1}, {Account: "UNAVAILABLE", Amount: 1}}
	}, ""},

	{"GoodsOK", func(q *pay.ApplyRequest) { q.GoodsDetail = []pay.GoodsDetail{goods(), goods()} }, ""},
	{"GoodsZeroPrices", func(q *pay.ApplyRequest) {
		g := goods()
		g.UnitPrice, g.RefundAmount = 0, 0
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, ""},
	{"GoodsNoMerchantGoodsID", func(q *pay.ApplyRequest) {
		g := goods()
		g.MerchantGoodsID = ""
		q.GoodsDetail = []pay.GoodsDetail{goods(), g}
	}, "goods_detail[1].merchant_goods_id"},
	{"GoodsMerchantGoodsID33Bytes", func(q *pay.ApplyRequest) {
		g := goods()
		g.MerchantGoodsID = strings.Repeat("g", 33)
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, "goods_detail[0].merchant_goods_id"},
	{"GoodsWechatpayGoodsID33Bytes", func(q *pay.ApplyRequest) {
		g := goods()
		g.WechatpayGoodsID = strings.Repeat("w", 33)
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, "goods_detail[0].wechatpay_goods_id"},
	{"GoodsName256Chinese", func(q *pay.ApplyRequest) {
		g := goods()
		g.GoodsName = strings.Repeat("货", 256)
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, ""},
	{"GoodsName257Chinese", func(q *pay.ApplyRequest) {
		g := goods()
		g.GoodsName = strings.Repeat("货", 257)
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, "goods_detail[0].goods_name"},
	{"GoodsNegativeUnitPrice", func(q *pay.ApplyRequest) {
		g := goods()
		g.UnitPrice = -1
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, "goods_detail[0].unit_price"},
	{"GoodsNegativeRefundAmount", func(q *pay.ApplyRequest) {
		g := goods()
		g.RefundAmount = -1
		q.GoodsDetail = []pay.GoodsDetail{g}
	}, "goods_detail[0].refund_amount"},
	{"GoodsZeroQuantity", func(q *pay.ApplyRequest) {
		g := goods()
		g.RefundQuantity = 0
		q.GoodsDetail = []pay.GoodsDetail{goods(), g}
	}, "goods_detail[1].refund_quantity"},
}

func TestApplyRequestValidate_Domestic(t *testing.T) {
	tests := append([]validateTest{
		{"SubMchidEmpty", func(q *pay.ApplyRequest) { q.SubMchid = "" }, ""},
		{"SubMchid32Bytes", func(q *pay.ApplyRequest) { q.SubMchid = strings.Repeat("1", 32) }, ""},
		{"SubMchid33Bytes", func(q *pay.ApplyRequest) { q.SubMchid = strings.Repeat("1", 33) }, "sub_mchid"},
		{"FundsAccountEmpty", func(q *pay.ApplyRequest) { q.FundsAccount = "" }, ""},
		{"FundsAccountAvailable", func(q *pay.ApplyRequest) { q.FundsAccount = "AVAILABLE" }, ""},
		{"FundsAccountUnsettled", func(q *pay.ApplyRequest) { q.FundsAccount = "UNSETTLED" }, ""},
		{"FundsAccountUnavailable", func(q *pay.ApplyRequest) { q.FundsAccount = "UNAVAILABLE" }, "funds_account"},
		{"FundsAccountLowerCase", func(q *pay.ApplyRequest) { q.FundsAccount = "available" }, "funds_account"},
	}, commonTests...)
	runValidate(t, domesticRequest, tests)
}

func TestApplyRequestValidate_Ecommerce(t *testing.T) {
	tests := append([]validateTest{
		{"SubMchidMissing", func(q *pay.ApplyRequest) { q.SubMchid = "" }, "sub_mchid"},
		{"SubMchid32Bytes", func(q *pay.ApplyRequest) { q.SubMchid = strings.Repeat("1", 32) }, ""},
		{"SubMchid33Bytes", func(q *pay.ApplyRequest) { q.SubMchid = strings.Repeat("1", 33) }, "sub_mchid"},
		{"SpAppidMissing", func(q *pay.ApplyRequest) { q.SpAppid = "" }, "sp_appid"},
		{"SpAppid32Bytes", func(q *pay.ApplyRequest) { q.SpAppid = strings.Repeat("w", 32) }, ""},
		{"SpAppid33Bytes", func(q *pay.ApplyRequest) { q.SpAppid = strings.Repeat("w", 33) }, "sp_appid"},
		{"SubAppidEmpty", func(q *pay.ApplyRequest) { q.SubAppid = "" }, ""},
		{"SubAppid32Bytes", func(q *pay.ApplyRequest) { q.SubAppid = strings.Repeat("w", 32) }, ""},
		{"SubAppid33Bytes", func(q *pay.ApplyRequest) { q.SubAppid = strings.Repeat("w", 33) }, "sub_appid"},
		{"RefundAccountEmpty", func(q *pay.ApplyRequest) { q.RefundAccount = "" }, ""},
		{"RefundAccountSubMerchant", func(q *pay.ApplyRequest) { q.RefundAccount = "REFUND_SOURCE_SUB_MERCHANT" }, ""},
		{"RefundAccountPartnerAdvance", func(q *pay.ApplyRequest) { q.RefundAccount = "REFUND_SOURCE_PARTNER_ADVANCE" }, ""},
		{"RefundAccountUnknown", func(q *pay.ApplyRequest) { q.RefundAccount = "REFUND_SOURCE_PLATFORM" }, "refund_account"},
		{"FundsAccountEmpty", func(q *pay.ApplyRequest) { q.FundsAccount = "" }, ""},
		{"FundsAccountAvailable", func(q *pay.ApplyRequest) { q.FundsAccount = "AVAILABLE" }, ""},
		// UNSETTLED is a domestic-only value (deposit refunds, doc 4012556457).
		{"FundsAccountUnsettled", func(q *pay.ApplyRequest) { q.FundsAccount = "UNSETTLED" }, "funds_account"},
		{"FundsAccountUnavailable", func(q *pay.ApplyRequest) { q.FundsAccount = "UNAVAILABLE" }, "funds_account"},
	}, commonTests...)
	runValidate(t, ecommerceRequest, tests)
}

// urlOfLen returns an https notify URL of exactly n bytes.
func urlOfLen(n int) string {
	const prefix = "https://weixin.qq.com/"
	return prefix + strings.Repeat("n", n-len(prefix))
}

// goods returns a valid goods_detail item.
func goods() pay.GoodsDetail {
	return pay.GoodsDetail{
		MerchantGoodsID:  "1217752501201407033233368018",
		WechatpayGoodsID: "1001",
		GoodsName:        "iPhone6s 16G",
		UnitPrice:        528800,
		RefundAmount:     528800,
		RefundQuantity:   1,
	}
}
