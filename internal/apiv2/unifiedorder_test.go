package apiv2

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/golden"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// placeParams are a direct merchant's JSAPI 统一下单 parameters, with kv's changes.
func placeParams(kv ...string) map[string]string {
	return with(map[string]string{
		"appid": direct.Appid, "mch_id": direct.Mchid, "body": "腾讯充值中心-QQ会员充值",
		"out_trade_no": "20150806125346", "total_fee": "88", "spbill_create_ip": "123.12.12.123",
		"notify_url": "https://example.com/wxpay/notify", "trade_type": "JSAPI",
		"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}, kv...)
}

// Ensure every parameter of 统一下单 lands in the domain's request, direct and partner.
func TestPlaceRequest(t *testing.T) {
	expire := time.Date(2026, 12, 3, 22, 10, 10, 0, pay.Beijing)
	got, err := placeRequest(direct, placeParams("attach", "深圳分店", "goods_tag", "WXG", "fee_type", "CNY",
		"time_start", "20261203211010", "time_expire", "20261203221010", "limit_pay", "no_credit",
		"receipt", "Y", "profit_sharing", "Y", "detail", `{"cost_price":608800}`, "device_info", "013467007045764"))
	if err != nil {
		t.Fatal(err)
	}
	want := pay.PlaceRequest{
		TradeType: pay.TradeJSAPI, Caller: direct.Mchid, Appid: direct.Appid, Mchid: direct.Mchid, Protocol: pay.ProtocolV2,
		Description: "腾讯充值中心-QQ会员充值", OutTradeNo: "20150806125346", Attach: "深圳分店",
		NotifyURL: "https://example.com/wxpay/notify", GoodsTag: "WXG", TimeExpire: &expire, Total: 88, Currency: "CNY",
		PayerOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", PayerClientIP: "123.12.12.123",
		LimitPay: []string{"no_credit"}, SupportFapiao: true, ProfitSharing: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("direct JSAPI (-want +got):\n%s", diff)
	}

	p := placeParams("appid", partner.Appid, "mch_id", partner.Mchid, "sub_appid", sub.Appid,
		"sub_mch_id", sub.Mchid, "sub_openid", "oSub", "trade_type", "MWEB",
		"scene_info", `{"h5_info": {"type":"IOS","app_name":"王者荣耀","bundle_id":"com.tencent.wzryIOS"}}`)
	delete(p, "openid")
	got, err = placeRequest(partner, p)
	if err != nil {
		t.Fatal(err)
	}
	want = pay.PlaceRequest{
		TradeType: pay.TradeH5, Caller: partner.Mchid, SpAppid: partner.Appid, SpMchid: partner.Mchid,
		SubAppid: sub.Appid, SubMchid: sub.Mchid, Protocol: pay.ProtocolV2,
		Description: "腾讯充值中心-QQ会员充值", OutTradeNo: "20150806125346",
		NotifyURL: "https://example.com/wxpay/notify", Total: 88,
		SubOpenid: "oSub", PayerClientIP: "123.12.12.123", H5Type: "iOS",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("partner MWEB (-want +got):\n%s", diff)
	}
}

// Ensure what v2 alone requires or encodes is refused with 统一下单's codes.
func TestPlaceRequest_Errors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		code   string
		field  string
	}{
		{"NoBody", placeParams("body", "-"), codeLackParams, "body"},
		{"NoNotifyURL", placeParams("notify_url", "-"), codeLackParams, "notify_url"},
		{"NoIP", placeParams("spbill_create_ip", "-"), codeLackParams, "spbill_create_ip"},
		{"NativeNoProductID", placeParams("trade_type", "NATIVE"), codeLackParams, "product_id"},
		{"JSAPINoOpenid", placeParams("openid", "-"), codeLackParams, "openid"},
		{"MWEBNoSceneInfo", placeParams("trade_type", "MWEB"), codeLackParams, "scene_info"},
		{"TradeType", placeParams("trade_type", "MICROPAY"), pay.CodeParamError, "trade_type"},
		{"TotalFee", placeParams("total_fee", "8.8"), pay.CodeParamError, "total_fee"},
		{"TimeExpire", placeParams("time_expire", "2026-12-03 22:10:10"), pay.CodeParamError, "time_expire"},
		{"TimeStart", placeParams("time_start", "202612032210"), pay.CodeParamError, "time_start"},
		{"LimitPay", placeParams("limit_pay", "no_debit"), pay.CodeParamError, "limit_pay"},
		{"Receipt", placeParams("receipt", "y"), pay.CodeParamError, "receipt"},
		{"ProfitSharing", placeParams("profit_sharing", "true"), pay.CodeParamError, "profit_sharing"},
		{"SceneInfoJSON", placeParams("scene_info", "{"), pay.CodeParamError, "scene_info"},
		{"H5Type", placeParams("trade_type", "MWEB", "scene_info", `{"h5_info":{"type":"Windows"}}`), pay.CodeParamError, "scene_info"},
		{"H5Missing", placeParams("trade_type", "MWEB", "scene_info", `{"store_info":{}}`), pay.CodeParamError, "scene_info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			for k, v := range p {
				if v == "-" {
					delete(p, k)
				}
			}
			_, err := placeRequest(direct, p)
			var e *pay.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Field != tt.field {
				t.Errorf("placeRequest = %v, want %s on %s", err, tt.code, tt.field)
			}
		})
	}
}

// FuzzPlaceRequest feeds 统一下单's v2-only encodings anything: placeRequest must never
// panic, and what it accepts must mean what was sent.
func FuzzPlaceRequest(f *testing.F) {
	f.Add("JSAPI", "20261203221010", "", "no_credit", "Y")
	f.Add("MWEB", "", `{"h5_info":{"type":"Wap","wap_url":"https://m.example.com"}}`, "", "N")
	f.Add("NATIVE", "20261303221010", `{"store_info":{"id":"SZTX001"}}`, "x", "")
	f.Fuzz(func(t *testing.T, tradeType, timeExpire, sceneInfo, limitPay, receipt string) {
		p := placeParams("trade_type", tradeType, "time_expire", timeExpire, "scene_info", sceneInfo,
			"limit_pay", limitPay, "receipt", receipt, "product_id", "12235413214070356458058")
		for k, v := range p {
			if v == "" {
				delete(p, k)
			}
		}
		q, err := placeRequest(direct, p)
		if err != nil {
			var e *pay.Error
			if !errors.As(err, &e) || e.Field == "" {
				t.Fatalf("placeRequest error %v is not a *pay.Error naming a field", err)
			}
			return
		}
		if string(q.TradeType) != tradeType {
			t.Errorf("TradeType %q from %q", q.TradeType, tradeType)
		}
		if q.TimeExpire != nil && q.TimeExpire.In(pay.Beijing).Format(v2Time) != timeExpire {
			t.Errorf("time_expire %q read as %v", timeExpire, q.TimeExpire)
		}
		if (q.TimeExpire == nil) != (timeExpire == "") {
			t.Errorf("time_expire %q read as %v", timeExpire, q.TimeExpire)
		}
		if q.SupportFapiao != (receipt == "Y") {
			t.Errorf("receipt %q read as %t", receipt, q.SupportFapiao)
		}
		if q.TradeType == pay.TradeH5 && q.H5Type == "" {
			t.Errorf("MWEB accepted without h5_info.type from %q", sceneInfo)
		}
	})
}

// sampleOrder is a paid partner order with both kinds of coupon, its transaction_id and
// out_trade_no those of 查询订单's sample.
func sampleOrder() *pay.Order {
	return &pay.Order{
		ID: "1008450740201411110005820873", OutTradeNo: "1415757673", Mchid: "1900000109", SpMchid: "1900000100",
		Appid: "wx8888888888888888", SubAppid: "wx1111111111111111", Total: 1000, PayerTotal: 900, Currency: "CNY",
		Promotions: []pay.Promotion{
			{PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 60},
			{PromotionID: "109520", Scope: "GLOBAL", Type: "COUPON", Amount: 40},
		},
		BankType: "CMB_CREDIT", SuccessTime: time.Date(2014, 11, 11, 17, 20, 5, 0, pay.Beijing).UTC(),
		TradeType: pay.TradeJSAPI, TradeState: pay.TradeSuccess, TradeStateDesc: "支付成功", Attach: "订单额外描述",
		SpOpenid: "oUpF8uN95-Ptaags6E_roPHg7AG0", SubOpenid: "oSub8uN95-Ptaags6E_roPHg7AG0",
		PrepayID: "wx201411101639507cbf6ffd8b0779950874", Protocol: pay.ProtocolV2,
	}
}

// Ensure the order endpoints' answers stay as they are: 统一下单 of each trade type,
// 查询订单 paid and unpaid, 关闭订单, and their failures.
func TestGolden_Orders(t *testing.T) {
	a := seedAPI()
	native := sampleOrder()
	native.TradeType, native.CodeURL = pay.TradeNative, "weixin://wxpay/bizpayurl?pr=3Q8fM3Lzz"
	mweb := sampleOrder()
	mweb.TradeType, mweb.H5URL = pay.TradeH5, "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx201411101639507cbf6ffd8b0779950874&package=1037687096"
	notPay := sampleOrder()
	notPay.TradeState, notPay.TradeStateDesc, notPay.SuccessTime, notPay.BankType = pay.TradeNotPay, "订单未支付", time.Time{}, ""
	direct := sampleOrder()
	direct.SpMchid, direct.SpOpenid, direct.SubOpenid, direct.Promotions, direct.PayerTotal = "", "", "", nil, 1000
	direct.PayerOpenid, direct.BankType, direct.TradeState, direct.TradeStateDesc = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "", pay.TradeRefund, "转入退款"
	partnerCall := func(st string) *call {
		return seedCall(st, map[string]string{"sub_mch_id": "1900000111", "sub_appid": "wx1111111111111111"})
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"unifiedorder_jsapi", a.result(seedCall(signMD5, nil), endpoint.V2UnifiedOrder, placedReply("", sampleOrder()), nil).encode()},
		{"unifiedorder_native", a.result(seedCall(signHMAC, nil), endpoint.V2UnifiedOrder, placedReply("013467007045764", native), nil).encode()},
		{"unifiedorder_mweb", a.result(partnerCall(signMD5), endpoint.V2UnifiedOrder, placedReply("", mweb), nil).encode()},
		{"unifiedorder_orderpaid", a.result(seedCall(signMD5, nil), endpoint.V2UnifiedOrder, nil, &pay.Error{Code: pay.CodeTradeError, Message: "该订单已支付", Reason: pay.ReasonOrderPaid}).encode()},
		{"unifiedorder_lackparams", a.result(seedCall(signMD5, nil), endpoint.V2UnifiedOrder, nil, lackParams("product_id")).encode()},
		{"orderquery_success", a.result(partnerCall(signHMAC), endpoint.V2OrderQuery, orderReply(sampleOrder()), nil).encode()},
		{"orderquery_refund", a.result(seedCall(signMD5, nil), endpoint.V2OrderQuery, orderReply(direct), nil).encode()},
		{"orderquery_notpay", a.result(seedCall(signMD5, nil), endpoint.V2OrderQuery, orderReply(notPay), nil).encode()},
		{"orderquery_notexist", a.result(seedCall(signMD5, nil), endpoint.V2OrderQuery, nil, pay.Errorf(pay.CodeResourceNotExists, "订单不存在")).encode()},
		{"closeorder", a.result(seedCall(signMD5, nil), endpoint.V2CloseOrder, &reply{}, nil).encode()},
		{"closeorder_orderclosed", a.result(seedCall(signMD5, nil), endpoint.V2CloseOrder, nil, pay.Errorf(pay.CodeOrderClosed, "当前订单已关闭，请重新下单")).encode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Check(t, tt.name, tt.body)
		})
	}
}
