package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/refund"
)

func testTransaction(t *testing.T, s refund.Store) {
	ctx := t.Context()
	m, want := seed(t, s, "1900000109", "4200000001", "trade-1")
	// A fresh order: no promotions, nothing refunded, zero times.
	bare := &refund.Transaction{ID: "4200000002", OutTradeNo: "trade-2", Mchid: m.Mchid, Total: 500, PayerTotal: 500, Currency: "CNY"}
	mustWrite(t, s, func(tx refund.Tx) error { return tx.InsertTransaction(ctx, bare) })

	found := []struct {
		call string
		get  func(tx refund.Tx) (*refund.Transaction, error)
		want *refund.Transaction
	}{
		{"Transaction(transaction_id)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, m.Mchid, refund.TradeRef{TransactionID: want.ID})
		}, want},
		{"Transaction(out_trade_no)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, m.Mchid, refund.TradeRef{OutTradeNo: want.OutTradeNo})
		}, want},
		// transaction_id wins over out_trade_no (protocol.md §5.1).
		{"Transaction(transaction_id, other out_trade_no)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, m.Mchid, refund.TradeRef{TransactionID: want.ID, OutTradeNo: bare.OutTradeNo})
		}, want},
		{"TransactionByID", func(tx refund.Tx) (*refund.Transaction, error) { return tx.TransactionByID(ctx, want.ID) }, want},
		{"TransactionByID(bare)", func(tx refund.Tx) (*refund.Transaction, error) { return tx.TransactionByID(ctx, bare.ID) }, bare},
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
		get  func(tx refund.Tx) (*refund.Transaction, error)
	}{
		{"Transaction(other mchid, transaction_id)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, "1900000999", refund.TradeRef{TransactionID: want.ID})
		}},
		{"Transaction(other mchid, out_trade_no)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, "1900000999", refund.TradeRef{OutTradeNo: want.OutTradeNo})
		}},
		{"Transaction(unknown transaction_id, known out_trade_no)", func(tx refund.Tx) (*refund.Transaction, error) {
			return tx.Transaction(ctx, m.Mchid, refund.TradeRef{TransactionID: "4200009999", OutTradeNo: want.OutTradeNo})
		}},
		{"TransactionByID(unknown)", func(tx refund.Tx) (*refund.Transaction, error) { return tx.TransactionByID(ctx, "4200009999") }},
	}
	for _, tt := range missing {
		_, err := read(t, s, tt.get)
		checkErr(t, tt.call, err, refund.ErrNotFound)
	}
}

func testTransactionDuplicate(t *testing.T, s refund.Store) {
	ctx := t.Context()
	_, first := seed(t, s, "1900000109", "4200000001", "trade-1")
	other, _ := seed(t, s, "1900000110", "4200000002", "trade-2")

	sameID := newTransaction(first.ID, first.Mchid, "trade-3")
	err := write(t, s, func(tx refund.Tx) error { return tx.InsertTransaction(ctx, sameID) })
	checkErr(t, "InsertTransaction(same transaction_id)", err, refund.ErrDuplicate)

	sameNo := newTransaction("4200000003", first.Mchid, first.OutTradeNo)
	err = write(t, s, func(tx refund.Tx) error { return tx.InsertTransaction(ctx, sameNo) })
	checkErr(t, "InsertTransaction(same mchid and out_trade_no)", err, refund.ErrDuplicate)

	// out_trade_no is unique per merchant only.
	otherMchid := newTransaction("4200000004", other.Mchid, first.OutTradeNo)
	if err := write(t, s, func(tx refund.Tx) error { return tx.InsertTransaction(ctx, otherMchid) }); err != nil {
		t.Errorf("InsertTransaction(same out_trade_no, other mchid): %v", err)
	}

	orphan := newTransaction("4200000005", "1900000999", "trade-5")
	if err := write(t, s, func(tx refund.Tx) error { return tx.InsertTransaction(ctx, orphan) }); err == nil {
		t.Errorf("InsertTransaction(unknown mchid) succeeded, want an error")
	}
}

func testUpdateTransaction(t *testing.T, s refund.Store) {
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
	want.Promotions = []refund.Promotion{{PromotionID: "2", Scope: "GLOBAL", Type: "COUPON", Amount: 1}}
	want.BankType = ""
	want.SuccessTime = time.Time{}
	want.CreateTime = at(-3 * time.Hour)
	want.RefundOutcome = ""
	want.Refunded = 1500
	want.RefundCount = 7
	want.LastRefundAt = at(time.Hour)
	mustWrite(t, s, func(tx refund.Tx) error { return tx.UpdateTransaction(ctx, &want) })

	got := mustRead(t, s, func(tx refund.Tx) (*refund.Transaction, error) { return tx.TransactionByID(ctx, tr.ID) })
	checkEqual(t, "TransactionByID after UpdateTransaction", &want, got)

	want.Promotions = nil
	mustWrite(t, s, func(tx refund.Tx) error { return tx.UpdateTransaction(ctx, &want) })
	got = mustRead(t, s, func(tx refund.Tx) (*refund.Transaction, error) { return tx.TransactionByID(ctx, tr.ID) })
	if len(got.Promotions) != 0 {
		t.Errorf("Promotions after clearing = %v, want none", got.Promotions)
	}

	unknown := newTransaction("4200009999", tr.Mchid, "trade-9")
	err := write(t, s, func(tx refund.Tx) error { return tx.UpdateTransaction(ctx, unknown) })
	checkErr(t, "UpdateTransaction(unknown)", err, refund.ErrNotFound)
}
