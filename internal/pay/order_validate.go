package pay

import (
	"fmt"
	"net"
	"time"
)

// Validate checks q's fields on their own, before anything is looked up, in the order the
// 下单 pages list them (https://pay.weixin.qq.com/doc/v3/merchant/4012791897 and, for a
// partner, https://pay.weixin.qq.com/doc/v3/partner/4012738519). now is the business time
// time_expire must come after.
func (q *PlaceRequest) Validate(now time.Time) error {
	if q.Caller == "" {
		return Errorf(CodeInvalidRequest, "缺少请求签名的商户号")
	}
	if err := firstError(
		required("trade_type", string(q.TradeType), 16),
		oneOf("trade_type", string(q.TradeType), string(TradeJSAPI), string(TradeApp), string(TradeH5), string(TradeNative)),
		oneOf("protocol", q.Protocol, ProtocolV2),
		q.validateParties(),
		required("description", q.Description, 127),
		required("out_trade_no", q.OutTradeNo, 32),
		tradeNo(q.OutTradeNo),
		maxBytes("attach", q.Attach, 128),
		required("notify_url", q.NotifyURL, 256),
		notifyURL(q.NotifyURL),
		maxBytes("goods_tag", q.GoodsTag, 32),
	); err != nil {
		return err
	}
	if q.TimeExpire != nil && !q.TimeExpire.After(now) {
		return ParamError("time_expire", "订单失效时间必须晚于当前时间", q.TimeExpire.In(Beijing).Format(time.RFC3339))
	}
	if q.Total < 1 {
		return ParamError("amount.total", "订单金额必须大于等于1分", q.Total)
	}
	if q.Currency != "" && q.Currency != "CNY" {
		return ParamError("amount.currency", "境内商户号仅支持人民币CNY", q.Currency)
	}
	for i, l := range q.LimitPay {
		if err := oneOf(fmt.Sprintf("limit_pay[%d]", i), l, "no_credit", "no_debit"); err != nil {
			return err
		}
	}
	return firstError(q.validatePayer(), q.validateScene())
}

// validateParties: a direct order names appid and mchid, a partner's sp_appid, sp_mchid
// and sub_mchid (sub_appid optional); never a mix.
func (q *PlaceRequest) validateParties() error {
	if q.SpMchid == "" && q.SpAppid == "" && q.SubMchid == "" && q.SubAppid == "" {
		return firstError(required("appid", q.Appid, 32), required("mchid", q.Mchid, 32))
	}
	switch {
	case q.Appid != "":
		return ParamError("appid", "服务商下单请传sp_appid，不能传appid", q.Appid)
	case q.Mchid != "":
		return ParamError("mchid", "服务商下单请传sp_mchid，不能传mchid", q.Mchid)
	}
	return firstError(
		required("sp_appid", q.SpAppid, 32),
		required("sp_mchid", q.SpMchid, 32),
		maxBytes("sub_appid", q.SubAppid, 32),
		required("sub_mchid", q.SubMchid, 32),
	)
}

// validatePayer: a JSAPI order is paid by the payer it names, under appid for a direct
// order, under sp_appid (sp_openid) or sub_appid (sub_openid) for a partner's.
func (q *PlaceRequest) validatePayer() error {
	if err := firstError(
		maxBytes("payer.openid", q.PayerOpenid, 128),
		maxBytes("payer.sp_openid", q.SpOpenid, 128),
		maxBytes("payer.sub_openid", q.SubOpenid, 128),
	); err != nil {
		return err
	}
	if q.TradeType != TradeJSAPI {
		return nil
	}
	if q.SpMchid == "" {
		return required("payer.openid", q.PayerOpenid, 128)
	}
	switch {
	case q.SpOpenid == "" && q.SubOpenid == "":
		return ParamError("payer", "sp_openid和sub_openid必须二选一", nil)
	case q.SpOpenid != "" && q.SubOpenid != "":
		return ParamError("payer", "sp_openid和sub_openid只能二选一", nil)
	case q.SubOpenid != "" && q.SubAppid == "":
		return ParamError("sub_appid", "传入sub_openid时sub_appid必填", nil)
	}
	return nil
}

// validateScene: an H5 order names the payer's IP and the H5 scene
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791834, scene_info).
func (q *PlaceRequest) validateScene() error {
	if q.PayerClientIP != "" && net.ParseIP(q.PayerClientIP) == nil {
		return ParamError("scene_info.payer_client_ip", "不是合法的IPv4或IPv6地址", q.PayerClientIP)
	}
	if q.TradeType != TradeH5 {
		return nil
	}
	return firstError(
		required("scene_info.payer_client_ip", q.PayerClientIP, 45),
		required("scene_info.h5_info.type", q.H5Type, 32),
		oneOf("scene_info.h5_info.type", q.H5Type, "iOS", "Android", "Wap"),
	)
}
