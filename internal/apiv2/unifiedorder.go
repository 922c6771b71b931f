package apiv2

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// unifiedOrder is POST /pay/unifiedorder (统一下单,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1, NATIVE's
// https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=9_1): the same
// pay.Orders.Place as APIv3's 下单, so an order placed here is queried, paid, closed and
// refunded through either API.
func (a *api) unifiedOrder(c *call) (*reply, error) {
	q, err := placeRequest(c.merchant, c.params)
	if err != nil {
		return nil, err
	}
	o, err := a.svc.Orders.Place(c.Context(), q)
	if err != nil {
		return nil, err
	}
	return placedReply(c.get("device_info"), o), nil
}

// v2Time is the layout of time_start, time_expire and time_end: yyyyMMddHHmmss in Beijing
// time (统一下单, time_expire).
const v2Time = "20060102150405"

// codeLackParams is 统一下单's "缺少必要的请求参数".
const codeLackParams = "LACK_PARAMS"

// placeRequest maps 统一下单's parameters onto the domain's request. A partner (or any
// request naming sub_mch_id) places for its sub-merchant: appid and mch_id are then the
// partner's, openid is the payer under the partner's appid and sub_openid under
// sub_appid (服务商 统一下单). Only what v2 alone says is checked here: the presence of
// the parameters it requires, and the shape of its own encodings (yyyyMMddHHmmss, Y/N,
// no_credit, scene_info's JSON); every rule the two APIs share is the domain's.
func placeRequest(m *pay.Merchant, p map[string]string) (pay.PlaceRequest, error) {
	q := pay.PlaceRequest{
		TradeType: pay.TradeType(p["trade_type"]), Caller: m.Mchid, Protocol: pay.ProtocolV2,
		Description: p["body"], OutTradeNo: p["out_trade_no"], Attach: p["attach"],
		NotifyURL: p["notify_url"], GoodsTag: p["goods_tag"], Currency: p["fee_type"],
		PayerClientIP: p["spbill_create_ip"],
	}
	partnerShaped := m.Kind == pay.KindPartner || p["sub_mch_id"] != ""
	if partnerShaped {
		q.SpAppid, q.SpMchid, q.SubAppid, q.SubMchid = p["appid"], m.Mchid, p["sub_appid"], p["sub_mch_id"]
		q.SpOpenid, q.SubOpenid = p["openid"], p["sub_openid"]
	} else {
		q.Appid, q.Mchid, q.PayerOpenid = p["appid"], m.Mchid, p["openid"]
	}
	if err := lacking(p, partnerShaped); err != nil {
		return q, err
	}
	switch q.TradeType {
	case pay.TradeJSAPI, pay.TradeNative, pay.TradeApp, pay.TradeH5:
	default:
		return q, paramError("trade_type", "取值必须是 JSAPI、NATIVE、APP、MWEB 之一")
	}
	var err error
	if q.Total, err = fee(p, "total_fee"); err != nil {
		return q, err
	}
	if _, err := parseTime(p, "time_start"); err != nil {
		return q, err
	}
	if q.TimeExpire, err = parseTime(p, "time_expire"); err != nil {
		return q, err
	}
	switch p["limit_pay"] {
	case "":
	case "no_credit":
		q.LimitPay = []string{"no_credit"}
	default:
		return q, paramError("limit_pay", "取值只能是 no_credit")
	}
	if q.SupportFapiao, err = yesNo(p, "receipt"); err != nil {
		return q, err
	}
	if q.ProfitSharing, err = yesNo(p, "profit_sharing"); err != nil {
		return q, err
	}
	if q.H5Type, err = h5Type(p["scene_info"], q.TradeType); err != nil {
		return q, err
	}
	return q, nil
}

// lacking is LACK_PARAMS for the first parameter 统一下单 requires that is missing: the
// six every trade type needs, product_id for NATIVE, and the payer's openid (or, for a
// partner, sub_openid) for JSAPI.
func lacking(p map[string]string, partner bool) error {
	for _, name := range []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"} {
		if p[name] == "" {
			return lackParams(name)
		}
	}
	switch {
	case p["trade_type"] == string(pay.TradeNative) && p["product_id"] == "":
		return lackParams("product_id")
	case p["trade_type"] == string(pay.TradeJSAPI) && p["openid"] == "" && (!partner || p["sub_openid"] == ""):
		return lackParams("openid")
	}
	return nil
}

func lackParams(field string) *pay.Error {
	return &pay.Error{Code: codeLackParams, Message: "缺少参数" + field, Field: field, Issue: "缺少参数"}
}

// parseTime reads an optional yyyyMMddHHmmss in Beijing time.
func parseTime(p map[string]string, name string) (*time.Time, error) {
	v := p[name]
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(v2Time, v, pay.Beijing)
	if err != nil || len(v) != len(v2Time) {
		return nil, paramError(name, "格式应为yyyyMMddHHmmss，如20091227091010")
	}
	return &t, nil
}

// yesNo reads an optional Y/N flag (receipt, profit_sharing).
func yesNo(p map[string]string, name string) (bool, error) {
	switch p[name] {
	case "", "N":
		return false, nil
	case "Y":
		return true, nil
	}
	return false, paramError(name, "取值只能是 Y 或 N")
}

// h5Types are scene_info's h5_info.type values (H5支付 统一下单, scene_info: "IOS",
// "Android", "Wap") in the domain's (APIv3's) spelling.
var h5Types = map[string]string{"IOS": "iOS", "Android": "Android", "Wap": "Wap"}

// h5Type reads scene_info, a JSON object as text: for MWEB its h5_info.type, which MWEB
// requires; other trade types may send a store's store_info, which is not kept.
func h5Type(sceneInfo string, tt pay.TradeType) (string, error) {
	if sceneInfo == "" {
		if tt == pay.TradeH5 {
			return "", lackParams("scene_info")
		}
		return "", nil
	}
	var s struct {
		H5Info *struct {
			Type string `json:"type"`
		} `json:"h5_info"`
	}
	d := json.NewDecoder(bytes.NewReader([]byte(sceneInfo)))
	if err := d.Decode(&s); err != nil || d.More() {
		return "", paramError("scene_info", "应为JSON对象")
	}
	if tt != pay.TradeH5 {
		return "", nil
	}
	if s.H5Info == nil {
		return "", paramError("scene_info", "MWEB须有h5_info")
	}
	t, ok := h5Types[s.H5Info.Type]
	if !ok {
		return "", paramError("scene_info", "h5_info.type取值必须是 IOS、Android、Wap 之一")
	}
	return t, nil
}

// placedReply is 统一下单's answer: trade_type and prepay_id, with code_url for NATIVE and
// mweb_url for MWEB; device_info echoes the request's.
func placedReply(deviceInfo string, o *pay.Order) *reply {
	rp := &reply{}
	rp.add("device_info", deviceInfo)
	rp.add("trade_type", string(o.TradeType))
	rp.add("prepay_id", o.PrepayID)
	rp.add("code_url", o.CodeURL)
	rp.add("mweb_url", o.H5URL)
	return rp
}
