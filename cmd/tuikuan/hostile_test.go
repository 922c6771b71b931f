package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Ensure a refund body that names amount.refund twice is refused, naming the key, and
// refunds nothing: encoding/json alone would refund the last of the two amounts.
func TestHostile_DuplicateJSONKey(t *testing.T) {
	for name, args := range map[string][]string{"Strict": nil, "Lenient": {"--lenient"}} {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, args...)
			m := s.merchant(t, "direct")
			o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 10000})
			body := []byte(`{"transaction_id":"` + o.TransactionID + `","out_refund_no":"` + uniq("D") +
				`","amount":{"refund":1,"refund":9999,"total":10000,"currency":"CNY"}}`)
			a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
			if a.status != http.StatusBadRequest {
				t.Fatalf("POST %s with amount.refund twice = %d %s, want 400", refundsPath, a.status, a.body)
			}
			if e := a.error(t); e.Code != "PARAM_ERROR" || e.Detail.Field != "amount.refund" {
				t.Errorf("POST %s with amount.refund twice = %s field %q, want PARAM_ERROR field amount.refund", refundsPath, e.Code, e.Detail.Field)
			}
			if got := s.order(t, o.TransactionID).Refunded; got != 0 {
				t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
			}
		})
	}
}

// Ensure an Authorization header that names an item twice is a 401 SIGN_ERROR, even when
// one of the two values would verify.
func TestHostile_DuplicateAuthorizationItem(t *testing.T) {
	s := startServer(t)
	m := s.merchant(t, "direct")
	o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
	for name, item := range map[string]string{
		"MchidTwice":     `mchid="1900000999"`,
		"MchidTwiceSame": `mchid="` + m.Mchid + `"`,
		"NonceTwice":     `nonce_str="` + wxcrypto.Nonce(32) + `"`,
	} {
		t.Run(name, func(t *testing.T) {
			body := refundBody(o, uniq("A"), 1)
			p := s.signer(t, m).sign(t, "POST", refundsPath, time.Now().Unix(), wxcrypto.Nonce(32), body)
			// The signed value comes last, where a parser that keeps the last one finds it.
			h := strings.Replace(p.header(), "RSA2048 ", "RSA2048 "+item+",", 1)
			a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": h})
			if e := a.error(t); a.status != http.StatusUnauthorized || e.Code != "SIGN_ERROR" {
				t.Errorf("POST %s with %s = %d %s, want 401 SIGN_ERROR", refundsPath, name, a.status, a.body)
			}
		})
	}
	if got := s.order(t, o.TransactionID).Refunded; got != 0 {
		t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
	}
}

// Ensure amount.currency is required in a domestic refund (必填) but not in an
// e-commerce one, and that --lenient still accepts a domestic refund without it.
func TestRefund_CurrencyRequired(t *testing.T) {
	withoutCurrency := func(o paidOrder) []byte {
		b, _ := json.Marshal(map[string]any{
			"transaction_id": o.TransactionID, "out_refund_no": uniq("C"),
			"amount": map[string]any{"refund": 1, "total": o.Total},
		})
		return b
	}
	t.Run("Strict", func(t *testing.T) {
		s := startServer(t)
		m := s.merchant(t, "direct")
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		body := withoutCurrency(o)
		a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
		if e := a.error(t); a.status != http.StatusBadRequest || e.Code != "PARAM_ERROR" || e.Detail.Field != "amount.currency" {
			t.Errorf("POST %s without currency = %d %s, want 400 PARAM_ERROR field amount.currency", refundsPath, a.status, a.body)
		}
		if got := s.order(t, o.TransactionID).Refunded; got != 0 {
			t.Errorf("order %s refunded %d, want nothing", o.TransactionID, got)
		}

		partner, sub := s.merchant(t, "partner"), s.merchant(t, "sub")
		so := s.pay(t, map[string]any{"mchid": sub.Mchid, "total": 100})
		const ecommercePath = "/v3/ecommerce/refunds/apply"
		body, _ = json.Marshal(map[string]any{
			"sub_mchid": sub.Mchid, "sp_appid": partner.Appid, "out_trade_no": so.OutTradeNo, "out_refund_no": uniq("E"),
			"amount": map[string]any{"refund": 1, "total": 100},
		})
		a = s.send(t, "POST", ecommercePath, body, map[string]string{"Authorization": s.signer(t, partner).authorize(t, "POST", ecommercePath, body)})
		if a.status != http.StatusOK {
			t.Errorf("POST %s without currency = %d %s, want 200", ecommercePath, a.status, a.body)
		}
	})
	t.Run("Lenient", func(t *testing.T) {
		s := startServer(t, "--lenient")
		m := s.merchant(t, "direct")
		o := s.pay(t, map[string]any{"mchid": m.Mchid, "total": 100})
		body := withoutCurrency(o)
		a := s.send(t, "POST", refundsPath, body, map[string]string{"Authorization": s.signer(t, m).authorize(t, "POST", refundsPath, body)})
		if a.status != http.StatusOK {
			t.Errorf("POST %s without currency, lenient = %d %s, want 200", refundsPath, a.status, a.body)
		}
	})
}
