package apiv3

import (
	"context"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/jsonapi"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// orderBody is what every 下单 request shares, direct or a partner's, JSAPI, APP, H5 or
// Native (https://pay.weixin.qq.com/doc/v3/merchant/4012791856,
// https://pay.weixin.qq.com/doc/v3/partner/4012523579, 请求参数; every field
// wechatpay-go's payments and partnerpayments PrepayRequest send).
type orderBody struct {
	Description   *string          `json:"description"`
	OutTradeNo    *string          `json:"out_trade_no"`
	TimeExpire    *string          `json:"time_expire"`
	Attach        *string          `json:"attach"`
	NotifyURL     *string          `json:"notify_url"`
	GoodsTag      *string          `json:"goods_tag"`
	LimitPay      []string         `json:"limit_pay"`
	SupportFapiao *bool            `json:"support_fapiao"`
	Amount        *orderAmountBody `json:"amount"`
	Detail        *detailBody      `json:"detail"`
	SceneInfo     *sceneBody       `json:"scene_info"`
	SettleInfo    *settleBody      `json:"settle_info"`
}

// placeBody is a direct merchant's 下单.
type placeBody struct {
	Appid *string    `json:"appid"`
	Mchid *string    `json:"mchid"`
	Payer *payerBody `json:"payer"`
	orderBody
}

// partnerPlaceBody is a partner's 下单 for its sub-merchant.
type partnerPlaceBody struct {
	SpAppid  *string           `json:"sp_appid"`
	SpMchid  *string           `json:"sp_mchid"`
	SubAppid *string           `json:"sub_appid"`
	SubMchid *string           `json:"sub_mchid"`
	Payer    *partnerPayerBody `json:"payer"`
	orderBody
}

type payerBody struct {
	Openid *string `json:"openid"`
}

type partnerPayerBody struct {
	SpOpenid  *string `json:"sp_openid"`
	SubOpenid *string `json:"sub_openid"`
}

type orderAmountBody struct {
	Total    *int64  `json:"total"`
	Currency *string `json:"currency"`
}

// detailBody (优惠功能) is checked for shape and otherwise not kept: a sandbox payment
// applies no single-item promotion.
type detailBody struct {
	CostPrice   *int64           `json:"cost_price"`
	InvoiceID   *string          `json:"invoice_id"`
	GoodsDetail []orderGoodsBody `json:"goods_detail"`
}

type orderGoodsBody struct {
	MerchantGoodsID  *string `json:"merchant_goods_id"`
	WechatpayGoodsID *string `json:"wechatpay_goods_id"`
	GoodsName        *string `json:"goods_name"`
	Quantity         *int64  `json:"quantity"`
	UnitPrice        *int64  `json:"unit_price"`
}

type sceneBody struct {
	PayerClientIP *string        `json:"payer_client_ip"`
	DeviceID      *string        `json:"device_id"`
	StoreInfo     *storeInfoBody `json:"store_info"`
	H5Info        *h5InfoBody    `json:"h5_info"`
}

type storeInfoBody struct {
	ID       *string `json:"id"`
	Name     *string `json:"name"`
	AreaCode *string `json:"area_code"`
	Address  *string `json:"address"`
}

type h5InfoBody struct {
	Type        *string `json:"type"`
	AppName     *string `json:"app_name"`
	AppURL      *string `json:"app_url"`
	BundleID    *string `json:"bundle_id"`
	PackageName *string `json:"package_name"`
}

type settleBody struct {
	ProfitSharing *bool `json:"profit_sharing"`
}

// decodePlace reads a direct (partner false) or partner 下单 body into q. It checks the
// JSON's shape, the times' format and the nested objects' required fields, which the
// domain never sees; every other rule is the domain's.
func decodePlace(body []byte, contentType string, strict, partner bool, q *pay.PlaceRequest) error {
	var common *orderBody
	if partner {
		var b partnerPlaceBody
		if err := jsonapi.Decode(body, contentType, strict, &b); err != nil {
			return err
		}
		q.SpAppid, q.SpMchid, q.SubAppid, q.SubMchid = str(b.SpAppid), str(b.SpMchid), str(b.SubAppid), str(b.SubMchid)
		if b.Payer != nil {
			q.SpOpenid, q.SubOpenid = str(b.Payer.SpOpenid), str(b.Payer.SubOpenid)
		}
		common = &b.orderBody
	} else {
		var b placeBody
		if err := jsonapi.Decode(body, contentType, strict, &b); err != nil {
			return err
		}
		q.Appid, q.Mchid = str(b.Appid), str(b.Mchid)
		if b.Payer != nil {
			q.PayerOpenid = str(b.Payer.Openid)
		}
		common = &b.orderBody
	}
	return common.into(q)
}

func (b *orderBody) into(q *pay.PlaceRequest) error {
	q.Description, q.OutTradeNo, q.Attach = str(b.Description), str(b.OutTradeNo), str(b.Attach)
	q.NotifyURL, q.GoodsTag, q.LimitPay = str(b.NotifyURL), str(b.GoodsTag), b.LimitPay
	q.SupportFapiao = b.SupportFapiao != nil && *b.SupportFapiao
	q.ProfitSharing = b.SettleInfo != nil && b.SettleInfo.ProfitSharing != nil && *b.SettleInfo.ProfitSharing
	if b.TimeExpire != nil {
		// RFC 3339, as every time on the wire (docs/wire.md#times).
		t, err := time.Parse(time.RFC3339, *b.TimeExpire)
		if err != nil {
			return pay.ParamError("time_expire", "应为RFC 3339格式的时间，如2015-05-20T13:29:35+08:00", *b.TimeExpire)
		}
		q.TimeExpire = &t
	}
	if b.Amount == nil {
		return pay.ParamError("amount", "字段必填", nil)
	}
	if b.Amount.Total == nil {
		return pay.ParamError("amount.total", "字段必填", nil)
	}
	q.Total, q.Currency = *b.Amount.Total, str(b.Amount.Currency)
	if err := b.Detail.check(); err != nil {
		return err
	}
	return b.SceneInfo.into(q)
}

func (d *detailBody) check() error {
	if d == nil {
		return nil
	}
	for i, g := range d.GoodsDetail {
		field := fmt.Sprintf("detail.goods_detail[%d]", i)
		switch {
		case g.MerchantGoodsID == nil:
			return pay.ParamError(field+".merchant_goods_id", "字段必填", nil)
		case g.Quantity == nil:
			return pay.ParamError(field+".quantity", "字段必填", nil)
		case g.UnitPrice == nil:
			return pay.ParamError(field+".unit_price", "字段必填", nil)
		}
	}
	return nil
}

func (s *sceneBody) into(q *pay.PlaceRequest) error {
	if s == nil {
		return nil
	}
	switch {
	case s.PayerClientIP == nil:
		return pay.ParamError("scene_info.payer_client_ip", "字段必填", nil)
	case s.StoreInfo != nil && s.StoreInfo.ID == nil:
		return pay.ParamError("scene_info.store_info.id", "字段必填", nil)
	case s.H5Info != nil && s.H5Info.Type == nil:
		return pay.ParamError("scene_info.h5_info.type", "字段必填", nil)
	}
	q.PayerClientIP = *s.PayerClientIP
	if s.H5Info != nil {
		q.H5Type = *s.H5Info.Type
	}
	return nil
}

// place makes the 下单 handler of one trade type, direct or a partner's. The answer
// names what the payer pays with: prepay_id for JSAPI and APP, code_url for Native,
// h5_url for H5 (https://pay.weixin.qq.com/doc/v3/merchant/4012791877, 应答参数).
func (a *api) place(t pay.TradeType, partner bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		q := pay.PlaceRequest{TradeType: t, Caller: c.merchant.Mchid}
		if err := decodePlace(c.body, c.Header.Get("Content-Type"), a.strict, partner, &q); err != nil {
			return nil, err
		}
		o, err := a.svc.Orders.Place(c.Context(), q)
		if err != nil {
			return nil, err
		}
		return Prepay(o), nil
	}
}

// Prepay is the 下单 answer for o.
func Prepay(o *pay.Order) any {
	switch o.TradeType {
	case pay.TradeNative:
		return map[string]string{"code_url": o.CodeURL}
	case pay.TradeH5:
		return map[string]string{"h5_url": o.H5URL}
	default:
		return map[string]string{"prepay_id": o.PrepayID}
	}
}

// orderFinder is pay.Orders' QueryByID or QueryByOutTradeNo.
type orderFinder func(ctx context.Context, caller, subMchid, key string) (*pay.Order, error)

// queryOrder makes a 查询订单 GET handler that finds the order by the path value param.
// A direct query names its merchant in ?mchid=, a partner's in ?sp_mchid=&sub_mchid=
// (https://pay.weixin.qq.com/doc/v3/partner/4012738969, query 查询参数).
func (a *api) queryOrder(find orderFinder, param string, partner bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		subMchid, err := orderMerchant(c, c.URL.Query().Get, "query", partner)
		if err != nil {
			return nil, err
		}
		o, err := find(c.Context(), c.merchant.Mchid, subMchid, c.PathValue(param))
		if err != nil {
			return nil, err
		}
		return Transaction(o), nil
	}
}

// closeBody is 关闭订单's body: mchid for a direct merchant, sp_mchid and sub_mchid for
// a partner.
type closeBody struct {
	Mchid *string `json:"mchid"`
}

type partnerCloseBody struct {
	SpMchid  *string `json:"sp_mchid"`
	SubMchid *string `json:"sub_mchid"`
}

// closeOrder closes an unpaid order; the answer is 204 with no body.
func (a *api) closeOrder(partner bool) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		fields := map[string]string{}
		var err error
		if partner {
			var b partnerCloseBody
			err = a.decode(c, &b)
			fields["sp_mchid"], fields["sub_mchid"] = str(b.SpMchid), str(b.SubMchid)
		} else {
			var b closeBody
			err = a.decode(c, &b)
			fields["mchid"] = str(b.Mchid)
		}
		if err != nil {
			return nil, err
		}
		get := func(k string) string { return fields[k] }
		subMchid, err := orderMerchant(c, get, "body", partner)
		if err != nil {
			return nil, err
		}
		if err := a.svc.Orders.Close(c.Context(), c.merchant.Mchid, subMchid, c.PathValue("out_trade_no")); err != nil {
			return nil, err
		}
		return noContent{}, nil
	}
}

// orderMerchant checks the merchant a query or close names, through get from location:
// mchid (direct) or sp_mchid (partner) is required and must be the merchant that signed
// the request; a partner's sub_mchid is required and returned.
func orderMerchant(c *call, get func(string) string, location string, partner bool) (string, error) {
	own, sub := "mchid", ""
	if partner {
		own, sub = "sp_mchid", "sub_mchid"
	}
	missing := func(field string) error {
		e := pay.ParamError(field, "字段必填", nil)
		e.Location = location
		return e
	}
	switch {
	case get(own) == "":
		return "", missing(own)
	case get(own) != c.merchant.Mchid:
		return "", pay.Errorf(pay.CodeInvalidRequest, "%s与发起请求的商户号%s不一致", own, c.merchant.Mchid)
	case partner && get(sub) == "":
		return "", missing(sub)
	}
	if partner {
		return get(sub), nil
	}
	return "", nil
}
