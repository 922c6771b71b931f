package pay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// directPlace is a valid direct NATIVE request of directMchid.
func directPlace() pay.PlaceRequest {
	return pay.PlaceRequest{
		TradeType: pay.TradeNative, Caller: directMchid, Appid: "wx1111111111111111", Mchid: directMchid,
		Description: "Image形象店-深圳腾大-QQ公仔", OutTradeNo: "1217752501201407033233368018",
		NotifyURL: "https://www.weixin.qq.com/wxpay/pay.php", Total: 100,
	}
}

// partnerPlace is a valid partner JSAPI request for subMchid, paid under sub_appid.
func partnerPlace() pay.PlaceRequest {
	return pay.PlaceRequest{
		TradeType: pay.TradeJSAPI, Caller: partnerMchid, SpAppid: partnerAppid, SpMchid: partnerMchid,
		SubAppid: subAppid, SubMchid: subMchid, Description: "QQ公仔", OutTradeNo: "partner-order-1",
		NotifyURL: "https://sp.example/paid", Total: 100, SubOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}

// Ensure every rule PlaceRequest.Validate applies refuses with PARAM_ERROR (or, without
// a signer, INVALID_REQUEST) and names the field.
func TestPlaceRequest_Validate(t *testing.T) {
	past, future := now0.Add(-time.Second), now0.Add(time.Hour)
	tests := []struct {
		name  string
		base  func() pay.PlaceRequest
		edit  func(q *pay.PlaceRequest)
		field string // "" = valid
	}{
		{"direct NATIVE", directPlace, func(q *pay.PlaceRequest) {}, ""},
		{"partner JSAPI", partnerPlace, func(q *pay.PlaceRequest) {}, ""},
		{"partner JSAPI sp_openid", partnerPlace, func(q *pay.PlaceRequest) { q.SubOpenid, q.SpOpenid, q.SubAppid = "", "o1", "" }, ""},
		{"time_expire in the future", directPlace, func(q *pay.PlaceRequest) { q.TimeExpire = &future }, ""},
		{"out_trade_no of 6 with |*_-", directPlace, func(q *pay.PlaceRequest) { q.OutTradeNo = "a|*_-1" }, ""},
		{"MWEB", directPlace, func(q *pay.PlaceRequest) {
			q.TradeType, q.PayerClientIP, q.H5Type = pay.TradeH5, "2001:db8::1", "Wap"
		}, ""},
		{"no caller", directPlace, func(q *pay.PlaceRequest) { q.Caller = "" }, "INVALID_REQUEST"},
		{"no trade type", directPlace, func(q *pay.PlaceRequest) { q.TradeType = "" }, "trade_type"},
		{"unknown trade type", directPlace, func(q *pay.PlaceRequest) { q.TradeType = "MICROPAY" }, "trade_type"},
		{"unknown protocol", directPlace, func(q *pay.PlaceRequest) { q.Protocol = "v1" }, "protocol"},
		{"no appid", directPlace, func(q *pay.PlaceRequest) { q.Appid = "" }, "appid"},
		{"no mchid", directPlace, func(q *pay.PlaceRequest) { q.Mchid = "" }, "mchid"},
		{"partner with appid", partnerPlace, func(q *pay.PlaceRequest) { q.Appid = "wx1" }, "appid"},
		{"partner with mchid", partnerPlace, func(q *pay.PlaceRequest) { q.Mchid = "1" }, "mchid"},
		{"partner without sp_appid", partnerPlace, func(q *pay.PlaceRequest) { q.SpAppid = "" }, "sp_appid"},
		{"partner without sp_mchid", partnerPlace, func(q *pay.PlaceRequest) { q.SpMchid = "" }, "sp_mchid"},
		{"partner without sub_mchid", partnerPlace, func(q *pay.PlaceRequest) { q.SubMchid = "" }, "sub_mchid"},
		{"sub_appid over 32", partnerPlace, func(q *pay.PlaceRequest) { q.SubAppid = strings.Repeat("w", 33) }, "sub_appid"},
		{"no description", directPlace, func(q *pay.PlaceRequest) { q.Description = "" }, "description"},
		{"description over 127 bytes", directPlace, func(q *pay.PlaceRequest) { q.Description = strings.Repeat("公", 43) }, "description"},
		{"no out_trade_no", directPlace, func(q *pay.PlaceRequest) { q.OutTradeNo = "" }, "out_trade_no"},
		{"out_trade_no under 6", directPlace, func(q *pay.PlaceRequest) { q.OutTradeNo = "12345" }, "out_trade_no"},
		{"out_trade_no over 32", directPlace, func(q *pay.PlaceRequest) { q.OutTradeNo = strings.Repeat("1", 33) }, "out_trade_no"},
		{"out_trade_no with @", directPlace, func(q *pay.PlaceRequest) { q.OutTradeNo = "123456@" }, "out_trade_no"},
		{"attach over 128", directPlace, func(q *pay.PlaceRequest) { q.Attach = strings.Repeat("a", 129) }, "attach"},
		{"no notify_url", directPlace, func(q *pay.PlaceRequest) { q.NotifyURL = "" }, "notify_url"},
		{"relative notify_url", directPlace, func(q *pay.PlaceRequest) { q.NotifyURL = "/paid" }, "notify_url"},
		{"notify_url with parameters", directPlace, func(q *pay.PlaceRequest) { q.NotifyURL = "https://m.example/paid?a=1" }, "notify_url"},
		{"goods_tag over 32", directPlace, func(q *pay.PlaceRequest) { q.GoodsTag = strings.Repeat("g", 33) }, "goods_tag"},
		{"time_expire past", directPlace, func(q *pay.PlaceRequest) { q.TimeExpire = &past }, "time_expire"},
		{"time_expire now", directPlace, func(q *pay.PlaceRequest) { q.TimeExpire = &now0 }, "time_expire"},
		{"total 0", directPlace, func(q *pay.PlaceRequest) { q.Total = 0 }, "amount.total"},
		{"currency USD", directPlace, func(q *pay.PlaceRequest) { q.Currency = "USD" }, "amount.currency"},
		{"unknown limit_pay", directPlace, func(q *pay.PlaceRequest) { q.LimitPay = []string{"no_balance"} }, "limit_pay[0]"},
		{"JSAPI without openid", directPlace, func(q *pay.PlaceRequest) { q.TradeType = pay.TradeJSAPI }, "payer.openid"},
		{"openid over 128", directPlace, func(q *pay.PlaceRequest) { q.PayerOpenid = strings.Repeat("o", 129) }, "payer.openid"},
		{"partner JSAPI without openid", partnerPlace, func(q *pay.PlaceRequest) { q.SubOpenid = "" }, "payer"},
		{"partner JSAPI both openids", partnerPlace, func(q *pay.PlaceRequest) { q.SpOpenid = "o1" }, "payer"},
		{"sub_openid without sub_appid", partnerPlace, func(q *pay.PlaceRequest) { q.SubAppid = "" }, "sub_appid"},
		{"MWEB without client IP", directPlace, func(q *pay.PlaceRequest) { q.TradeType, q.H5Type = pay.TradeH5, "iOS" }, "scene_info.payer_client_ip"},
		{"bad client IP", directPlace, func(q *pay.PlaceRequest) { q.PayerClientIP = "1.2.3" }, "scene_info.payer_client_ip"},
		{"MWEB without h5 type", directPlace, func(q *pay.PlaceRequest) { q.TradeType, q.PayerClientIP = pay.TradeH5, "1.2.3.4" }, "scene_info.h5_info.type"},
		{"MWEB unknown h5 type", directPlace, func(q *pay.PlaceRequest) {
			q.TradeType, q.PayerClientIP, q.H5Type = pay.TradeH5, "1.2.3.4", "Web"
		}, "scene_info.h5_info.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.base()
			tt.edit(&q)
			err := q.Validate(now0)
			switch {
			case tt.field == "":
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
			case tt.field == pay.CodeInvalidRequest:
				wantError(t, "Validate()", err, pay.CodeInvalidRequest, "")
			default:
				if e := wantError(t, "Validate()", err, pay.CodeParamError, ""); e.Field != tt.field {
					t.Errorf("Validate() field = %q (%v), want %q", e.Field, err, tt.field)
				}
			}
		})
	}
}
