package sandbox

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/tuikuan/tuikuan/internal/apiv3"
	"github.com/tuikuan/tuikuan/internal/pay"
)

type promotionJSON struct {
	PromotionID string `json:"promotion_id"`
	Scope       string `json:"scope"`
	Type        string `json:"type"`
	Amount      int64  `json:"amount"`
	// CouponCode (and StockID, for a merchant-made code) name the merchant coupon the
	// order was paid with; paying uses it.
	CouponCode string `json:"coupon_code,omitempty"`
	StockID    string `json:"stock_id,omitempty"`
}

func (p promotionJSON) promotion() pay.Promotion {
	return pay.Promotion{PromotionID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, CouponCode: p.CouponCode, StockID: p.StockID}
}

// transactionBody is POST /sandbox/v1/transactions.
type transactionBody struct {
	Mchid         string          `json:"mchid"`
	SpMchid       string          `json:"sp_mchid"`
	Appid         string          `json:"appid"`
	OutTradeNo    string          `json:"out_trade_no"`
	Total         *int64          `json:"total"`
	PayerTotal    *int64          `json:"payer_total"`
	Promotions    []promotionJSON `json:"promotions"`
	BankType      string          `json:"bank_type"`
	RefundOutcome string          `json:"refund_outcome"`
}

func (h *handler) createOrder(r *http.Request) (any, error) {
	var b transactionBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if b.Total == nil {
		return nil, pay.ParamError("total", "字段必填", nil)
	}
	q := pay.OrderRequest{
		Mchid: b.Mchid, SpMchid: b.SpMchid, Appid: b.Appid, OutTradeNo: b.OutTradeNo,
		Total: *b.Total, PayerTotal: b.PayerTotal, BankType: b.BankType,
		RefundOutcome: pay.Status(b.RefundOutcome),
	}
	for _, p := range b.Promotions {
		q.Promotions = append(q.Promotions, p.promotion())
	}
	t, err := h.svc.Orders.Create(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return transactionView(t, nil), nil
}

func (h *handler) getOrder(r *http.Request) (any, error) {
	t, rs, err := h.svc.Orders.Query(r.Context(), r.PathValue("transaction_id"))
	if err != nil {
		return nil, err
	}
	v := transactionView(t, nil)
	for _, rf := range rs {
		view, err := h.refundDetail(rf)
		if err != nil {
			return nil, err
		}
		v.Refunds = append(v.Refunds, view)
	}
	return v, nil
}

type transactionJSON struct {
	TransactionID string          `json:"transaction_id"`
	OutTradeNo    string          `json:"out_trade_no"`
	Mchid         string          `json:"mchid"`
	SpMchid       string          `json:"sp_mchid,omitempty"`
	Appid         string          `json:"appid"`
	SubAppid      string          `json:"sub_appid,omitempty"`
	TradeState    string          `json:"trade_state"`
	Total         int64           `json:"total"`
	PayerTotal    int64           `json:"payer_total"`
	Currency      string          `json:"currency"`
	Promotions    []promotionJSON `json:"promotions,omitempty"`
	BankType      string          `json:"bank_type,omitempty"`
	RefundOutcome string          `json:"refund_outcome,omitempty"`
	SuccessTime   string          `json:"success_time"`
	Refunded      int64           `json:"refunded"`
	Refundable    int64           `json:"refundable"`
	RefundCount   int             `json:"refund_count"`
	Refunds       []any           `json:"refunds,omitempty"`
}

func transactionView(t *pay.Order, rs []*pay.Refund) transactionJSON {
	v := transactionJSON{
		TransactionID: t.ID, OutTradeNo: t.OutTradeNo, Mchid: t.Mchid, SpMchid: t.SpMchid,
		Appid: t.Appid, SubAppid: t.SubAppid, TradeState: "SUCCESS",
		Total: t.Total, PayerTotal: t.PayerTotal, Currency: t.Currency, BankType: t.BankType,
		RefundOutcome: string(t.RefundOutcome), SuccessTime: t.SuccessTime.In(pay.Beijing).Format(time.RFC3339),
		Refunded: t.Refunded, Refundable: t.Refundable(), RefundCount: t.RefundCount,
	}
	for _, p := range t.Promotions {
		v.Promotions = append(v.Promotions, promotionJSON{PromotionID: p.PromotionID, Scope: p.Scope, Type: p.Type, Amount: p.Amount, CouponCode: p.CouponCode, StockID: p.StockID})
	}
	for _, rf := range rs {
		v.Refunds = append(v.Refunds, refundView(rf))
	}
	return v
}

// refundView is the refund exactly as the domestic query API shows it.
func refundView(r *pay.Refund) any { return apiv3.DomesticRefund(r) }

// refundDetail is refundView plus what only the sandbox shows: how an abnormal refund was
// rescued, with the bank account and name masked.
func (h *handler) refundDetail(r *pay.Refund) (any, error) {
	if r.AbnormalType == "" {
		return refundView(r), nil
	}
	account, name, err := h.svc.Refunds.MaskedBankCard(r)
	if err != nil {
		return nil, err
	}
	// Merge through a map: the query API's object stays exactly as it is, plus one key.
	data, err := json.Marshal(refundView(r))
	if err != nil {
		return nil, err
	}
	var view map[string]any
	if err := json.Unmarshal(data, &view); err != nil {
		return nil, err
	}
	view["abnormal_refund"] = abnormalJSON{r.AbnormalType, r.BankType, account, name}
	return view, nil
}

type abnormalJSON struct {
	Type        string `json:"type"`
	BankType    string `json:"bank_type,omitempty"`
	BankAccount string `json:"bank_account,omitempty"`
	RealName    string `json:"real_name,omitempty"`
}
