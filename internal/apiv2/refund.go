package apiv2

import (
	"strconv"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// applyRefund is POST /secapi/pay/refund
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_4): the same
// pay.Service.Apply as APIv3's, so both encodings share every rule of money.
func (a *api) applyRefund(c *call) (*reply, error) {
	q, err := applyRequest(c)
	if err != nil {
		return nil, err
	}
	r, err := a.svc.Refunds.Apply(c.Context(), q)
	if err != nil {
		return nil, err
	}
	return refundReply(r), nil
}

// applyRequest maps the v2 parameters onto the domain's request. transaction_id wins
// over out_trade_no when both are given (申请退款, 请求参数), as in pay.TradeRef.
func applyRequest(c *call) (pay.ApplyRequest, error) {
	q := pay.ApplyRequest{
		API: pay.APIV2, Caller: c.merchant.Mchid, SubMchid: c.get("sub_mch_id"), SubAppid: c.get("sub_appid"),
		TransactionID: c.get("transaction_id"), OutTradeNo: c.get("out_trade_no"), OutRefundNo: c.get("out_refund_no"),
		Currency: c.get("refund_fee_type"), Reason: c.get("refund_desc"), NotifyURL: c.get("notify_url"),
	}
	if q.TransactionID != "" && !validTransactionID(q.TransactionID) {
		return q, pay.Errorf(codeInvalidTransactionID, "transaction_id格式错误：应为28位数字")
	}
	var err error
	if q.Total, err = fee(c.params, "total_fee"); err != nil {
		return q, err
	}
	if q.Refund, err = fee(c.params, "refund_fee"); err != nil {
		return q, err
	}
	switch c.get("refund_account") {
	case "", "REFUND_SOURCE_UNSETTLED_FUNDS":
		// The default: the domain's "" refunds from unsettled funds first.
	case "REFUND_SOURCE_RECHARGE_FUNDS":
		q.FundsAccount = "AVAILABLE"
	default:
		return q, paramError("refund_account", "取值必须是 REFUND_SOURCE_UNSETTLED_FUNDS、REFUND_SOURCE_RECHARGE_FUNDS 之一")
	}
	return q, nil
}

// fee reads a required amount in fen: v2 sends numbers as text ("Int",
// docs/wire.md#apiv2).
func fee(p map[string]string, name string) (int64, error) {
	v := p[name]
	if v == "" {
		return 0, paramError(name, "缺少参数")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v[0] == '+' {
		return 0, paramError(name, "应为以分为单位的整数")
	}
	return n, nil
}

// refundReply renders an accepted refund as the apply answers it (申请退款, 返回结果; gopay's
// RefundResponse): one refund, so its coupons are indexed _$n.
func refundReply(r *pay.Refund) *reply {
	rp := &reply{}
	rp.add("transaction_id", r.TransactionID)
	rp.add("out_trade_no", r.OutTradeNo)
	rp.add("out_refund_no", r.OutRefundNo)
	rp.add("refund_id", r.ID)
	rp.addInt("refund_fee", r.Amount.Refund)
	rp.addInt("settlement_refund_fee", r.Amount.SettlementRefund)
	rp.addInt("total_fee", r.Amount.Total)
	rp.addInt("settlement_total_fee", r.Amount.SettlementTotal)
	rp.add("fee_type", currency(r.Amount.Currency))
	rp.addInt("cash_fee", r.Amount.PayerTotal)
	rp.addInt("cash_refund_fee", r.Amount.PayerRefund)
	coupons(rp, r.Promotions, func(name string, m int) string { return indexed(name, m) }, "")
	return rp
}
