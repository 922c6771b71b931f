package apiv2

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/pay"
)

func mustDecodeFile(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	params, err := decodeXML(data)
	if err != nil {
		t.Fatalf("decodeXML(%s): %v", name, err)
	}
	return params
}

// seedMerchant is the merchant of the refund query page's sample answer
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577); its key is the signing guide's,
// since the seed's own is not published.
var seedMerchant = &pay.Merchant{Mchid: "1900000109", Appid: "wx8888888888888888", APIv2Key: docKey}

// seedAPI answers with the sample's nonce_str, so that answers are byte-for-byte stable.
func seedAPI() *api {
	return &api{nonce: func() string { return "5K8264ILTKCH16CQ2502SI8ZNMTM67VS" }}
}

func seedCall(signType string, params map[string]string) *call {
	return &call{params: params, merchant: seedMerchant, signType: signType}
}

// seedRefund is the refund of the refund query page's sample answer.
func seedRefund() *pay.Refund {
	return &pay.Refund{
		ID: "2008450740201411110000174436", OutRefundNo: "1217752501201407033233368018",
		TransactionID: "1008450740201411110005820873", OutTradeNo: "1217752501201407033233368018",
		Amount:  pay.Amount{Refund: 1, Total: 100, PayerTotal: 100, PayerRefund: 1, SettlementTotal: 100, SettlementRefund: 1, Currency: "CNY"},
		Status:  pay.StatusProcessing,
		Channel: "ORIGINAL", UserReceivedAccount: "支付用户零钱",
	}
}

// Ensure tuikuan reads the refund query page's sample request as written — pretty-printed,
// plain text, empty ids — and picks out_trade_no, the only id it gives.
func TestSeed004_Request(t *testing.T) {
	got := mustDecodeFile(t, "seed004_request.xml")
	want := map[string]string{
		"appid": "wx2421b1c4370ec43b", "mch_id": "10000100", "nonce_str": "0b9f35f484df17a732e537c37708d1d0",
		"out_refund_no": "", "out_trade_no": "1415757673", "refund_id": "", "transaction_id": "",
		"sign": "66FFB727015F450D167EF38CCC549521",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample request mismatch (-want +got):\n%s", diff)
	}
}

// Ensure the answer to the sample query has the shape of the sample answer: every
// element it shows, with the same values where they are not the (unpublished) key's
// sign or the sample's inconsistent cash_refund_fee (90 of a 1-fen refund), plus the
// fields the page's field list has and the sample leaves out.
func TestSeed004_Response(t *testing.T) {
	body := seedAPI().result(seedCall(signMD5, map[string]string{"out_trade_no": "1217752501201407033233368018"}),
		endpoint.V2Query, refundsReply([]*pay.Refund{seedRefund()}, 1), nil).encode()
	golden.Check(t, "refundquery_seed004", body)

	got, err := decodeXML(body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range mustDecodeFile(t, "seed004_response.xml") {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("answer has no <%s>", k)
		case k != "sign" && k != "cash_refund_fee" && g != v:
			t.Errorf("<%s> = %q, sample has %q", k, g, v)
		}
	}
	mustVerify(t, seedMerchant, signMD5, bodyMap(got))
}

// Ensure the query's every field, coupons and success times included, and the apply's
// answer, stay as they are.
func TestGolden(t *testing.T) {
	beijing := time.Date(2016, 7, 25, 15, 26, 26, 0, pay.Beijing)
	first := seedRefund()
	first.Status, first.SuccessTime, first.FundsAccount = pay.StatusSuccess, beijing.UTC(), "AVAILABLE"
	first.Amount = pay.Amount{Refund: 300, Total: 1000, PayerTotal: 900, PayerRefund: 240, SettlementTotal: 940, SettlementRefund: 276, Currency: "CNY"}
	first.Promotions = []pay.PromotionRefund{
		{Promotion: pay.Promotion{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60}, RefundAmount: 24},
		{Promotion: pay.Promotion{PromotionID: "109520", Scope: "GLOBAL", Type: "COUPON", Amount: 40}, RefundAmount: 36},
	}
	second := seedRefund()
	second.ID, second.OutRefundNo = "2008450740201411110000174437", "R2"
	second.Status, second.Channel, second.UserReceivedAccount = pay.StatusAbnormal, "OTHER_BANKCARD", "招商银行信用卡0403"
	second.Amount = pay.Amount{Refund: 100, Total: 1000, PayerTotal: 900, PayerRefund: 100, SettlementTotal: 940, SettlementRefund: 100}
	third := seedRefund()
	third.ID, third.OutRefundNo, third.Status = "2008450740201411110000174438", "R3", pay.StatusClosed

	a := seedAPI()
	tests := []struct {
		name string
		body []byte
	}{
		{"refundquery_coupons", a.result(seedCall(signHMAC, map[string]string{"sub_mch_id": "1900000111", "sub_appid": "wx1111111111111111"}),
			endpoint.V2Query, refundsReply([]*pay.Refund{first, second, third}, 12), nil).encode()},
		{"refundquery_byid", a.result(seedCall(signMD5, nil), endpoint.V2Query, refundsReply([]*pay.Refund{second}, -1), nil).encode()},
		{"refund", a.result(seedCall(signMD5, nil), endpoint.V2Refund, refundReply(first), nil).encode()},
		{"refund_fail", a.result(seedCall(signHMAC, nil), endpoint.V2Refund, nil,
			pay.Errorf(pay.CodeInvalidRequest, "申请退款金额超过订单可退金额")).encode()},
		{"fail", failReply(msgSign).encode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Check(t, tt.name, tt.body)
		})
	}
}

func bodyMap(m map[string]string) gopay.BodyMap {
	bm := make(gopay.BodyMap, len(m))
	for k, v := range m {
		bm.Set(k, v)
	}
	return bm
}
