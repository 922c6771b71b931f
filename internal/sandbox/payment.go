package sandbox

import (
	"net/http"
	"strings"

	"github.com/tuikuan/tuikuan/internal/apiv3"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// paymentBody is POST /sandbox/v1/payments: the payer pays an order the merchant placed,
// named by exactly one of the ways a payer reaches it — the JSAPI/APP prepay_id, the
// NATIVE code_url, the H5 h5_url, or the merchant's out_trade_no.
type paymentBody struct {
	PrepayID   string          `json:"prepay_id"`
	CodeURL    string          `json:"code_url"`
	H5URL      string          `json:"h5_url"`
	Mchid      string          `json:"mchid"`
	OutTradeNo string          `json:"out_trade_no"`
	Outcome    string          `json:"outcome"`
	Openid     string          `json:"openid"`
	BankType   string          `json:"bank_type"`
	Promotions []promotionJSON `json:"promotions"`
	// PaySign is what the merchant handed its front end to call up the payment: the JSON of
	// wechatpay-go's jsapi or app PrepayWithRequestPaymentResponse, or the parameters of
	// WeixinJSBridge / the APP SDK's PayReq under their own names.
	PaySign map[string]string `json:"pay_sign"`
}

// paySignKeys maps each accepted key of pay_sign to the parameter it spells: JSAPI's
// (JSAPI调起支付, https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter5_1_8.shtml, camelCase),
// the APP SDK's (lower case) and wechatpay-go's response fields.
var paySignKeys = map[string]string{
	"appId": "appid", "appid": "appid",
	"timeStamp": "timestamp", "timestamp": "timestamp",
	"nonceStr": "noncestr", "noncestr": "noncestr",
	"package":   "package",
	"prepay_id": "prepayid", "prepayId": "prepayid", "prepayid": "prepayid",
	"partnerId": "partnerid", "partnerid": "partnerid",
	"signType": "signtype",
	"paySign":  "sign", "sign": "sign",
}

func (h *handler) createPayment(r *http.Request) (any, error) {
	var b paymentBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	q, err := b.request()
	if err != nil {
		return nil, err
	}
	o, err := h.svc.Orders.Pay(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return apiv3.Transaction(o), nil
}

// request checks the body's own rules and turns it into the domain's request.
func (b *paymentBody) request() (pay.PayRequest, error) {
	q := pay.PayRequest{
		PrepayID: b.PrepayID, CodeURL: b.CodeURL, H5URL: b.H5URL, Mchid: b.Mchid, OutTradeNo: b.OutTradeNo,
		Outcome: pay.TradeState(b.Outcome), Openid: b.Openid, BankType: b.BankType,
	}
	for _, p := range b.Promotions {
		q.Promotions = append(q.Promotions, p.promotion())
	}
	if b.PaySign != nil {
		ps, prepayID, err := paySign(b.PaySign)
		if err != nil {
			return q, err
		}
		switch {
		case q.PrepayID == "" && q.CodeURL == "" && q.H5URL == "" && q.Mchid == "" && q.OutTradeNo == "":
			q.PrepayID = prepayID // the SDK's answer names the order by itself
		case prepayID != "" && prepayID != q.PrepayID:
			return q, pay.ParamError("pay_sign", "pay_sign中的预支付交易会话标识与prepay_id不一致", prepayID)
		}
		q.PaySign = ps
	}
	if err := b.oneWay(q); err != nil {
		return q, err
	}
	switch q.Outcome {
	case "", pay.TradeSuccess, pay.TradePayError, pay.TradeUserPaying:
	default:
		return q, pay.ParamError("outcome", "应为SUCCESS、PAYERROR或USERPAYING", b.Outcome)
	}
	return q, nil
}

// oneWay checks that q names its order in exactly one way; mchid and out_trade_no are one.
func (b *paymentBody) oneWay(q pay.PayRequest) error {
	var named []string
	for _, w := range []struct{ name, v string }{{"prepay_id", q.PrepayID}, {"code_url", q.CodeURL}, {"h5_url", q.H5URL}} {
		if w.v != "" {
			named = append(named, w.name)
		}
	}
	if q.Mchid != "" || q.OutTradeNo != "" {
		if q.Mchid == "" || q.OutTradeNo == "" {
			return pay.ParamError("out_trade_no", "按商户订单号支付时mchid与out_trade_no都必填", nil)
		}
		named = append(named, "mchid+out_trade_no")
	}
	switch len(named) {
	case 0:
		return pay.ParamError("prepay_id", "须指明要支付的订单：prepay_id、code_url、h5_url或mchid+out_trade_no之一", nil)
	case 1:
		return nil
	}
	return pay.ParamError(strings.Split(named[1], "+")[0], "只能用一种方式指明订单，收到了"+strings.Join(named, "、"), nil)
}

// paySign reads pay_sign's parameters, whichever spelling each comes in, and returns them
// with the prepay_id they carry. JSAPI signs its package ("prepay_id=…"); APP signs the
// prepayid itself and sends the fixed package "Sign=WXPay".
func paySign(m map[string]string) (*pay.PaySign, string, error) {
	v := map[string]string{}
	for key, val := range m {
		param, ok := paySignKeys[key]
		if !ok {
			return nil, "", pay.ParamError("pay_sign."+key, "未知字段", nil)
		}
		if _, dup := v[param]; dup {
			return nil, "", pay.ParamError("pay_sign."+key, "同一参数出现了两种写法", nil)
		}
		v[param] = val
	}
	for _, param := range []string{"timestamp", "noncestr", "sign"} {
		if v[param] == "" {
			return nil, "", pay.ParamError("pay_sign."+param, "字段必填", nil)
		}
	}
	ps := &pay.PaySign{AppID: v["appid"], TimeStamp: v["timestamp"], NonceStr: v["noncestr"], Package: v["package"], SignType: v["signtype"], PaySign: v["sign"]}
	prepayID := v["prepayid"]
	if id, ok := strings.CutPrefix(v["package"], "prepay_id="); ok { // JSAPI
		if prepayID != "" && prepayID != id {
			return nil, "", pay.ParamError("pay_sign.package", "与pay_sign中的prepay_id不一致", v["package"])
		}
		prepayID = id
	}
	if prepayID == "" {
		return nil, "", pay.ParamError("pay_sign.package", "应为prepay_id=…（JSAPI），或给出prepayid（APP）", v["package"])
	}
	return ps, prepayID, nil
}
