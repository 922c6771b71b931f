package apiv3

import "github.com/tuikuan/tuikuan/internal/pay"

// transactionJSON is the 查询订单 answer, direct
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791859, 应答参数) or a partner's
// (https://pay.weixin.qq.com/doc/v3/partner/4012738969, 应答参数), in the field order
// of the documents' examples. Which of appid/mchid or sp_*/sub_* it carries depends on
// who placed the order.
type transactionJSON struct {
	SpAppid         string                 `json:"sp_appid,omitempty"`
	SpMchid         string                 `json:"sp_mchid,omitempty"`
	SubAppid        string                 `json:"sub_appid,omitempty"`
	SubMchid        string                 `json:"sub_mchid,omitempty"`
	Appid           string                 `json:"appid,omitempty"`
	Mchid           string                 `json:"mchid,omitempty"`
	OutTradeNo      string                 `json:"out_trade_no"`
	TransactionID   string                 `json:"transaction_id,omitempty"`
	TradeType       pay.TradeType          `json:"trade_type,omitempty"`
	TradeState      pay.TradeState         `json:"trade_state"`
	TradeStateDesc  string                 `json:"trade_state_desc"`
	BankType        string                 `json:"bank_type,omitempty"`
	Attach          string                 `json:"attach,omitempty"`
	SuccessTime     *string                `json:"success_time,omitempty"`
	Payer           *transactionPayerJSON  `json:"payer,omitempty"`
	Amount          transactionAmountJSON  `json:"amount"`
	PromotionDetail []transactionPromoJSON `json:"promotion_detail,omitempty"`
}

type transactionPayerJSON struct {
	Openid    string `json:"openid,omitempty"`
	SpOpenid  string `json:"sp_openid,omitempty"`
	SubOpenid string `json:"sub_openid,omitempty"`
}

type transactionAmountJSON struct {
	Total         int64  `json:"total"`
	PayerTotal    *int64 `json:"payer_total,omitempty"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

// transactionPromoJSON is an element of promotion_detail. Type is the query's own
// vocabulary, CASH or NOCASH (wechatpay-go's payments.PromotionDetail), not the
// refunds' COUPON or DISCOUNT; the sandbox's promotions are the merchant's own, so the
// merchant contributes all of each.
type transactionPromoJSON struct {
	CouponID            string `json:"coupon_id"`
	Name                string `json:"name,omitempty"`
	Scope               string `json:"scope"`
	Type                string `json:"type"`
	Amount              int64  `json:"amount"`
	StockID             string `json:"stock_id,omitempty"`
	WechatpayContribute int64  `json:"wechatpay_contribute"`
	MerchantContribute  int64  `json:"merchant_contribute"`
	OtherContribute     int64  `json:"other_contribute"`
	Currency            string `json:"currency"`
}

// Transaction renders an order as the 查询订单 API shows it. Until the order is paid there
// is no transaction_id, trade_type, bank_type, success_time, payer or payer_total to
// show, and attach is "只有支付完成状态才会返回": the answer for NOTPAY, PAYERROR or an
// order closed unpaid carries its merchant, out_trade_no, state and amount only.
func Transaction(o *pay.Order) any {
	v := transactionJSON{
		OutTradeNo:     o.OutTradeNo,
		TradeState:     o.TradeState,
		TradeStateDesc: o.TradeStateDesc,
		Amount:         transactionAmountJSON{Total: o.Total, Currency: currency(o), PayerCurrency: currency(o)},
	}
	if o.SpMchid != "" {
		v.SpAppid, v.SpMchid, v.SubAppid, v.SubMchid = o.Appid, o.SpMchid, o.SubAppid, o.Mchid
	} else {
		v.Appid, v.Mchid = o.Appid, o.Mchid
	}
	if !o.Paid() {
		return v
	}
	payerTotal := o.PayerTotal
	v.TransactionID, v.TradeType, v.BankType, v.SuccessTime = o.ID, o.TradeType, bankType(o), optTime(o.SuccessTime)
	v.Attach = o.Attach
	v.Amount.PayerTotal = &payerTotal
	if payer := (transactionPayerJSON{Openid: o.PayerOpenid, SpOpenid: o.SpOpenid, SubOpenid: o.SubOpenid}); payer != (transactionPayerJSON{}) {
		v.Payer = &payer
	}
	for _, p := range o.Promotions {
		v.PromotionDetail = append(v.PromotionDetail, transactionPromo(p, currency(o)))
	}
	return v
}

func transactionPromo(p pay.Promotion, cur string) transactionPromoJSON {
	out := transactionPromoJSON{
		CouponID: p.PromotionID, Scope: p.Scope, Type: "NOCASH", Amount: p.Amount, StockID: p.StockID,
		MerchantContribute: p.Amount, Currency: cur,
	}
	if p.Type == "COUPON" {
		out.Type = "CASH"
	}
	return out
}

func currency(o *pay.Order) string {
	if o.Currency == "" {
		return "CNY"
	}
	return o.Currency
}

// bankType is how the payer paid; an order paid from the WeChat balance says OTHERS.
func bankType(o *pay.Order) string {
	if o.BankType == "" {
		return "OTHERS"
	}
	return o.BankType
}
