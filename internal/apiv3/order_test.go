package apiv3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
)

// placeJSON is a valid direct JSAPI 下单 body for the merchant mchid, with extra
// top-level members spliced in (each `"key":value`, comma-led).
func placeJSON(appid, mchid, extra string) []byte {
	return fmt.Appendf(nil, `{"appid":%q,"mchid":%q,"description":"Image形象店-深圳腾大-QQ公仔",`+
		`"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",`+
		`"amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}%s}`, appid, mchid, extra)
}

// partnerPlaceJSON is a valid partner JSAPI 下单 body, with extra members spliced in.
func partnerPlaceJSON(spAppid, spMchid, subMchid, extra string) []byte {
	return fmt.Appendf(nil, `{"sp_appid":%q,"sp_mchid":%q,"sub_mchid":%q,"description":"Image形象店-深圳腾大-QQ公仔",`+
		`"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",`+
		`"amount":{"total":100},"payer":{"sp_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}%s}`, spAppid, spMchid, subMchid, extra)
}

// Ensure a 下单 body of the wrong shape is refused before the domain sees it, with
// PARAM_ERROR naming the field: unknown members (the other family's too), wrong types,
// duplicate keys, a bad time_expire, and the nested objects' required fields.
func TestPlace_Refusals(t *testing.T) {
	s := startServer(t, false)
	direct, sp, sub := s.merchants[pay.KindDirect], s.merchants[pay.KindPartner], s.merchants[pay.KindSub]
	directBody := func(extra string) []byte { return placeJSON(direct.Appid, direct.Mchid, extra) }
	partnerBody := func(extra string) []byte { return partnerPlaceJSON(sp.Appid, sp.Mchid, sub.Mchid, extra) }
	tests := []struct {
		name    string
		partner bool
		path    string
		body    []byte
		field   string
	}{
		{name: "UnknownField", path: "jsapi", body: directBody(`,"foo":1`), field: "foo"},
		{name: "PartnerFieldOnDirect", path: "native", body: directBody(`,"sub_mchid":"1900000109"`), field: "sub_mchid"},
		{name: "DirectPayerOnPartner", partner: true, path: "jsapi", body: partnerBody(`,"appid":"wx1"`), field: "appid"},
		{name: "UnknownNested", path: "app", body: directBody(`,"scene_info":{"payer_client_ip":"1.2.3.4","x":1}`), field: "scene_info.x"},
		{name: "TotalAsString", path: "jsapi", body: []byte(`{"amount":{"total":"100"}}`), field: "amount.total"},
		{name: "LimitPayNotArray", path: "jsapi", body: directBody(`,"limit_pay":"no_credit"`), field: "limit_pay"},
		{name: "FapiaoNotBool", path: "h5", body: directBody(`,"support_fapiao":"true"`), field: "support_fapiao"},
		{name: "Duplicate", path: "jsapi", body: directBody(`,"attach":"a","attach":"b"`), field: "attach"},
		{name: "MissingAmount", path: "jsapi", body: []byte(`{"appid":"wx1","mchid":"1"}`), field: "amount"},
		{name: "MissingTotal", partner: true, path: "native", body: []byte(`{"amount":{"currency":"CNY"}}`), field: "amount.total"},
		{name: "TimeExpireNotRFC3339", path: "native", body: directBody(`,"time_expire":"2025-06-01 10:00:00"`), field: "time_expire"},
		{name: "TimeExpireNoZone", path: "native", body: directBody(`,"time_expire":"2025-06-01T10:00:00"`), field: "time_expire"},
		{name: "GoodsWithoutQuantity", path: "jsapi", field: "detail.goods_detail[1].quantity",
			body: directBody(`,"detail":{"goods_detail":[{"merchant_goods_id":"1","quantity":1,"unit_price":1},{"merchant_goods_id":"2","unit_price":1}]}`)},
		{name: "GoodsWithoutID", partner: true, path: "app", field: "detail.goods_detail[0].merchant_goods_id",
			body: partnerBody(`,"detail":{"goods_detail":[{"quantity":1,"unit_price":1}]}`)},
		{name: "SceneWithoutIP", path: "jsapi", body: directBody(`,"scene_info":{"device_id":"013467007045764"}`), field: "scene_info.payer_client_ip"},
		{name: "StoreWithoutID", path: "native", body: directBody(`,"scene_info":{"payer_client_ip":"1.2.3.4","store_info":{"name":"腾讯大厦分店"}}`), field: "scene_info.store_info.id"},
		{name: "H5WithoutType", partner: true, path: "h5", body: partnerBody(`,"scene_info":{"payer_client_ip":"1.2.3.4","h5_info":{"app_name":"王者荣耀"}}`), field: "scene_info.h5_info.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, kind := "/v3/pay/transactions/"+tt.path, pay.KindDirect
			if tt.partner {
				target, kind = "/v3/pay/partner/transactions/"+tt.path, pay.KindPartner
			}
			r := s.signed(t, kind, "POST", target, tt.body)
			e := r.error(t)
			if r.status != http.StatusBadRequest || e.Code != pay.CodeParamError || e.Detail.Field != tt.field {
				t.Errorf("POST %s %s = %d %s, want 400 PARAM_ERROR on %s", target, tt.body, r.status, r.body, tt.field)
			}
		})
	}
}

// Ensure a query or close that names no merchant, or one other than the signer, is
// refused: mchid (direct) or sp_mchid and sub_mchid (partner) are required, and mchid
// or sp_mchid must be the merchant that signed.
func TestOrderMerchant_Refusals(t *testing.T) {
	s := startServer(t, false)
	direct, sp, sub := s.merchants[pay.KindDirect], s.merchants[pay.KindPartner], s.merchants[pay.KindSub]
	tests := []struct {
		name   string
		kind   pay.Kind
		method string
		target string
		body   string
		code   string
	}{
		{"QueryNoMchid", pay.KindDirect, "GET", "/v3/pay/transactions/out-trade-no/T1", "", pay.CodeParamError},
		{"QueryOtherMchid", pay.KindDirect, "GET", "/v3/pay/transactions/id/4200000000202506010000000001?mchid=" + sp.Mchid, "", pay.CodeInvalidRequest},
		{"PartnerQueryNoSub", pay.KindPartner, "GET", "/v3/pay/partner/transactions/out-trade-no/T1?sp_mchid=" + sp.Mchid, "", pay.CodeParamError},
		{"PartnerQueryOtherSp", pay.KindPartner, "GET", "/v3/pay/partner/transactions/id/4200000000202506010000000001?sp_mchid=" + direct.Mchid + "&sub_mchid=" + sub.Mchid, "", pay.CodeInvalidRequest},
		{"CloseNoMchid", pay.KindDirect, "POST", "/v3/pay/transactions/out-trade-no/T1/close", `{}`, pay.CodeParamError},
		{"CloseOtherMchid", pay.KindDirect, "POST", "/v3/pay/transactions/out-trade-no/T1/close", `{"mchid":"` + sp.Mchid + `"}`, pay.CodeInvalidRequest},
		{"CloseUnknownField", pay.KindDirect, "POST", "/v3/pay/transactions/out-trade-no/T1/close", `{"mchid":"` + direct.Mchid + `","sub_mchid":"1"}`, pay.CodeParamError},
		{"PartnerCloseNoSub", pay.KindPartner, "POST", "/v3/pay/partner/transactions/out-trade-no/T1/close", `{"sp_mchid":"` + sp.Mchid + `"}`, pay.CodeParamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			r := s.signed(t, tt.kind, tt.method, tt.target, body)
			if e := r.error(t); r.status != http.StatusBadRequest || e.Code != tt.code {
				t.Errorf("%s %s %s = %d %s, want 400 %s", tt.method, tt.target, body, r.status, r.body, tt.code)
			}
		})
	}
}

// Ensure every field wechatpay-go's PrepayRequest can send is accepted and reaches the
// domain's PlaceRequest: the direct and partner JSAPI bodies in full.
func TestDecodePlace_Full(t *testing.T) {
	expire := time.Date(2018, 6, 8, 10, 34, 56, 0, time.FixedZone("", 8*3600))
	rest := `,"time_expire":"2018-06-08T10:34:56+08:00","attach":"自定义数据","goods_tag":"WXG",` +
		`"limit_pay":["no_credit"],"support_fapiao":true,"settle_info":{"profit_sharing":true},` +
		`"detail":{"cost_price":608800,"invoice_id":"微信123","goods_detail":[{"merchant_goods_id":"1246464644",` +
		`"wechatpay_goods_id":"1001","goods_name":"iPhoneX 256G","quantity":1,"unit_price":528800}]},` +
		`"scene_info":{"payer_client_ip":"14.23.150.211","device_id":"013467007045764","store_info":{"id":"0001",` +
		`"name":"腾讯大厦分店","area_code":"440305","address":"广东省深圳市南山区科技中一道10000号"},` +
		`"h5_info":{"type":"iOS","app_name":"王者荣耀","app_url":"https://pay.qq.com","bundle_id":"com.tencent.wzryiOS","package_name":"com.tencent.tmgp.sgame"}}`
	tests := []struct {
		name    string
		partner bool
		body    []byte
		want    pay.PlaceRequest
	}{
		{"Direct", false, placeJSON("wxd678efh567hg6787", "1230000109", rest), pay.PlaceRequest{
			Appid: "wxd678efh567hg6787", Mchid: "1230000109", PayerOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", Currency: "CNY",
		}},
		{"Partner", true, partnerPlaceJSON("wx8888888888888888", "1230000109", "1900000109", rest+`,"sub_appid":"wxd678efh567hg6999"`), pay.PlaceRequest{
			SpAppid: "wx8888888888888888", SpMchid: "1230000109", SubAppid: "wxd678efh567hg6999", SubMchid: "1900000109",
			SpOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got pay.PlaceRequest
			if err := decodePlace(tt.body, "application/json", true, tt.partner, &got); err != nil {
				t.Fatalf("decodePlace: %v", err)
			}
			want := tt.want
			want.Description, want.OutTradeNo = "Image形象店-深圳腾大-QQ公仔", "1217752501201407033233368018"
			want.NotifyURL, want.Attach, want.GoodsTag = "https://www.weixin.qq.com/wxpay/pay.php", "自定义数据", "WXG"
			want.Total, want.LimitPay, want.SupportFapiao, want.ProfitSharing = 100, []string{"no_credit"}, true, true
			want.PayerClientIP, want.H5Type = "14.23.150.211", "iOS"
			if got.TimeExpire == nil || !got.TimeExpire.Equal(expire) {
				t.Errorf("TimeExpire = %v, want %v", got.TimeExpire, expire)
			}
			got.TimeExpire = nil
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("decodePlace =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// FuzzDecodePlace feeds 下单 bodies to both decoders: none panics, and every refusal
// is a *pay.Error the envelope can show, and only JSON is accepted.
func FuzzDecodePlace(f *testing.F) {
	f.Add(placeJSON("wx1", "1230000109", `,"time_expire":"2018-06-08T10:34:56+08:00","scene_info":{"payer_client_ip":"1.2.3.4","h5_info":{"type":"Wap"}}`))
	f.Add(partnerPlaceJSON("wx1", "1", "2", `,"detail":{"goods_detail":[{"merchant_goods_id":"1","quantity":1,"unit_price":1}]}`))
	f.Add([]byte(`{"amount":{"total":-1},"time_expire":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, partner := range []bool{false, true} {
			var q pay.PlaceRequest
			err := decodePlace(body, "application/json", true, partner, &q)
			var pe *pay.Error
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("decodePlace(%q) = %T %v, want *pay.Error", body, err, err)
			}
			if err == nil && !json.Valid(body) {
				t.Fatalf("decodePlace(%q) accepted a body that is not JSON", body)
			}
		}
	})
}

// decodeAnswer decodes a 200 answer into v, failing the test on any other.
func decodeAnswer(t *testing.T, what string, r response, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s = %d %s, want 200", what, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v in %s", what, err, r.body)
	}
}

// Ensure a direct merchant's order goes through the endpoints as wechatpay-go sees it:
// placed (prepay_id), queried unpaid by out_trade_no (NOTPAY, unknown by
// transaction_id), paid, queried paid by either number, and a paid order refuses to
// close while an unpaid one closes with 204 and queries CLOSED.
func TestOrders_Direct(t *testing.T) {
	s := startServer(t, false)
	m := s.merchants[pay.KindDirect]
	ctx := t.Context()
	var placed struct {
		PrepayID string `json:"prepay_id"`
	}
	decodeAnswer(t, "POST jsapi", s.signed(t, pay.KindDirect, "POST", "/v3/pay/transactions/jsapi", placeJSON(m.Appid, m.Mchid, "")), &placed)

	byNo := "/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=" + m.Mchid
	var unpaid payments.Transaction
	decodeAnswer(t, "GET unpaid", s.signed(t, pay.KindDirect, "GET", byNo, nil), &unpaid)
	if *unpaid.TradeState != "NOTPAY" || unpaid.TransactionId != nil || unpaid.SuccessTime != nil || unpaid.Amount.PayerTotal != nil {
		t.Errorf("unpaid order = %s, want NOTPAY without transaction_id, success_time, payer_total", unpaid)
	}

	o, err := s.svc.Orders.Pay(ctx, pay.PayRequest{PrepayID: placed.PrepayID})
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	for _, target := range []string{byNo, "/v3/pay/transactions/id/" + o.ID + "?mchid=" + m.Mchid} {
		var paid payments.Transaction
		decodeAnswer(t, "GET "+target, s.signed(t, pay.KindDirect, "GET", target, nil), &paid)
		if *paid.TradeState != "SUCCESS" || *paid.TransactionId != o.ID || *paid.TradeType != "JSAPI" ||
			*paid.Payer.Openid != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || *paid.Amount.PayerTotal != 100 || paid.SuccessTime == nil {
			t.Errorf("GET %s = %s, want the paid order", target, paid)
		}
	}
	closeBody := []byte(`{"mchid":"` + m.Mchid + `"}`)
	if r := s.signed(t, pay.KindDirect, "POST", "/v3/pay/transactions/out-trade-no/1217752501201407033233368018/close", closeBody); r.status == http.StatusNoContent {
		t.Errorf("closing a paid order = 204, want a refusal")
	}

	native := bytes.Replace(placeJSON(m.Appid, m.Mchid, ""), []byte("1217752501201407033233368018"), []byte("NATIVE0002"), 1)
	native = bytes.Replace(native, []byte(`,"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}`), nil, 1)
	var qr struct {
		CodeURL string `json:"code_url"`
	}
	decodeAnswer(t, "POST native", s.signed(t, pay.KindDirect, "POST", "/v3/pay/transactions/native", native), &qr)
	if !strings.HasPrefix(qr.CodeURL, "weixin://") {
		t.Errorf("code_url = %q, want weixin://…", qr.CodeURL)
	}
	if r := s.signed(t, pay.KindDirect, "POST", "/v3/pay/transactions/out-trade-no/NATIVE0002/close", closeBody); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("close NATIVE0002 = %d %s, want 204", r.status, r.body)
	}
	var closed payments.Transaction
	decodeAnswer(t, "GET closed", s.signed(t, pay.KindDirect, "GET", "/v3/pay/transactions/out-trade-no/NATIVE0002?mchid="+m.Mchid, nil), &closed)
	if *closed.TradeState != "CLOSED" {
		t.Errorf("closed order = %s, want CLOSED", closed)
	}
}

// Ensure a partner's order for its sub-merchant goes through the partner endpoints:
// placed for H5 (h5_url), paid, queried in the partner shape by either number, and
// another closed with 204.
func TestOrders_Partner(t *testing.T) {
	s := startServer(t, false)
	sp, sub := s.merchants[pay.KindPartner], s.merchants[pay.KindSub]
	h5 := bytes.Replace(partnerPlaceJSON(sp.Appid, sp.Mchid, sub.Mchid, `,"scene_info":{"payer_client_ip":"14.23.150.211","h5_info":{"type":"Wap"}}`),
		[]byte(`,"payer":{"sp_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}`), nil, 1)
	var placed struct {
		H5URL string `json:"h5_url"`
	}
	decodeAnswer(t, "POST partner h5", s.signed(t, pay.KindPartner, "POST", "/v3/pay/partner/transactions/h5", h5), &placed)
	o, err := s.svc.Orders.Pay(t.Context(), pay.PayRequest{H5URL: placed.H5URL})
	if err != nil {
		t.Fatalf("Pay: %v", err)
	}
	q := "?sp_mchid=" + sp.Mchid + "&sub_mchid=" + sub.Mchid
	for _, target := range []string{"/v3/pay/partner/transactions/id/" + o.ID + q, "/v3/pay/partner/transactions/out-trade-no/" + o.OutTradeNo + q} {
		var paid partnerpayments.Transaction
		decodeAnswer(t, "GET "+target, s.signed(t, pay.KindPartner, "GET", target, nil), &paid)
		if *paid.TradeState != "SUCCESS" || *paid.SpMchid != sp.Mchid || *paid.SubMchid != sub.Mchid ||
			*paid.SpAppid != sp.Appid || *paid.TradeType != "MWEB" || *paid.TransactionId != o.ID {
			t.Errorf("GET %s = %s, want the paid partner order", target, paid)
		}
	}

	app := bytes.Replace(partnerPlaceJSON(sp.Appid, sp.Mchid, sub.Mchid, ""), []byte("1217752501201407033233368018"), []byte("APP0000002"), 1)
	app = bytes.Replace(app, []byte(`,"payer":{"sp_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}`), nil, 1)
	var prepay struct {
		PrepayID string `json:"prepay_id"`
	}
	decodeAnswer(t, "POST partner app", s.signed(t, pay.KindPartner, "POST", "/v3/pay/partner/transactions/app", app), &prepay)
	closeBody := []byte(`{"sp_mchid":"` + sp.Mchid + `","sub_mchid":"` + sub.Mchid + `"}`)
	if r := s.signed(t, pay.KindPartner, "POST", "/v3/pay/partner/transactions/out-trade-no/APP0000002/close", closeBody); r.status != http.StatusNoContent {
		t.Errorf("partner close APP0000002 = %d %s, want 204", r.status, r.body)
	}
}
