package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// cashier is where the tester plays the payer: a form naming a placed order and the
// outcome, and the orders still waiting to be paid.
func (h *handler) cashier(w http.ResponseWriter, r *http.Request) error {
	waiting, err := h.svc.Orders.Find(r.Context(), pay.OrderFilter{State: pay.TradeNotPay, Limit: pageSize})
	if err != nil {
		return fmt.Errorf("list unpaid orders: %w", err)
	}
	return h.render(w, r, "cashier", struct {
		Waiting  []*pay.Order
		Outcomes []pay.TradeState
	}{waiting, []pay.TradeState{pay.TradeSuccess, pay.TradePayError, pay.TradeUserPaying}})
}

// payOrder pays the order the form names, as the sandbox's POST /sandbox/v1/payments does.
func (h *handler) payOrder(r *http.Request) (string, error) {
	q := pay.PayRequest{
		CodeURL: strings.TrimSpace(r.PostFormValue("code_url")), PrepayID: strings.TrimSpace(r.PostFormValue("prepay_id")),
		Mchid: strings.TrimSpace(r.PostFormValue("mchid")), OutTradeNo: strings.TrimSpace(r.PostFormValue("out_trade_no")),
		Outcome: pay.TradeState(r.PostFormValue("outcome")), BankType: strings.TrimSpace(r.PostFormValue("bank_type")),
	}
	o, err := h.svc.Orders.Pay(r.Context(), q)
	if err != nil {
		return "", err
	}
	return "/console/transactions/" + url.PathEscape(o.ID), nil
}
