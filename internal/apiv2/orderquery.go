package apiv2

import (
	"github.com/tuikuan/tuikuan/internal/pay"
)

// codeOrderNotExist is 查询订单's "此交易订单号不存在".
const codeOrderNotExist = "ORDERNOTEXIST"

// orderQuery is POST /pay/orderquery (查询订单,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2): by transaction_id,
// which wins when both are given ("二选一，建议优先使用微信订单号"), or by out_trade_no.
func (a *api) orderQuery(c *call) (*reply, error) {
	ctx, caller, sub := c.Context(), c.merchant.Mchid, c.get("sub_mch_id")
	var o *pay.Order
	var err error
	switch {
	case c.get("transaction_id") != "":
		o, err = a.svc.Orders.QueryByID(ctx, caller, sub, c.get("transaction_id"))
	case c.get("out_trade_no") != "":
		o, err = a.svc.Orders.QueryByOutTradeNo(ctx, caller, sub, c.get("out_trade_no"))
	default:
		return nil, paramError("out_trade_no", "transaction_id、out_trade_no必须二选一")
	}
	if err != nil {
		return nil, err
	}
	return orderReply(o), nil
}

// closeOrder is POST /pay/closeorder (关闭订单,
// https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_3): an unpaid order by
// out_trade_no; a paid one is ORDERPAID, and a closed one ORDERCLOSED, "订单已关闭，无法重复
// 关闭" — where APIv3 closes a closed order again without complaint, so v2 looks first.
// The answer has only the common fields.
func (a *api) closeOrder(c *call) (*reply, error) {
	ctx, caller, sub, no := c.Context(), c.merchant.Mchid, c.get("sub_mch_id"), c.get("out_trade_no")
	if no == "" {
		return nil, paramError("out_trade_no", "缺少参数")
	}
	o, err := a.svc.Orders.QueryByOutTradeNo(ctx, caller, sub, no)
	if err != nil {
		return nil, err
	}
	if o.TradeState == pay.TradeClosed {
		return nil, pay.Errorf(pay.CodeOrderClosed, "订单已关闭，无法重复关闭")
	}
	if err := a.svc.Orders.Close(ctx, caller, sub, no); err != nil {
		return nil, err
	}
	return &reply{}, nil
}

// orderReply is 查询订单's answer. "以下字段在return_code 、result_code、trade_state都为
// SUCCESS时有返回，如trade_state不为 SUCCESS，则只返回out_trade_no（必传）和attach（选传）":
// an order that is not paid answers with those and its trade_state; a paid one (REFUND
// too: it was paid, and its clients read the payment's fields) with every field.
func orderReply(o *pay.Order) *reply {
	rp := &reply{}
	if o.Paid() {
		payerFields(rp, o)
		rp.add("trade_type", string(o.TradeType))
	}
	rp.add("trade_state", string(o.TradeState))
	if o.Paid() {
		paymentFields(rp, o)
	}
	rp.add("out_trade_no", o.OutTradeNo)
	rp.add("attach", o.Attach)
	if o.Paid() {
		rp.add("time_end", o.SuccessTime.In(pay.Beijing).Format(v2Time))
	}
	rp.add("trade_state_desc", o.TradeStateDesc)
	return rp
}

// payerFields are openid and is_subscribe, and for a partner's order sub_openid and
// sub_is_subscribe. tuikuan knows of no official accounts, so no payer is a subscriber.
func payerFields(rp *reply, o *pay.Order) {
	if o.SpMchid == "" {
		rp.add("openid", o.PayerOpenid)
		rp.add("is_subscribe", "N")
		return
	}
	rp.add("openid", o.SpOpenid)
	rp.add("is_subscribe", "N")
	if o.SubOpenid != "" {
		rp.add("sub_openid", o.SubOpenid)
		rp.add("sub_is_subscribe", "N")
	}
}

// paymentFields are a paid order's money (查询订单, 支付结果通知): bank_type, total_fee,
// settlement_total_fee (total_fee less the no-pre-funding coupons, given when there are
// any), fee_type, cash_fee, and the coupons under coupon_*_$n, then transaction_id.
func paymentFields(rp *reply, o *pay.Order) {
	rp.add("bank_type", bankType(o.BankType))
	rp.addInt("total_fee", o.Total)
	var noCash, couponFee int64
	for _, p := range o.Promotions {
		couponFee += p.Amount
		if p.Type == "DISCOUNT" {
			noCash += p.Amount
		}
	}
	if noCash > 0 {
		rp.addInt("settlement_total_fee", o.Total-noCash)
	}
	rp.add("fee_type", currency(o.Currency))
	rp.addInt("cash_fee", o.PayerTotal)
	if len(o.Promotions) > 0 {
		rp.addInt("coupon_fee", couponFee)
		rp.addInt("coupon_count", int64(len(o.Promotions)))
		for n, p := range o.Promotions {
			rp.add(indexed("coupon_type", n), couponType(p.Type))
			rp.add(indexed("coupon_id", n), p.PromotionID)
			rp.addInt(indexed("coupon_fee", n), p.Amount)
		}
	}
	rp.add("transaction_id", o.ID)
}

// bankType is v2's bank_type: the domain's "" (零钱) is "OTHERS", 付款银行's
// "其他（银行卡以外）".
func bankType(b string) string {
	if b == "" {
		return "OTHERS"
	}
	return b
}
