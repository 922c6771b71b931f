package storetest

import (
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// newAdvanceReturn returns a SUCCESS return of r with every field set.
func newAdvanceReturn(id string, r *pay.Refund) *pay.AdvanceReturn {
	return &pay.AdvanceReturn{
		ID:           id,
		RefundID:     r.ID,
		PayerMchid:   r.Mchid,
		PayerAccount: pay.AccountBasic,
		PayeeMchid:   r.SpMchid,
		PayeeAccount: pay.AccountOperation,
		Amount:       r.Amount.Refund,
		Result:       pay.AdvanceSuccess,
		CreateTime:   at(0),
		SuccessTime:  at(0),
	}
}

// TestAdvanceReturns checks AdvanceTx on a fresh store from open.
func TestAdvanceReturns(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("AdvanceReturns", func(t *testing.T) { testAdvanceReturns(t, open(t)) })
}

// testAdvanceReturns checks that a return round-trips, that a refund has at most one
// however it is asked for, and that one must belong to a stored refund.
func testAdvanceReturns(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	r, other := newRefund("50000000001", "refund-1", tr), newRefund("50000000002", "refund-2", tr)
	insertRefunds(t, s, r, other)
	get := func(refundID string) func(tx pay.Tx) (*pay.AdvanceReturn, error) {
		return func(tx pay.Tx) (*pay.AdvanceReturn, error) { return tx.AdvanceReturnOfRefund(ctx, refundID) }
	}

	_, err := read(t, s, get(r.ID))
	checkErr(t, "AdvanceReturnOfRefund(none yet)", err, pay.ErrNotFound)

	want := newAdvanceReturn("1215562501201407033233368018", r)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.InsertAdvanceReturn(ctx, want) })
	checkEqual(t, "AdvanceReturnOfRefund", want, mustRead(t, s, get(r.ID)))

	again := newAdvanceReturn("1215562501201407033233368019", r)
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertAdvanceReturn(ctx, again) })
	checkErr(t, "InsertAdvanceReturn(same refund)", err, pay.ErrDuplicate)

	sameID := newAdvanceReturn(want.ID, other)
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertAdvanceReturn(ctx, sameID) })
	checkErr(t, "InsertAdvanceReturn(same advance_return_id)", err, pay.ErrDuplicate)

	orphan := newAdvanceReturn("1215562501201407033233368020", r)
	orphan.RefundID = "50000009999"
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertAdvanceReturn(ctx, orphan) }); err == nil {
		t.Errorf("InsertAdvanceReturn(unknown refund) succeeded, want an error")
	}
	_, err = read(t, s, get(orphan.RefundID))
	checkErr(t, "AdvanceReturnOfRefund(unknown refund)", err, pay.ErrNotFound)
}
