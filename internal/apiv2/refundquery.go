package apiv2

import (
	"fmt"
	"strconv"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// pageSize is how many refunds one answer by order number lists (查询退款, 分页查询).
const pageSize = 10

// refundQuery is POST /pay/refundquery (查询退款,
// https://pay.weixin.qq.com/doc/v2/merchant/4011939577). Of the four ids the first given
// wins: refund_id > out_refund_no > transaction_id > out_trade_no; the others are not
// checked against it, only looked at for an archived order.
func (a *api) refundQuery(c *call) (*reply, error) {
	ctx, caller, sub := c.Context(), c.merchant.Mchid, c.get("sub_mch_id")
	var r *pay.Refund
	var err error
	switch {
	case c.get("refund_id") != "":
		r, err = a.svc.Refunds.QueryByID(ctx, pay.APIDomestic, caller, sub, c.get("refund_id"))
	case c.get("out_refund_no") != "":
		r, err = a.svc.Refunds.Query(ctx, pay.APIDomestic, caller, sub, c.get("out_refund_no"))
	default:
		return a.orderRefunds(c)
	}
	if err != nil {
		return nil, err
	}
	if a.mayBeArchived(r) {
		t, err := a.svc.Refunds.Order(ctx, caller, sub, pay.TradeRef{TransactionID: r.TransactionID})
		if err != nil {
			return nil, err
		}
		if err := a.archived(c, t); err != nil {
			return nil, err
		}
	}
	// One refund, no paging. total_refund_count is left out: the refundquery docs'
	// field table gives it "当请求参数传入offset后有返回" (查询退款: with a query by order
	// number).
	return refundsReply([]*pay.Refund{r}, -1), nil
}

// orderRefunds answers a query by order number: a page of the order's refunds, oldest
// first. 查询退款's example — 36 refunds, offset=24 "返回第25笔到第35笔" — counts
// loosely: a page holds 10, so offset 24 lists the 25th to the 34th (_0 … _9), and
// offset 30 the last six. The page's advice to query orders of more than 20 refunds by
// refund number is advice; paging works for any number.
func (a *api) orderRefunds(c *call) (*reply, error) {
	var ref pay.TradeRef
	switch {
	case c.get("transaction_id") != "":
		if !validTransactionID(c.get("transaction_id")) {
			return nil, pay.Errorf(codeInvalidTransactionID, "transaction_id格式错误：应为28位数字")
		}
		ref.TransactionID = c.get("transaction_id")
	case c.get("out_trade_no") != "":
		ref.OutTradeNo = c.get("out_trade_no")
	default:
		return nil, paramError("refund_id", "refund_id、out_refund_no、transaction_id、out_trade_no必须四选一")
	}
	offset, err := parseOffset(c.get("offset"))
	if err != nil {
		return nil, err
	}
	t, rs, err := a.svc.Refunds.OfOrder(c.Context(), c.merchant.Mchid, c.get("sub_mch_id"), ref)
	if err != nil {
		return nil, err
	}
	if err := a.archived(c, t); err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		// An order paid but never refunded: 查询退款's "订单状态不正确…已支付未退款".
		return nil, pay.Errorf(pay.CodeResourceNotExists, "订单没有退款")
	}
	// "offset超过total_refund_count，则系统会返回报错PARAM_ERROR": an offset equal to
	// the count would list nothing, so it is past the end too.
	if offset >= len(rs) {
		return nil, paramError("offset", fmt.Sprintf("offset %d 超过订单总退款次数 %d", offset, len(rs)))
	}
	return refundsReply(rs[offset:min(offset+pageSize, len(rs))], len(rs)), nil
}

// archived refuses a query of an order paid more than a year and a half ago (by the
// sandbox clock) unless it names the order by transaction_id alone or with refund_id:
// "如果该订单支付时间超过一年半，需单独使用微信订单号查询或者同时使用微信订单号和微信退款单号查询"
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577, 应用场景, 注意 2). No document,
// SDK or issue thread found names the code the service answers with; PARAM_ERROR is the
// page's closest, its 错误码 table giving it for "请求参数未按指引进行填写".
// mayBeArchived reports whether r's order may have been paid more than 18 months ago,
// the one case in which a query by refund needs the order: a refund is accepted only
// within pay.RefundWindow of its order's payment, so the order of a refund made less
// than 18 months less that window ago is not archived, and is not read.
func (a *api) mayBeArchived(r *pay.Refund) bool {
	return a.svc.Time.Clock().Now().After(r.CreateTime.Add(-pay.RefundWindow).AddDate(0, 18, 0))
}

func (a *api) archived(c *call, t *pay.Order) error {
	if !a.svc.Time.Clock().Now().After(t.SuccessTime.AddDate(0, 18, 0)) {
		return nil
	}
	if c.get("transaction_id") != "" && c.get("out_trade_no") == "" && c.get("out_refund_no") == "" {
		return nil
	}
	return paramError("transaction_id", "订单支付时间超过一年半，需单独使用微信订单号查询或者同时使用微信订单号和微信退款单号查询")
}

// validTransactionID: WeChat Pay's transaction_ids are 28 digits (查询退款's sample
// "1008450740201411110005820873", the apply docs' "1217752501201407033233368018", and
// tuikuan's own); anything else can only be a mistake, INVALID_TRANSACTIONID
// "请求参数未按指引进行填写".
func validTransactionID(id string) bool {
	if len(id) != 28 {
		return false
	}
	for _, c := range []byte(id) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseOffset(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		return 0, paramError("offset", "应为非负整数")
	}
	return int(n), nil
}

// refundsReply renders refunds of one order as the query answers them
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577): the order's fields, then each
// refund under _$n and its coupons under _$n_$m. total is the order's refund count, -1 to
// leave total_refund_count out.
func refundsReply(rs []*pay.Refund, total int) *reply {
	rp := &reply{fields: make([]field, 0, 10+10*len(rs))}
	first := rs[0]
	orderFields(rp, first)
	if total >= 0 {
		rp.addInt("total_refund_count", int64(total))
	}
	rp.addInt("refund_count", int64(len(rs)))
	var refundFee, cashRefund int64
	for n, r := range rs {
		refundFee += r.Amount.Refund
		cashRefund += r.Amount.PayerRefund
		rp.add(indexed("out_refund_no", n), r.OutRefundNo)
		rp.add(indexed("refund_id", n), r.ID)
		rp.add(indexed("refund_channel", n), r.Channel)
		rp.addInt(indexed("refund_fee", n), r.Amount.Refund)
		rp.addInt(indexed("settlement_refund_fee", n), r.Amount.SettlementRefund)
		rp.add(indexed("refund_status", n), pay.V2Status(r.Status))
		rp.add(indexed("refund_account", n), pay.V2RefundAccount(r.FundsAccount))
		rp.add(indexed("refund_recv_accout", n), r.UserReceivedAccount) // sic: the docs' spelling
		if r.Status == pay.StatusSuccess {
			rp.add(indexed("refund_success_time", n), pay.V2Time(r.SuccessTime))
		}
		coupons(rp, r.Promotions, func(name string, m int) string { return indexed(name, n, m) }, indexed("", n))
	}
	// refund_fee (gopay's struct) and cash_refund_fee (查询退款's sample) sum the refunds
	// this answer lists.
	rp.addInt("refund_fee", refundFee)
	rp.addInt("cash_refund_fee", cashRefund)
	return rp
}

// orderFields are the order's fields, as every refund snapshots them.
func orderFields(rp *reply, r *pay.Refund) {
	rp.add("transaction_id", r.TransactionID)
	rp.add("out_trade_no", r.OutTradeNo)
	rp.addInt("total_fee", r.Amount.Total)
	// The docs return settlement_total_fee only when a no-pre-funding (免充值) coupon was
	// used; tuikuan always does, equal to total_fee otherwise, which no client minds.
	rp.addInt("settlement_total_fee", r.Amount.SettlementTotal)
	rp.add("fee_type", currency(r.Amount.Currency))
	rp.addInt("cash_fee", r.Amount.PayerTotal)
}

// coupons writes the promotions a refund gave money back to, if any:
// coupon_refund_fee<suffix>, coupon_refund_count<suffix>, and per coupon m its type, id
// and fee under the names name(…, m) makes.
func coupons(rp *reply, ps []pay.PromotionRefund, name func(string, int) string, suffix string) {
	var fee int64
	var used []pay.PromotionRefund
	for _, p := range ps {
		if p.RefundAmount > 0 {
			fee += p.RefundAmount
			used = append(used, p)
		}
	}
	if len(used) == 0 {
		return
	}
	rp.addInt("coupon_refund_fee"+suffix, fee)
	rp.addInt("coupon_refund_count"+suffix, int64(len(used)))
	for m, p := range used {
		rp.add(name("coupon_type", m), pay.V2CouponType(p.Type))
		rp.add(name("coupon_refund_id", m), p.PromotionID)
		rp.addInt(name("coupon_refund_fee", m), p.RefundAmount)
	}
}

func currency(c string) string {
	if c == "" {
		return "CNY"
	}
	return c
}

// indexed is name_$n or name_$n_$m.
func indexed(name string, idx ...int) string {
	for _, i := range idx {
		name += "_" + strconv.Itoa(i)
	}
	return name
}
