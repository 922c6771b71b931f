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
// too: it was paid, and its clients read the payment's fields) with every field, as the
// payment notification has them.
func orderReply(o *pay.Order) *reply {
	rp := &reply{}
	rp.add("trade_state", string(o.TradeState))
	if o.Paid() {
		for _, f := range pay.V2PaymentFields(o.Snapshot()) {
			rp.fields = append(rp.fields, field{name: f.Name, value: f.Value, number: f.Number})
		}
	} else {
		rp.add("out_trade_no", o.OutTradeNo)
		rp.add("attach", o.Attach)
	}
	rp.add("trade_state_desc", o.TradeStateDesc)
	return rp
}
