package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestOrders checks OrderTx, each case on a fresh store from open.
func TestOrders(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Order", func(t *testing.T) { testOrder(t, open(t)) })
	t.Run("OrderDuplicate", func(t *testing.T) { testOrderDuplicate(t, open(t)) })
	t.Run("UpdateOrder", func(t *testing.T) { testUpdateOrder(t, open(t)) })
	t.Run("UpdateOrderTotals", func(t *testing.T) { testUpdateOrderTotals(t, open(t)) })
	t.Run("OrderByPrepayIDAndCodeURL", func(t *testing.T) { testOrderByPrepayIDAndCodeURL(t, open(t)) })
}

func testOrder(t *testing.T, s pay.Store) {
	ctx := t.Context()
	m, want := seed(t, s, "1900000109", "4200000001", "trade-1")
	// A fresh order: no promotions, nothing refunded, zero times.
	bare := &pay.Order{ID: "4200000002", OutTradeNo: "trade-2", Mchid: m.Mchid, Total: 500, PayerTotal: 500, Currency: "CNY"}
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, bare) })

	found := []struct {
		call string
		get  func(tx pay.Tx) (*pay.Order, error)
		want *pay.Order
	}{
		{"Order(transaction_id)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, m.Mchid, pay.TradeRef{TransactionID: want.ID})
		}, want},
		{"Order(out_trade_no)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, m.Mchid, pay.TradeRef{OutTradeNo: want.OutTradeNo})
		}, want},
		// transaction_id wins over out_trade_no
		// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, request parameters).
		{"Order(transaction_id, other out_trade_no)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, m.Mchid, pay.TradeRef{TransactionID: want.ID, OutTradeNo: bare.OutTradeNo})
		}, want},
		{"OrderByID", func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, want.ID) }, want},
		{"OrderByID(bare)", func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, bare.ID) }, bare},
	}
	for _, tt := range found {
		got, err := read(t, s, tt.get)
		if err != nil {
			t.Errorf("%s: %v", tt.call, err)
			continue
		}
		checkEqual(t, tt.call, tt.want, got)
	}

	missing := []struct {
		call string
		get  func(tx pay.Tx) (*pay.Order, error)
	}{
		{"Order(other mchid, transaction_id)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, "1900000999", pay.TradeRef{TransactionID: want.ID})
		}},
		{"Order(other mchid, out_trade_no)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, "1900000999", pay.TradeRef{OutTradeNo: want.OutTradeNo})
		}},
		{"Order(unknown transaction_id, known out_trade_no)", func(tx pay.Tx) (*pay.Order, error) {
			return tx.Order(ctx, m.Mchid, pay.TradeRef{TransactionID: "4200009999", OutTradeNo: want.OutTradeNo})
		}},
		{"OrderByID(unknown)", func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, "4200009999") }},
	}
	for _, tt := range missing {
		_, err := read(t, s, tt.get)
		checkErr(t, tt.call, err, pay.ErrNotFound)
	}
}

func testOrderDuplicate(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, first := seed(t, s, "1900000109", "4200000001", "trade-1")
	other, _ := seed(t, s, "1900000110", "4200000002", "trade-2")

	sameID := newOrder(first.ID, first.Mchid, "trade-3")
	err := write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, sameID) })
	checkErr(t, "InsertOrder(same transaction_id)", err, pay.ErrDuplicate)

	sameNo := newOrder("4200000003", first.Mchid, first.OutTradeNo)
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, sameNo) })
	checkErr(t, "InsertOrder(same mchid and out_trade_no)", err, pay.ErrDuplicate)

	// out_trade_no is unique per merchant only.
	otherMchid := newOrder("4200000004", other.Mchid, first.OutTradeNo)
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, otherMchid) }); err != nil {
		t.Errorf("InsertOrder(same out_trade_no, other mchid): %v", err)
	}

	orphan := newOrder("4200000005", "1900000999", "trade-5")
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, orphan) }); err == nil {
		t.Errorf("InsertOrder(unknown mchid) succeeded, want an error")
	}
}

func testUpdateOrder(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")

	// Every column but the keys changes; lists and times go both ways.
	want := *tr
	want.SpMchid = "1900000200"
	want.Appid = "wx0000000000000001"
	want.SubAppid = ""
	want.Total = 2000
	want.PayerTotal = 1999
	want.Currency = "USD"
	want.Promotions = []pay.Promotion{{PromotionID: "2", Scope: "GLOBAL", Type: "COUPON", Amount: 1}}
	want.BankType = ""
	want.SuccessTime = time.Time{}
	want.CreateTime = at(-3 * time.Hour)
	want.RefundOutcome = ""
	want.Refunded = 1500
	want.RefundCount = 7
	want.LastRefundAt = at(time.Hour)
	want.Split = &pay.RefundSplit{Payer: 1499, Promotions: []int64{1}}
	want.TradeState, want.TradeStateDesc = pay.TradeClosed, "订单已关闭"
	want.TimeExpire = time.Time{}
	want.SupportFapiao, want.ProfitSharing = false, false
	want.LimitPay = nil
	want.PrepayID, want.CodeURL = "", "" // back to none: NULL, which UNIQUE lets repeat
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, &want) })

	got := mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	checkEqual(t, "OrderByID after UpdateOrder", &want, got)

	// No promotions, and split totals back to none (an order stored before they were
	// kept): nil, not a zero value, so that the domain knows to compute them.
	want.Promotions = nil
	want.Split = nil
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, &want) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	if len(got.Promotions) != 0 {
		t.Errorf("Promotions after clearing = %v, want none", got.Promotions)
	}
	if got.Split != nil {
		t.Errorf("Split after clearing = %+v, want nil", got.Split)
	}

	// Totals of an order without promotions: the payer's alone.
	want.Split = &pay.RefundSplit{Payer: 1500, Promotions: []int64{}}
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, &want) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	if got.Split == nil || got.Split.Payer != 1500 || len(got.Split.Promotions) != 0 {
		t.Errorf("Split without promotions = %+v, want payer 1500 and no promotions", got.Split)
	}

	unknown := newOrder("4200009999", tr.Mchid, "trade-9")
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, unknown) })
	checkErr(t, "UpdateOrder(unknown)", err, pay.ErrNotFound)
}

// UpdateOrderTotals writes the running refund totals and nothing else: every other
// field changed in the value passed stays as stored.
func testUpdateOrderTotals(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")

	want := *tr
	want.Refunded = 150
	want.RefundCount = 3
	want.LastRefundAt = at(time.Hour)
	want.Split = &pay.RefundSplit{Payer: 120, Promotions: []int64{20, 10}}
	passed := want
	passed.Total, passed.PayerTotal = 1, 1
	passed.TradeState, passed.Description = pay.TradeClosed, "changed"
	passed.Promotions = nil
	passed.CreateTime = at(-time.Hour)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrderTotals(ctx, &passed) })
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	checkEqual(t, "OrderByID after UpdateOrderTotals", &want, got)

	// Back to none: what a refund's close leaves on an order that never kept its split.
	want.Refunded, want.RefundCount, want.LastRefundAt, want.Split = 0, 0, time.Time{}, nil
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrderTotals(ctx, &want) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	checkEqual(t, "OrderByID after clearing the totals", &want, got)

	unknown := newOrder("4200009999", tr.Mchid, "trade-9")
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateOrderTotals(ctx, unknown) })
	checkErr(t, "UpdateOrderTotals(unknown)", err, pay.ErrNotFound)
}

// A placed order is found by the prepay_id and code_url it was answered with, each unique
// among orders; orders without one (a one-step sandbox order, a JSAPI order's code_url)
// never clash, and "" finds none of them.
func testOrderByPrepayIDAndCodeURL(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, want := seed(t, s, "1900000109", "4200000001", "trade-1")
	bare1 := &pay.Order{ID: "4200000002", OutTradeNo: "trade-2", Mchid: want.Mchid, Total: 1, PayerTotal: 1, Currency: "CNY"}
	bare2 := &pay.Order{ID: "4200000003", OutTradeNo: "trade-3", Mchid: want.Mchid, Total: 1, PayerTotal: 1, Currency: "CNY"}
	mustWrite(t, s, func(tx pay.Tx) error {
		if err := tx.InsertOrder(ctx, bare1); err != nil {
			return err
		}
		return tx.InsertOrder(ctx, bare2)
	})

	got := mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByPrepayID(ctx, want.PrepayID) })
	checkEqual(t, "OrderByPrepayID", want, got)
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByCodeURL(ctx, want.CodeURL) })
	checkEqual(t, "OrderByCodeURL", want, got)

	for call, get := range map[string]func(tx pay.Tx) (*pay.Order, error){
		"OrderByPrepayID(\"\")":    func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByPrepayID(ctx, "") },
		"OrderByCodeURL(\"\")":     func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByCodeURL(ctx, "") },
		"OrderByPrepayID(unknown)": func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByPrepayID(ctx, "wx0") },
		"OrderByCodeURL(unknown)":  func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByCodeURL(ctx, "weixin://0") },
	} {
		_, err := read(t, s, get)
		checkErr(t, call, err, pay.ErrNotFound)
	}

	samePrepay := newOrder("4200000004", want.Mchid, "trade-4")
	samePrepay.PrepayID = want.PrepayID
	err := write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, samePrepay) })
	checkErr(t, "InsertOrder(same prepay_id)", err, pay.ErrDuplicate)
	sameCode := newOrder("4200000005", want.Mchid, "trade-5")
	sameCode.CodeURL = want.CodeURL
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertOrder(ctx, sameCode) })
	checkErr(t, "InsertOrder(same code_url)", err, pay.ErrDuplicate)
}
