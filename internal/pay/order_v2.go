package pay

import "strconv"

// V2Field is one field of a v2 XML answer or notification; Number fields are written as
// plain text, the others as CDATA.
type V2Field struct {
	Name, Value string
	Number      bool
}

// Snapshot is o as a payment notification tells it.
func (o *Order) Snapshot() *OrderSnapshot { return orderSnapshot(o) }

// V2PaymentFields are a paid order's fields as v2 words them, the same in 查询订单
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_2) and 支付结果通知
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7): the payer (openid under
// appid, and for a partner's order sub_openid under sub_appid; tuikuan knows of no
// official accounts, so no payer is a subscriber), trade_type, bank_type ("" = 零钱 is
// "OTHERS"), the money — settlement_total_fee only when a no-pre-funding coupon lowered
// it, the coupons under coupon_*_$n — and the ids, attach and time_end (yyyyMMddHHmmss,
// Beijing). Empty values are left out.
func V2PaymentFields(o *OrderSnapshot) []V2Field {
	var fs []V2Field
	add := func(name, v string) {
		if v != "" {
			fs = append(fs, V2Field{Name: name, Value: v})
		}
	}
	num := func(name string, v int64) {
		fs = append(fs, V2Field{Name: name, Value: strconv.FormatInt(v, 10), Number: true})
	}
	if o.SpMchid == "" {
		add("openid", o.PayerOpenid)
	} else {
		add("openid", o.SpOpenid)
	}
	add("is_subscribe", "N")
	if o.SpMchid != "" && o.SubOpenid != "" {
		add("sub_openid", o.SubOpenid)
		add("sub_is_subscribe", "N")
	}
	add("trade_type", string(o.TradeType))
	add("bank_type", firstNonEmpty(o.BankType, "OTHERS"))
	num("total_fee", o.Total)
	var noCash, couponFee int64
	for _, p := range o.Promotions {
		couponFee += p.Amount
		if p.Type == "DISCOUNT" {
			noCash += p.Amount
		}
	}
	if noCash > 0 {
		num("settlement_total_fee", o.Total-noCash)
	}
	add("fee_type", firstNonEmpty(o.Currency, "CNY"))
	num("cash_fee", o.PayerTotal)
	if len(o.Promotions) > 0 {
		num("coupon_fee", couponFee)
		num("coupon_count", int64(len(o.Promotions)))
		for n, p := range o.Promotions {
			i := strconv.Itoa(n)
			add("coupon_type_"+i, V2CouponType(p.Type))
			add("coupon_id_"+i, p.PromotionID)
			num("coupon_fee_"+i, p.Amount)
		}
	}
	add("transaction_id", o.TransactionID)
	add("out_trade_no", o.OutTradeNo)
	add("attach", o.Attach)
	add("time_end", o.SuccessTime.In(Beijing).Format("20060102150405"))
	return fs
}

// V2CouponType words a promotion's type the v2 way (查询退款, coupon_type_$n_$m): COUPON
// is pre-funded by the merchant (充值代金券, CASH), DISCOUNT is not (免充值, NO_CASH).
func V2CouponType(t string) string {
	if t == "DISCOUNT" {
		return "NO_CASH"
	}
	return "CASH"
}
