package apiv3

import (
	"github.com/tuikuan/tuikuan/internal/pay"
)

// ecommerceRefundBody is POST /v3/ecommerce/refunds/apply (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_1.shtml;
// Java's CreateRefundRequest adds refund_account, funds_account and amount.from).
type ecommerceRefundBody struct {
	SubMchid      *string     `json:"sub_mchid"`
	SpAppid       *string     `json:"sp_appid"`
	SubAppid      *string     `json:"sub_appid"`
	TransactionID *string     `json:"transaction_id"`
	OutTradeNo    *string     `json:"out_trade_no"`
	OutRefundNo   *string     `json:"out_refund_no"`
	Reason        *string     `json:"reason"`
	Amount        *amountBody `json:"amount"`
	NotifyURL     *string     `json:"notify_url"`
	RefundAccount *string     `json:"refund_account"`
	FundsAccount  *string     `json:"funds_account"`
}

func (a *api) createEcommerceRefund(c *call) (any, error) {
	var b ecommerceRefundBody
	if err := a.decode(c, &b); err != nil {
		return nil, err
	}
	q := pay.ApplyRequest{
		API: pay.APIEcommerce, Caller: c.merchant.Mchid, SubMchid: str(b.SubMchid),
		SpAppid: str(b.SpAppid), SubAppid: str(b.SubAppid),
		TransactionID: str(b.TransactionID), OutTradeNo: str(b.OutTradeNo), OutRefundNo: str(b.OutRefundNo),
		Reason: str(b.Reason), NotifyURL: str(b.NotifyURL),
		RefundAccount: str(b.RefundAccount), FundsAccount: str(b.FundsAccount),
	}
	if err := b.Amount.into(&q, false); err != nil {
		return nil, err
	}
	r, err := a.svc.Refunds.Apply(c.Context(), q)
	if err != nil {
		return nil, err
	}
	return ecommerceCreated{
		RefundID:        r.ID,
		OutRefundNo:     r.OutRefundNo,
		CreateTime:      timeString(r.CreateTime),
		RefundAccount:   refundAccount(r),
		Amount:          ecommerceAmount(r),
		PromotionDetail: promotions(r.Promotions),
	}, nil
}

// ecommerceCreated is the e-commerce apply's answer (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_1.shtml).
type ecommerceCreated struct {
	RefundID        string              `json:"refund_id"`
	OutRefundNo     string              `json:"out_refund_no"`
	CreateTime      string              `json:"create_time"`
	RefundAccount   string              `json:"refund_account,omitempty"`
	Amount          ecommerceAmountJSON `json:"amount"`
	PromotionDetail []promotionJSON     `json:"promotion_detail,omitempty"`
}

// ecommerceRefundJSON is the e-commerce query answer (https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_2.shtml).
type ecommerceRefundJSON struct {
	RefundID            string              `json:"refund_id"`
	OutRefundNo         string              `json:"out_refund_no"`
	TransactionID       string              `json:"transaction_id"`
	OutTradeNo          string              `json:"out_trade_no"`
	Channel             string              `json:"channel"`
	UserReceivedAccount string              `json:"user_received_account"`
	SuccessTime         *string             `json:"success_time,omitempty"`
	CreateTime          string              `json:"create_time"`
	Status              pay.Status          `json:"status"`
	RefundAccount       string              `json:"refund_account,omitempty"`
	FundsAccount        string              `json:"funds_account"`
	Amount              ecommerceAmountJSON `json:"amount"`
	PromotionDetail     []promotionJSON     `json:"promotion_detail,omitempty"`
}

type ecommerceAmountJSON struct {
	Refund         int64      `json:"refund"`
	From           []fromJSON `json:"from,omitempty"`
	PayerRefund    int64      `json:"payer_refund"`
	DiscountRefund int64      `json:"discount_refund"`
	Currency       string     `json:"currency"`
	// Advance is what the platform advanced (垫付) for a REFUND_SOURCE_PARTNER_ADVANCE refund.
	Advance *int64 `json:"advance,omitempty"`
}

// EcommerceRefund renders a refund as the e-commerce query API does.
func EcommerceRefund(r *pay.Refund) any {
	return ecommerceRefundJSON{
		RefundID:            r.ID,
		OutRefundNo:         r.OutRefundNo,
		TransactionID:       r.TransactionID,
		OutTradeNo:          r.OutTradeNo,
		Channel:             r.Channel,
		UserReceivedAccount: r.UserReceivedAccount,
		SuccessTime:         optTime(r.SuccessTime),
		CreateTime:          timeString(r.CreateTime),
		Status:              r.Status,
		RefundAccount:       refundAccount(r),
		FundsAccount:        fundsAccount(r),
		Amount:              ecommerceAmount(r),
		PromotionDetail:     promotions(r.Promotions),
	}
}

func ecommerceAmount(r *pay.Refund) ecommerceAmountJSON {
	out := ecommerceAmountJSON{
		Refund: r.Amount.Refund, From: fromList(r.Amount.From), PayerRefund: r.Amount.PayerRefund,
		DiscountRefund: r.Amount.DiscountRefund, Currency: r.Amount.Currency,
	}
	if r.RefundAccount == "REFUND_SOURCE_PARTNER_ADVANCE" {
		advance := r.Amount.Refund
		out.Advance = &advance
	}
	return out
}

// refundAccount defaults to the sub-merchant's own funds (the refund_account
// default, https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_1.shtml).
func refundAccount(r *pay.Refund) string {
	if r.RefundAccount == "" {
		return "REFUND_SOURCE_SUB_MERCHANT"
	}
	return r.RefundAccount
}
