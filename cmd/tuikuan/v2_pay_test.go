package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/wechat"

	"github.com/tuikuan/tuikuan/internal/identity"
)

// v2PaymentHook is a merchant's v2 notify_url: it hands each payment notification, as
// gopay parses it, to the returned channel, and answers with the documented success.
func v2PaymentHook(t *testing.T) (string, <-chan gopay.BodyMap) {
	t.Helper()
	got := make(chan gopay.BodyMap, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bm, err := wechat.ParseNotifyToBodyMap(r)
		if err != nil {
			t.Errorf("ParseNotifyToBodyMap: %v", err)
		}
		got <- bm
		w.Write([]byte(`<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`))
	}))
	t.Cleanup(hook.Close)
	return hook.URL + "/wxpay/v2/notify", got
}

func v2PlaceBody(signType, tradeType, no, notifyURL string, kv ...string) gopay.BodyMap {
	bm := v2QueryBody(signType, kv...)
	bm.Set("body", "腾讯充值中心-QQ会员充值").Set("out_trade_no", no).Set("total_fee", 88).
		Set("spbill_create_ip", "123.12.12.123").Set("notify_url", notifyURL).Set("trade_type", tradeType)
	return bm
}

// v2Want checks fields of an answer gopay parsed into a BodyMap.
func v2Want(t *testing.T, what string, bm gopay.BodyMap, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := bm.GetString(kv[i]); got != kv[i+1] {
			t.Errorf("%s: %s = %q, want %q; answer %v", what, kv[i], got, kv[i+1], bm)
		}
	}
}

// v2Place places an order with gopay's UnifiedOrder and checks the answer's sign.
func v2Place(t *testing.T, c *wechat.Client, m identity.MerchantCredential, signType string, bm gopay.BodyMap) *wechat.UnifiedOrderResponse {
	t.Helper()
	rsp, err := c.UnifiedOrder(context.Background(), bm)
	if err != nil {
		t.Fatalf("UnifiedOrder: %v", err)
	}
	if rsp.ReturnCode != "SUCCESS" {
		t.Fatalf("UnifiedOrder = %+v", rsp)
	}
	if ok, err := wechat.VerifySign(m.APIv2Key, signType, rsp); !ok || err != nil {
		t.Errorf("VerifySign(%s) = %t, %v over %+v", signType, ok, err, rsp)
	}
	return rsp
}

// v2QueryOrder queries with gopay's QueryOrder and checks the answer's sign.
func v2QueryOrder(t *testing.T, c *wechat.Client, m identity.MerchantCredential, signType string, kv ...string) gopay.BodyMap {
	t.Helper()
	_, bm, err := c.QueryOrder(context.Background(), v2QueryBody(signType, kv...))
	if err != nil {
		t.Fatalf("QueryOrder: %v", err)
	}
	v2Verify(t, m, signType, bm)
	return bm
}

// v2CloseOrder closes with gopay's CloseOrder and checks the answer's sign.
func v2CloseOrder(t *testing.T, c *wechat.Client, m identity.MerchantCredential, signType string, kv ...string) *wechat.CloseOrderResponse {
	t.Helper()
	rsp, err := c.CloseOrder(context.Background(), v2QueryBody(signType, kv...))
	if err != nil {
		t.Fatalf("CloseOrder: %v", err)
	}
	if ok, err := wechat.VerifySign(m.APIv2Key, signType, rsp); !ok || err != nil {
		t.Errorf("VerifySign(%s) = %t, %v over %+v", signType, ok, err, rsp)
	}
	return rsp
}

func nextV2Notification(t *testing.T, got <-chan gopay.BodyMap) gopay.BodyMap {
	t.Helper()
	select {
	case bm := <-got:
		return bm
	case <-time.After(5 * time.Second):
		t.Fatal("no v2 payment notification within 5 s")
		return nil
	}
}

// Ensure gopay's v2 client places, queries and closes orders, in both sign types, and
// that the order placed through v2 is paid by the sandbox payer, notified the v2 way and
// refused as v2 words it: JSAPI NOTPAY → paid → SUCCESS by either id → ORDERPAID to
// closing and placing again.
func TestV2_UnifiedOrder(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "http", false)
	notifyURL, notes := v2PaymentHook(t)

	for _, st := range v2SignTypes {
		no := uniq("V2O")
		// gopay signs into the BodyMap it is given, so each call gets a fresh one.
		body := func() gopay.BodyMap {
			return v2PlaceBody(st, "JSAPI", no, notifyURL, "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "attach", "深圳分店", "device_info", "WEB")
		}
		rsp := v2Place(t, c, m, st, body())
		if rsp.ResultCode != "SUCCESS" || rsp.TradeType != "JSAPI" || rsp.PrepayId == "" || rsp.DeviceInfo != "WEB" ||
			rsp.Appid != m.Appid || rsp.MchId != m.Mchid || rsp.CodeUrl != "" {
			t.Errorf("UnifiedOrder(%s) = %+v", st, rsp)
		}
		again := v2Place(t, c, m, st, body())
		if again.PrepayId != rsp.PrepayId {
			t.Errorf("placed again: prepay_id %s, want %s", again.PrepayId, rsp.PrepayId)
		}

		v2Want(t, "unpaid", v2QueryOrder(t, c, m, st, "out_trade_no", no),
			"result_code", "SUCCESS", "trade_state", "NOTPAY", "out_trade_no", no, "attach", "深圳分店", "transaction_id", "")

		if code, _, e := s.payAs(t, map[string]any{"prepay_id": rsp.PrepayId, "bank_type": "CMB_CREDIT"}); code != http.StatusOK {
			t.Fatalf("pay: %d %+v", code, e)
		}
		n := nextV2Notification(t, notes)
		if ok, err := wechat.VerifySign(m.APIv2Key, wechat.SignType_MD5, n); !ok || err != nil {
			t.Errorf("notification VerifySign = %t, %v over %v", ok, err, n)
		}
		v2Want(t, "notification", n, "return_code", "SUCCESS", "result_code", "SUCCESS", "appid", m.Appid, "mch_id", m.Mchid,
			"out_trade_no", no, "total_fee", "88", "cash_fee", "88", "bank_type", "CMB_CREDIT", "trade_type", "JSAPI",
			"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "attach", "深圳分店")

		paid := v2QueryOrder(t, c, m, st, "out_trade_no", no)
		v2Want(t, "paid", paid, "trade_state", "SUCCESS", "transaction_id", n.GetString("transaction_id"), "total_fee", "88",
			"cash_fee", "88", "fee_type", "CNY", "bank_type", "CMB_CREDIT", "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
			"is_subscribe", "N", "time_end", n.GetString("time_end"), "trade_state_desc", "支付成功")
		if len(paid.GetString("time_end")) != len("20141030133525") {
			t.Errorf("time_end = %q, want yyyyMMddHHmmss", paid.GetString("time_end"))
		}
		v2Want(t, "by transaction_id", v2QueryOrder(t, c, m, st, "transaction_id", n.GetString("transaction_id")),
			"trade_state", "SUCCESS", "out_trade_no", no)

		if rsp := v2CloseOrder(t, c, m, st, "out_trade_no", no); rsp.ResultCode != "FAIL" || rsp.ErrCode != "ORDERPAID" {
			t.Errorf("CloseOrder of a paid order = %+v, want ORDERPAID", rsp)
		}
		if rsp := v2Place(t, c, m, st, body()); rsp.ResultCode != "FAIL" || rsp.ErrCode != "ORDERPAID" {
			t.Errorf("UnifiedOrder of a paid order = %+v, want ORDERPAID", rsp)
		}
	}
}

// Ensure NATIVE and MWEB orders answer code_url and mweb_url, that 关闭订单 closes an
// unpaid order once and then answers ORDERCLOSED, as 统一下单 does for it and the payer
// cannot pay it; and the v2 refusals of bad requests.
func TestV2_CloseOrder(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	c := s.v2Client(t, m, "http", false)
	notifyURL, _ := v2PaymentHook(t)
	st := wechat.SignType_HMAC_SHA256

	no := uniq("V2N")
	body := func() gopay.BodyMap {
		return v2PlaceBody(st, "NATIVE", no, notifyURL, "product_id", "12235413214070356458058")
	}
	native := v2Place(t, c, m, st, body())
	if native.ResultCode != "SUCCESS" || native.TradeType != "NATIVE" || native.CodeUrl == "" || native.PrepayId == "" {
		t.Errorf("UnifiedOrder(NATIVE) = %+v", native)
	}
	if rsp := v2CloseOrder(t, c, m, st, "out_trade_no", no); rsp.ReturnCode != "SUCCESS" || rsp.ResultCode != "SUCCESS" {
		t.Errorf("CloseOrder = %+v", rsp)
	}
	v2Want(t, "closed", v2QueryOrder(t, c, m, st, "out_trade_no", no), "trade_state", "CLOSED", "trade_state_desc", "订单已关闭")
	if rsp := v2CloseOrder(t, c, m, st, "out_trade_no", no); rsp.ErrCode != "ORDERCLOSED" {
		t.Errorf("CloseOrder again = %+v, want ORDERCLOSED", rsp)
	}
	if rsp := v2Place(t, c, m, st, body()); rsp.ErrCode != "ORDERCLOSED" {
		t.Errorf("UnifiedOrder of a closed order = %+v, want ORDERCLOSED", rsp)
	}
	if code, _, _ := s.payAs(t, map[string]any{"code_url": native.CodeUrl}); code == http.StatusOK {
		t.Errorf("paying a closed order: %d, want a refusal", code)
	}

	mweb := v2Place(t, c, m, st, v2PlaceBody(st, "MWEB", uniq("V2H"), notifyURL,
		"scene_info", `{"h5_info": {"type":"Wap","wap_url":"https://pay.qq.com","wap_name":"腾讯充值"}}`))
	if mweb.ResultCode != "SUCCESS" || mweb.MwebUrl == "" || mweb.TradeType != "MWEB" {
		t.Errorf("UnifiedOrder(MWEB) = %+v", mweb)
	}
	if code, _, e := s.payAs(t, map[string]any{"h5_url": mweb.MwebUrl}); code != http.StatusOK {
		t.Errorf("pay the MWEB order: %d %+v", code, e)
	}

	t.Run("Refusals", func(t *testing.T) {
		if rsp := v2Place(t, c, m, st, v2PlaceBody(st, "NATIVE", uniq("V2L"), notifyURL)); rsp.ErrCode != "LACK_PARAMS" || rsp.ErrCodeDes == "" {
			t.Errorf("NATIVE without product_id = %+v, want LACK_PARAMS", rsp)
		}
		if rsp := v2Place(t, c, m, st, body().Set("total_fee", 89)); rsp.ErrCode != "OUT_TRADE_NO_USED" {
			t.Errorf("out_trade_no placed with another total = %+v, want OUT_TRADE_NO_USED", rsp)
		}
		v2ErrCode(t, m, st, v2QueryOrder(t, c, m, st, "out_trade_no", uniq("NONE")), "ORDERNOTEXIST")
		v2ErrCode(t, m, st, v2QueryOrder(t, c, m, st, "transaction_id", "4200000000000000000000000000"), "ORDERNOTEXIST")
		if rsp := v2CloseOrder(t, c, m, st, "out_trade_no", uniq("NONE")); rsp.ErrCode != "ORDERNOTEXIST" {
			t.Errorf("CloseOrder of no order = %+v, want ORDERNOTEXIST", rsp)
		}
		wrong := m
		wrong.APIv2Key = "00000000000000000000000000000000"
		_, bm, err := s.v2Client(t, wrong, "http", false).QueryOrder(context.Background(), v2QueryBody(st, "out_trade_no", no))
		if err != nil {
			t.Fatal(err)
		}
		v2Fail(t, bm, "签名错误")
	})
}

// Ensure a partner places, queries and closes its sub-merchant's orders over v2, with
// sub_mch_id, sub_appid and sub_openid, and that the order is the sub-merchant's alone.
func TestV2_PartnerOrder(t *testing.T) {
	s := startServer(t)
	partner, sub, direct := s.merchant(t, "partner"), s.merchant(t, "sub"), s.merchant(t, "direct")
	c := s.v2Client(t, partner, "http", false)
	notifyURL, notes := v2PaymentHook(t)
	st := wechat.SignType_MD5
	no := uniq("V2P")
	rsp := v2Place(t, c, partner, st, v2PlaceBody(st, "JSAPI", no, notifyURL,
		"sub_mch_id", sub.Mchid, "sub_appid", sub.Appid, "sub_openid", "oSubPayer"))
	if rsp.ResultCode != "SUCCESS" || rsp.SubMchId != sub.Mchid || rsp.SubAppid != sub.Appid || rsp.MchId != partner.Mchid {
		t.Fatalf("UnifiedOrder = %+v", rsp)
	}
	if code, _, e := s.payAs(t, map[string]any{"prepay_id": rsp.PrepayId, "openid": "oSubPayer"}); code != http.StatusOK {
		t.Fatalf("pay: %d %+v", code, e)
	}
	n := nextV2Notification(t, notes)
	if ok, err := wechat.VerifySign(partner.APIv2Key, wechat.SignType_MD5, n); !ok || err != nil {
		t.Errorf("notification VerifySign under the partner's key = %t, %v over %v", ok, err, n)
	}
	v2Want(t, "notification", n, "mch_id", partner.Mchid, "sub_mch_id", sub.Mchid, "sub_appid", sub.Appid, "sub_openid", "oSubPayer", "out_trade_no", no)
	v2Want(t, "paid", v2QueryOrder(t, c, partner, st, "sub_mch_id", sub.Mchid, "out_trade_no", no),
		"trade_state", "SUCCESS", "sub_mch_id", sub.Mchid, "sub_openid", "oSubPayer", "transaction_id", n.GetString("transaction_id"))
	v2ErrCode(t, direct, st, v2QueryOrder(t, s.v2Client(t, direct, "http", false), direct, st, "out_trade_no", no), "ORDERNOTEXIST")
}
