package apiv3

import (
	"context"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// amountBody is a refund request's amount; pointers tell an absent field from a zero.
type amountBody struct {
	Refund   *int64     `json:"refund"`
	Total    *int64     `json:"total"`
	Currency *string    `json:"currency"`
	From     []fromBody `json:"from"`
}

type fromBody struct {
	Account *string `json:"account"`
	Amount  *int64  `json:"amount"`
}

type goodsBody struct {
	MerchantGoodsID  *string `json:"merchant_goods_id"`
	WechatpayGoodsID *string `json:"wechatpay_goods_id"`
	GoodsName        *string `json:"goods_name"`
	UnitPrice        *int64  `json:"unit_price"`
	RefundAmount     *int64  `json:"refund_amount"`
	RefundQuantity   *int64  `json:"refund_quantity"`
}

// createRefundBody is POST /v3/refund/domestic/refunds (https://pay.weixin.qq.com/doc/v3/merchant/4012556457).
type createRefundBody struct {
	SubMchid      *string     `json:"sub_mchid"`
	TransactionID *string     `json:"transaction_id"`
	OutTradeNo    *string     `json:"out_trade_no"`
	OutRefundNo   *string     `json:"out_refund_no"`
	Reason        *string     `json:"reason"`
	NotifyURL     *string     `json:"notify_url"`
	FundsAccount  *string     `json:"funds_account"`
	Amount        *amountBody `json:"amount"`
	GoodsDetail   []goodsBody `json:"goods_detail"`
}

func (a *api) createRefund(c *call) (any, error) {
	var b createRefundBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	q := pay.ApplyRequest{
		API: pay.APIDomestic, Caller: c.merchant.Mchid, SubMchid: str(b.SubMchid),
		TransactionID: str(b.TransactionID), OutTradeNo: str(b.OutTradeNo), OutRefundNo: str(b.OutRefundNo),
		Reason: str(b.Reason), NotifyURL: str(b.NotifyURL), FundsAccount: str(b.FundsAccount),
	}
	// Lenient mode forgives a missing currency: CNY is the only one there is.
	if err := b.Amount.into(&q, a.strict); err != nil {
		return nil, err
	}
	for i, g := range b.GoodsDetail {
		d, err := g.goods(i)
		if err != nil {
			return nil, err
		}
		q.GoodsDetail = append(q.GoodsDetail, d)
	}
	r, err := a.svc.Refunds.Apply(c.Context(), q)
	if err != nil {
		return nil, err
	}
	return DomesticRefund(r), nil
}

// finder is pay.Service's Query or QueryByID.
type finder func(ctx context.Context, api pay.API, caller, subMchid, key string) (*pay.Refund, error)

// query makes a GET handler that finds a refund by the path value param (with
// ?sub_mchid= for partners) and renders it with view.
func (a *api) query(api pay.API, find finder, param string, view func(*pay.Refund) any) func(*call) (any, error) {
	return func(c *call) (any, error) {
		r, err := find(c.Context(), api, c.merchant.Mchid, c.URL.Query().Get("sub_mchid"), c.PathValue(param))
		if err != nil {
			return nil, err
		}
		return view(r), nil
	}
}

// into checks the amount's required fields and copies it into q. currency is required in
// a domestic refund (必填, https://pay.weixin.qq.com/doc/v3/merchant/4012556457) and
// optional in an e-commerce one.
func (b *amountBody) into(q *pay.ApplyRequest, requireCurrency bool) error {
	if b == nil {
		return pay.ParamError("amount", "字段必填", nil)
	}
	if b.Refund == nil {
		return pay.ParamError("amount.refund", "字段必填", nil)
	}
	if b.Total == nil {
		return pay.ParamError("amount.total", "字段必填", nil)
	}
	if requireCurrency && b.Currency == nil {
		return pay.ParamError("amount.currency", "字段必填", nil)
	}
	q.Refund, q.Total, q.Currency = *b.Refund, *b.Total, str(b.Currency)
	if b.From == nil {
		return nil
	}
	q.From = make([]pay.FundsFrom, 0, len(b.From))
	for i, f := range b.From {
		if f.Account == nil || f.Amount == nil {
			return pay.ParamError(fmt.Sprintf("amount.from[%d]", i), "account与amount必填", nil)
		}
		q.From = append(q.From, pay.FundsFrom{Account: *f.Account, Amount: *f.Amount})
	}
	return nil
}

func (g goodsBody) goods(i int) (pay.GoodsDetail, error) {
	field := fmt.Sprintf("goods_detail[%d]", i)
	switch {
	case g.MerchantGoodsID == nil:
		return pay.GoodsDetail{}, pay.ParamError(field+".merchant_goods_id", "字段必填", nil)
	case g.UnitPrice == nil:
		return pay.GoodsDetail{}, pay.ParamError(field+".unit_price", "字段必填", nil)
	case g.RefundAmount == nil:
		return pay.GoodsDetail{}, pay.ParamError(field+".refund_amount", "字段必填", nil)
	case g.RefundQuantity == nil:
		return pay.GoodsDetail{}, pay.ParamError(field+".refund_quantity", "字段必填", nil)
	}
	return pay.GoodsDetail{
		MerchantGoodsID: *g.MerchantGoodsID, WechatpayGoodsID: str(g.WechatpayGoodsID), GoodsName: str(g.GoodsName),
		UnitPrice: *g.UnitPrice, RefundAmount: *g.RefundAmount, RefundQuantity: *g.RefundQuantity,
	}, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// refundJSON is the Refund object of the domestic refund answers and queries
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 应答参数).
type refundJSON struct {
	RefundID            string          `json:"refund_id"`
	OutRefundNo         string          `json:"out_refund_no"`
	TransactionID       string          `json:"transaction_id"`
	OutTradeNo          string          `json:"out_trade_no"`
	Channel             string          `json:"channel"`
	UserReceivedAccount string          `json:"user_received_account"`
	SuccessTime         *string         `json:"success_time,omitempty"`
	CreateTime          string          `json:"create_time"`
	Status              pay.Status      `json:"status"`
	FundsAccount        string          `json:"funds_account"`
	Amount              amountJSON      `json:"amount"`
	PromotionDetail     []promotionJSON `json:"promotion_detail,omitempty"`
}

type amountJSON struct {
	Total            int64      `json:"total"`
	Refund           int64      `json:"refund"`
	From             []fromJSON `json:"from,omitempty"`
	PayerTotal       int64      `json:"payer_total"`
	PayerRefund      int64      `json:"payer_refund"`
	SettlementRefund int64      `json:"settlement_refund"`
	SettlementTotal  int64      `json:"settlement_total"`
	DiscountRefund   int64      `json:"discount_refund"`
	Currency         string     `json:"currency"`
	// RefundFee is the handling fee returned with the refund (手续费退款金额). Sandbox
	// payments are charged no fee, so there is none to return: always 0, in every
	// answer that carries the Refund object.
	RefundFee int64 `json:"refund_fee"`
}

// fromJSON is an element of amount.from, an array for wechatpay-go, Java and gopay ≥
// v1.5.115 alike; it is omitted unless the request sent it (docs/wire.md#amount-from).
type fromJSON struct {
	Account string `json:"account"`
	Amount  int64  `json:"amount"`
}

type promotionJSON struct {
	PromotionID  string `json:"promotion_id"`
	Scope        string `json:"scope"`
	Type         string `json:"type"`
	Amount       int64  `json:"amount"`
	RefundAmount int64  `json:"refund_amount"`
	// GoodsDetail is "优惠商品发生退款时返回商品信息"; domestic answers only.
	GoodsDetail []goodsJSON `json:"goods_detail,omitempty"`
}

type goodsJSON struct {
	MerchantGoodsID  string `json:"merchant_goods_id"`
	WechatpayGoodsID string `json:"wechatpay_goods_id,omitempty"`
	GoodsName        string `json:"goods_name,omitempty"`
	UnitPrice        int64  `json:"unit_price"`
	RefundAmount     int64  `json:"refund_amount"`
	RefundQuantity   int64  `json:"refund_quantity"`
}

// DomesticRefund renders a refund as the domestic refund API does.
func DomesticRefund(r *pay.Refund) any {
	return refundJSON{
		RefundID:            r.ID,
		OutRefundNo:         r.OutRefundNo,
		TransactionID:       r.TransactionID,
		OutTradeNo:          r.OutTradeNo,
		Channel:             r.Channel,
		UserReceivedAccount: r.UserReceivedAccount,
		SuccessTime:         optTime(r.SuccessTime),
		CreateTime:          timeString(r.CreateTime),
		Status:              r.Status,
		FundsAccount:        fundsAccount(r),
		Amount: amountJSON{
			Total: r.Amount.Total, Refund: r.Amount.Refund, From: fromList(r.Amount.From),
			PayerTotal: r.Amount.PayerTotal, PayerRefund: r.Amount.PayerRefund,
			SettlementRefund: r.Amount.SettlementRefund, SettlementTotal: r.Amount.SettlementTotal,
			DiscountRefund: r.Amount.DiscountRefund, Currency: r.Amount.Currency,
		},
		PromotionDetail: domesticPromotions(r),
	}
}

// domesticPromotions is promotion_detail with the goods the refund named under each
// promotion it gave money back to (发起异常退款's 应答示例 of the Refund object that the
// apply and query answers share,
// https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create-abnormal-refund.html).
// A sandbox order records no goods
// per promotion, so the request's goods_detail is the only list of the promoted goods
// refunded; the document's own example puts it under a GLOBAL coupon, so it goes under
// every promotion, whatever its scope.
func domesticPromotions(r *pay.Refund) []promotionJSON {
	out := promotions(r.Promotions)
	if len(r.GoodsDetail) == 0 {
		return out
	}
	goods := make([]goodsJSON, len(r.GoodsDetail))
	for i, g := range r.GoodsDetail {
		goods[i] = goodsJSON(g)
	}
	for i := range out {
		out[i].GoodsDetail = goods
	}
	return out
}

// fundsAccount is required in answers; a request that named none refunds from the
// merchant's unsettled funds first, as basic merchants' refunds do.
func fundsAccount(r *pay.Refund) string {
	if r.FundsAccount == "" {
		return "UNSETTLED"
	}
	return r.FundsAccount
}

func fromList(fs []pay.FundsFrom) []fromJSON {
	if fs == nil {
		return nil
	}
	out := make([]fromJSON, len(fs))
	for i, f := range fs {
		out[i] = fromJSON{Account: f.Account, Amount: f.Amount}
	}
	return out
}

// promotions lists the promotions this refund returned money to: promotion_detail is
// "订单使用了代金券且代金券发生退款时返回"
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, promotion_detail).
func promotions(ps []pay.PromotionRefund) []promotionJSON {
	var out []promotionJSON
	for _, p := range ps {
		if p.RefundAmount == 0 {
			continue
		}
		out = append(out, promotionJSON{
			PromotionID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, RefundAmount: p.RefundAmount,
		})
	}
	return out
}
