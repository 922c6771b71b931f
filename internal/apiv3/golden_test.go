package apiv3

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// goldenJSON compares the JSON body got, indented, with testdata/name.golden. Indenting
// keeps the keys' order and escapes, so the golden still pins the wire body while its
// diffs stay readable.
func goldenJSON(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: body %q is not JSON: %v", name, got, err)
	}
	buf.WriteByte('\n')
	golden.Check(t, name, buf.Bytes())
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	return b
}

// fixedTime is when every fixture happened: 2025-06-01 10:00:00 in Beijing.
var fixedTime = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

// fixtureRefund is a partial refund of an order paid partly with a coupon, as the
// domestic and e-commerce answers render it.
func fixtureRefund(api pay.API) *pay.Refund {
	return &pay.Refund{
		ID: "50000000382019052709732678859", OutRefundNo: "1217752501201407033233368018",
		Mchid: "1900000100", TransactionID: "4200000000202506010000000001", OutTradeNo: "1217752501201407033233368018",
		API: api, FundsAccount: "AVAILABLE",
		Amount: pay.Amount{
			Refund: 600, Total: 1000, PayerTotal: 900, PayerRefund: 500, SettlementTotal: 1000,
			SettlementRefund: 600, DiscountRefund: 100, Currency: "CNY",
			From: []pay.FundsFrom{{Account: "AVAILABLE", Amount: 600}},
		},
		Promotions: []pay.PromotionRefund{{
			Promotion:    pay.Promotion{PromotionID: "109519", Scope: "GLOBAL", Type: "COUPON", Amount: 100},
			RefundAmount: 100,
		}},
		GoodsDetail: []pay.GoodsDetail{{
			MerchantGoodsID: "1217752501201407033233368018", WechatpayGoodsID: "1001", GoodsName: "iPhone6s 16G",
			UnitPrice: 600, RefundAmount: 600, RefundQuantity: 1,
		}},
		Status: pay.StatusSuccess, Channel: "ORIGINAL", UserReceivedAccount: "招商银行信用卡0403",
		CreateTime: fixedTime, SuccessTime: fixedTime.Add(2 * time.Minute),
	}
}

// Ensure the refund answers keep their exact wire shape: the domestic apply and query
// answer, and the e-commerce query answer of a partner-advanced refund.
func TestGolden_Refunds(t *testing.T) {
	goldenJSON(t, "refund_domestic", mustMarshal(t, DomesticRefund(fixtureRefund(pay.APIDomestic))))
	processing := fixtureRefund(pay.APIDomestic)
	processing.Status, processing.SuccessTime, processing.Channel = pay.StatusProcessing, time.Time{}, ""
	goldenJSON(t, "refund_domestic_processing", mustMarshal(t, DomesticRefund(processing)))

	ec := fixtureRefund(pay.APIEcommerce)
	ec.Mchid, ec.SpMchid, ec.RefundAccount = "1900000109", "1900000100", "REFUND_SOURCE_PARTNER_ADVANCE"
	goldenJSON(t, "refund_ecommerce", mustMarshal(t, EcommerceRefund(ec)))
}

// Ensure a complaint's detail keeps its exact wire shape, payer_phone encrypted to the
// merchant's certificate (checked by decrypting it, then fixed for the golden, since
// RSA-OAEP is randomized).
func TestGolden_ComplaintDetail(t *testing.T) {
	s := startServer(t, false)
	a := &api{certs: make(map[string]parsedCert)}
	c := &pay.Complaint{
		ID: "200201820200101080076610000", Mchid: "1900000100",
		TransactionID: "4200000000202506010000000001", OutTradeNo: "20250601100000", Amount: 3000,
		State: pay.ComplaintPending, ProblemType: pay.ProblemRefund, ApplyRefundAmount: 3000,
		Detail: "反馈一个重复扣费的问题", PayerPhone: "13800138000", PayerOpenid: "o-MYE42l80oelYMDE34nYD456Xoy",
		UserTags: []string{pay.TagTrusted}, Media: []string{"https://api.mch.weixin.qq.com/v3/merchant-service/images/xxxxx"},
		UserComplaintTimes: 1, CreateTime: fixedTime.Add(120 * time.Millisecond),
	}
	v, err := a.complaintView(s.merchant, c)
	if err != nil {
		t.Fatalf("complaintView: %v", err)
	}
	phone, err := wxcrypto.DecryptOAEP(s.key, v.PayerPhone)
	if err != nil || phone != c.PayerPhone {
		t.Fatalf("payer_phone decrypts to %q, %v; want %q", phone, err, c.PayerPhone)
	}
	v.PayerPhone = "RSA-OAEP-CIPHERTEXT"
	goldenJSON(t, "complaint_detail", mustMarshal(t, v))
}

// fixtureStock is a NORMAL stock of 10 yuan off 100, with display fields kept as sent.
func fixtureStock() *pay.Stock {
	return &pay.Stock{
		ID: "1212", Creator: "1900000100", BelongMerchant: "1900000100", OutRequestNo: "100002322019090134234sfdf",
		Name: "8月1日活动券", Comment: "活动使用", GoodsName: "填写代金券可适用的商品或服务", Type: pay.StockNormal,
		CodeMode: pay.CodeModeWechatpay, DiscountAmount: 1000, TransactionMinimum: 10000,
		BeginTime: fixedTime, EndTime: fixedTime.AddDate(0, 1, 0), UseMethod: "OFF_LINE",
		MaxCoupons: 100, MaxCouponsPerUser: 5, Sent: 1,
		Display: map[string]json.RawMessage{
			"display_pattern_info": json.RawMessage(`{"description":"xxx门店可用","background_color":"Color020"}`),
			"notify_config":        json.RawMessage(`{"notify_appid":"wx23232232323"}`),
		},
		CreateTime: fixedTime,
	}
}

// Ensure the merchant coupon answers keep their exact wire shape: a stock and a coupon
// sent from it.
func TestGolden_Coupons(t *testing.T) {
	st := fixtureStock()
	goldenJSON(t, "coupon_stock", mustMarshal(t, stockView(st)))
	c := &pay.Coupon{
		Code: "123446565767", StockID: st.ID, Openid: "2323dfsdf342342", Appid: "wx233544546545989", Sender: "1900000100",
		State: pay.CouponSended, SendRequestNo: "MCHSEND202003101234",
		ReceiveTime: fixedTime.Add(time.Hour), AvailableStartTime: fixedTime.Add(time.Hour), ExpireTime: st.EndTime,
	}
	goldenJSON(t, "coupon", mustMarshal(t, couponView(&pay.CouponView{Coupon: c, Stock: st, State: pay.CouponSended})))
}

// Ensure a request whose signature does not match is answered 401 SIGN_ERROR with the
// detail that names the cause: the field, the issue and the string the server signed.
// The server's clock and the request's nonce are fixed, so the body is too.
func TestGolden_SignError(t *testing.T) {
	s := startServer(t, false)
	s.clock.Set(fixedTime)
	ts := strconv.FormatInt(fixedTime.Unix(), 10)
	const nonce = "593BEC0C930BF1AFEB40B4A08C8FB242"
	// Signed for another path, as a client that signs before rewriting the URL would.
	h := s.authorization(t, "GET", "/v3/refund/domestic/refunds/OTHER", ts, nonce, nil)
	r := s.do(t, "GET", "/v3/refund/domestic/refunds/R1", nil, h)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("GET with a mismatched signature = %d %s, want 401", r.status, r.body)
	}
	goldenJSON(t, "sign_error", r.body)
}

// fixtureOrder is a JSAPI order placed by a direct merchant (partner false) or by a
// partner for its sub-merchant, unpaid, or paid (paid true) partly with a coupon.
func fixtureOrder(partner, paid bool) *pay.Order {
	o := &pay.Order{
		ID: "4200000000202506010000000001", OutTradeNo: "1217752501201407033233368018",
		Mchid: "1230000109", Appid: "wxd678efh567hg6787", TradeType: pay.TradeJSAPI,
		TradeState: pay.TradeNotPay, TradeStateDesc: "订单未支付", Description: "Image形象店-深圳腾大-QQ公仔",
		Attach: "自定义数据", Total: 100, Currency: "CNY", PayerOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		PrepayID: "wx01100000000000000000000000000000", CreateTime: fixedTime,
	}
	if partner {
		o.Mchid, o.SpMchid, o.Appid, o.SubAppid = "1900000109", "1230000109", "wx8888888888888888", "wxd678efh567hg6999"
		o.PayerOpenid, o.SpOpenid, o.SubOpenid = "", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6w"
	}
	if paid {
		o.TradeState, o.TradeStateDesc, o.BankType = pay.TradeSuccess, "支付成功", "CMC"
		o.SuccessTime, o.PayerTotal = fixedTime.Add(time.Minute), 90
		o.Promotions = []pay.Promotion{{PromotionID: "109519", Scope: "GLOBAL", Type: "COUPON", Amount: 10, StockID: "8948"}}
	}
	return o
}

// Ensure the 下单 answers keep their exact wire shape (prepay_id, code_url, h5_url), and
// the 查询订单 answer its shape for direct and partner orders, unpaid and paid.
func TestGolden_Orders(t *testing.T) {
	o := fixtureOrder(false, false)
	goldenJSON(t, "order_prepay", mustMarshal(t, Prepay(o)))
	o.TradeType, o.CodeURL = pay.TradeNative, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
	goldenJSON(t, "order_native", mustMarshal(t, Prepay(o)))
	o.TradeType, o.H5URL = pay.TradeH5, "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx01100000000000000000000000000000&package=1037687096"
	goldenJSON(t, "order_h5", mustMarshal(t, Prepay(o)))

	for _, tt := range []struct {
		name          string
		partner, paid bool
	}{
		{"order_query_notpay", false, false},
		{"order_query_success", false, true},
		{"order_query_partner_notpay", true, false},
		{"order_query_partner_success", true, true},
	} {
		goldenJSON(t, tt.name, mustMarshal(t, Transaction(fixtureOrder(tt.partner, tt.paid))))
	}
}
