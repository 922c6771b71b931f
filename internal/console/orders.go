package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// pageSize is how many rows a console list shows at once.
const pageSize = 50

// transactions lists orders, newest first, narrowed by the query's number, mchid and
// trade_state.
func (h *handler) transactions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := pay.OrderFilter{
		Mchid: strings.TrimSpace(q.Get("mchid")), Number: strings.TrimSpace(q.Get("number")),
		State: pay.TradeState(q.Get("trade_state")), Limit: pageSize + 1, Offset: listOffset(q),
	}
	orders, err := h.svc.Orders.Find(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list orders: %w", err)
	}
	merchants, err := h.svc.Merchants.List(r.Context())
	if err != nil {
		return fmt.Errorf("list merchants: %w", err)
	}
	orders, next := trimPage(orders, f.Offset)
	return h.render(w, r, "transactions", struct {
		Orders      []*pay.Order
		Merchants   []*pay.Merchant
		Filter      pay.OrderFilter
		TradeStates []pay.TradeState
		Pager       pager
	}{orders, merchants, f, tradeStates, pagerOf(r.URL, f.Offset, next)})
}

var tradeStates = []pay.TradeState{pay.TradeSuccess, pay.TradeRefund, pay.TradeNotPay, pay.TradeClosed,
	pay.TradePayError, pay.TradeUserPaying, pay.TradeRevoked}

// createOrder makes a paid order as the sandbox's POST /sandbox/v1/transactions does.
func (h *handler) createOrder(r *http.Request) (string, error) {
	total, err := parseYuan("amount", r.PostFormValue("amount"))
	if err != nil {
		return "", err
	}
	q := pay.OrderRequest{
		Mchid: r.PostFormValue("mchid"), OutTradeNo: strings.TrimSpace(r.PostFormValue("out_trade_no")),
		Total: total, BankType: strings.TrimSpace(r.PostFormValue("bank_type")),
	}
	o, err := h.svc.Orders.Create(r.Context(), q)
	if err != nil {
		return "", err
	}
	return "/console/transactions/" + url.PathEscape(o.ID), nil
}

// transaction shows one order with its refunds, its payment notification and a refund
// form.
func (h *handler) transaction(w http.ResponseWriter, r *http.Request) error {
	o, refunds, err := h.svc.Orders.Query(r.Context(), r.PathValue("transaction_id"))
	if err != nil {
		return err
	}
	notes, err := h.svc.Notifications.Find(r.Context(), pay.NotificationFilter{Mchid: notifiedMchid(o)})
	if err != nil {
		return fmt.Errorf("list notifications of %s: %w", o.Mchid, err)
	}
	var payment []*pay.Notification
	for _, n := range notes {
		if n.OrderID == o.ID {
			payment = append(payment, n)
		}
	}
	return h.render(w, r, "transaction", struct {
		Order         *pay.Order
		Refunds       []*pay.Refund
		Notifications []*pay.Notification
		Refundable    int64
	}{o, refunds, payment, o.Refundable()})
}

// notifiedMchid is whose key a notification of o is encrypted with: the partner for a
// partner's order.
func notifiedMchid(o *pay.Order) string {
	if o.SpMchid != "" {
		return o.SpMchid
	}
	return o.Mchid
}

// refundOrder applies for a refund of the order as its merchant would through
// POST /v3/refund/domestic/refunds: a partner's order is refunded by the partner for
// its sub-merchant.
func (h *handler) refundOrder(r *http.Request) (string, error) {
	amount, err := parseYuan("amount", r.PostFormValue("amount"))
	if err != nil {
		return "", err
	}
	total, err := parseYuan("total", r.PostFormValue("total"))
	if err != nil {
		return "", err
	}
	q := pay.ApplyRequest{
		API: pay.APIDomestic, Caller: r.PostFormValue("mchid"),
		TransactionID: r.PathValue("transaction_id"),
		OutRefundNo:   strings.TrimSpace(r.PostFormValue("out_refund_no")),
		Reason:        strings.TrimSpace(r.PostFormValue("reason")),
		NotifyURL:     strings.TrimSpace(r.PostFormValue("notify_url")),
		Refund:        amount, Total: total, Currency: "CNY",
	}
	if sp := r.PostFormValue("sp_mchid"); sp != "" {
		q.Caller, q.SubMchid = sp, r.PostFormValue("mchid")
	}
	if q.OutRefundNo == "" {
		// The console's own numbers say where they came from; the digits keep two
		// refunds in one second apart.
		q.OutRefundNo = "CONSOLE" + wxcrypto.Digits(16)
	}
	rf, err := h.svc.Refunds.Apply(r.Context(), q)
	if err != nil {
		return "", err
	}
	return "/console/refunds/" + url.PathEscape(rf.ID), nil
}
