package notify_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/go-pay/gopay/wechat"
	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/notify"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// payV2 places a 1000-fen JSAPI order through v2 as q says (caller and parties) and pays
// it by card with a 100-fen no-pre-funding coupon, which owes a v2 payment notification
// to notifyURL.
func (f *fixture) payV2(t *testing.T, q pay.PlaceRequest, notifyURL string) *pay.Order {
	t.Helper()
	q.TradeType, q.Protocol, q.NotifyURL = pay.TradeJSAPI, pay.ProtocolV2, notifyURL
	q.Description, q.OutTradeNo, q.Total, q.Attach = "v2 order", fmt.Sprintf("V2P%06d", seq.Add(1)), 1000, "a=1&b=2"
	q.PayerClientIP = "127.0.0.1"
	o, err := f.svc.Orders.Place(t.Context(), q)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	o, err = f.svc.Orders.Pay(t.Context(), pay.PayRequest{PrepayID: o.PrepayID, BankType: "CMB_DEBIT",
		Promotions: []pay.Promotion{{PromotionID: "900001", Scope: "GLOBAL", Type: "DISCOUNT", Amount: 100}}})
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	return o
}

// maskedPay hides what changes from run to run in a v2 payment notification.
var maskedPay = regexp.MustCompile(`<(nonce_str|transaction_id|out_trade_no|time_end|sign)><!\[CDATA\[[^\]]*\]\]>`)

// Ensure an order placed through 统一下单 is notified of its payment the v2 way, as go-pay
// reads it: plain XML whose sign go-pay verifies under the recipient's APIv2 key (the
// partner's for its sub-merchant's order), and every field of the paid order. The bodies are kept as goldens.
func TestDeliverer_V2Payment(t *testing.T) {
	tests := []struct {
		name     string
		q        pay.PlaceRequest
		key      string
		envelope map[string]string
	}{
		{"direct", pay.PlaceRequest{Caller: v2Mchid, Appid: v2Appid, Mchid: v2Mchid, PayerOpenid: "oPayer"}, v2Key,
			map[string]string{"appid": v2Appid, "mch_id": v2Mchid, "openid": "oPayer"}},
		{"partner", pay.PlaceRequest{Caller: spMchid, SpAppid: spAppid, SpMchid: spMchid, SubAppid: subAppid, SubMchid: subMchid, SubOpenid: "oSub"}, spKey,
			map[string]string{"appid": spAppid, "mch_id": spMchid, "sub_appid": subAppid, "sub_mch_id": subMchid, "sub_openid": "oSub", "sub_is_subscribe": "N"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newV2Fixture(t)
			srv, got := newV2Endpoint(t, successBody)
			o := f.payV2(t, tt.q, srv.URL)
			run(t, notify.New(notify.Config{Service: f.svc}))

			d := next(t, got)
			if ok, err := wechat.VerifySign(tt.key, wechat.SignType_MD5, d.bm); !ok || err != nil {
				t.Errorf("wechat.VerifySign = %t, %v over %s", ok, err, d.body)
			}
			want := map[string]string{
				"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS", "is_subscribe": "N",
				"trade_type": "JSAPI", "bank_type": "CMB_DEBIT", "total_fee": "1000", "settlement_total_fee": "900",
				"fee_type": "CNY", "cash_fee": "900", "coupon_fee": "100", "coupon_count": "1",
				"coupon_type_0": "NO_CASH", "coupon_id_0": "900001", "coupon_fee_0": "100",
				"transaction_id": o.ID, "out_trade_no": o.OutTradeNo, "attach": "a=1&b=2",
				"time_end": o.SuccessTime.In(pay.Beijing).Format("20060102150405"),
			}
			for k, v := range tt.envelope {
				want[k] = v
			}
			if tt.q.SpMchid != "" && o.SpOpenid != "" {
				want["openid"] = o.SpOpenid // a payer named by sub_openid alone has none under sp_appid
			}
			gotFields := map[string]string{}
			for k := range d.bm {
				if k != "nonce_str" && k != "sign" {
					gotFields[k] = d.bm.GetString(k)
				}
			}
			if diff := cmp.Diff(want, gotFields); diff != "" {
				t.Errorf("notification mismatch (-want +got):\n%s", diff)
			}
			golden.Check(t, "v2_payment_"+tt.name, append(maskedPay.ReplaceAll(d.body, []byte("<$1><![CDATA[…]]>")), '\n'))
		})
	}
}
