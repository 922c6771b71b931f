package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestTransactions checks what Store.Update promises across parts: a failed Update
// writes nothing, and concurrent Updates never break the rules of money. Each case runs
// on a fresh store from open.
func TestTransactions(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("UpdateRollback", func(t *testing.T) { testUpdateRollback(t, open(t)) })
	t.Run("ConcurrentRefunds", func(t *testing.T) { testConcurrentRefunds(t, open(t)) })
	t.Run("ConcurrentOutRefundNo", func(t *testing.T) { testConcurrentOutRefundNo(t, open(t)) })
}

func testUpdateRollback(t *testing.T, s pay.Store) {
	ctx := t.Context()
	m := newMerchant("1900000109")
	tr := newOrder("4200000001", m.Mchid, "trade-1")
	fail := pay.Errorf(pay.CodeNotEnough, "not enough")
	err := write(t, s, func(tx pay.Tx) error {
		if err := tx.InsertMerchant(ctx, m); err != nil {
			return err
		}
		if err := tx.InsertOrder(ctx, tr); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "k", "v"); err != nil {
			return err
		}
		return fail
	})
	if err != fail {
		t.Errorf("Update error = %v, want fn's own error %v", err, fail)
	}
	var e *pay.Error
	if !errors.As(err, &e) || e.Code != pay.CodeNotEnough {
		t.Errorf("Update error = %v, want a *pay.Error with code %s", err, pay.CodeNotEnough)
	}

	_, err = read(t, s, func(tx pay.Tx) (*pay.Merchant, error) { return tx.Merchant(ctx, m.Mchid) })
	checkErr(t, "Merchant after rollback", err, pay.ErrNotFound)
	_, err = read(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	checkErr(t, "OrderByID after rollback", err, pay.ErrNotFound)
	_, err = read(t, s, func(tx pay.Tx) (string, error) { return tx.Setting(ctx, "k") })
	checkErr(t, "Setting after rollback", err, pay.ErrNotFound)

	// The store is usable after a rollback, and the same rows now go in.
	seed(t, s, m.Mchid, tr.ID, tr.OutTradeNo)
}

var errNotEnough = errors.New("not enough")

// testConcurrentRefunds races read-modify-write Updates on one order: unless the store
// serializes them, two read the same Refunded and together refund more than was paid.
func testConcurrentRefunds(t *testing.T, s pay.Store) {
	const workers, amount = 40, 100
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	tr.Total, tr.Refunded, tr.RefundCount = 10*amount, 0, 0
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateOrder(ctx, tr) })

	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(ctx, func(tx pay.Tx) error {
				cur, err := tx.Order(ctx, tr.Mchid, pay.TradeRef{OutTradeNo: tr.OutTradeNo})
				if err != nil {
					return err
				}
				if cur.Refunded+amount > cur.Total {
					return errNotEnough
				}
				r := newProcessingRefund(fmt.Sprintf("5000%07d", i), fmt.Sprintf("refund-%d", i), cur, base)
				r.Amount.Refund = amount
				if err := tx.InsertRefund(ctx, r); err != nil {
					return err
				}
				cur.Refunded += amount
				cur.RefundCount++
				return tx.UpdateOrder(ctx, cur)
			})
		})
	}
	// Released together, the workers overlap as much as the store lets them.
	close(start)
	wg.Wait()

	accepted := 0
	for i, err := range errs {
		switch {
		case err == nil:
			accepted++
		case !errors.Is(err, errNotEnough):
			t.Errorf("worker %d: Update: %v", i, err)
		}
	}
	checkRefunded(t, s, tr, accepted*amount)
}

// checkRefunded checks that the order's refunds add up to want, which the order's
// Refunded agrees with and which stays within its Total.
func checkRefunded(t *testing.T, s pay.Store, tr *pay.Order, want int) {
	t.Helper()
	ctx := t.Context()
	refunds := mustRead(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.RefundsOfOrder(ctx, tr.ID) })
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Order, error) { return tx.OrderByID(ctx, tr.ID) })
	var sum int64
	for _, r := range refunds {
		sum += r.Amount.Refund
	}
	if sum > got.Total {
		t.Errorf("refunds sum to %d, more than Total %d", sum, got.Total)
	}
	if got.Refunded != sum || got.RefundCount != len(refunds) {
		t.Errorf("Refunded, RefundCount = %d, %d; want %d, %d from the stored refunds", got.Refunded, got.RefundCount, sum, len(refunds))
	}
	if sum != int64(want) {
		t.Errorf("refunds sum to %d, want %d from the accepted Updates", sum, want)
	}
	// Workers ask for far more than Total in all, so one after another they fill
	// the order exactly.
	if sum != got.Total {
		t.Errorf("refunds sum to %d, want the whole Total %d", sum, got.Total)
	}
}

// testConcurrentOutRefundNo races Updates that look an out_refund_no up and insert it
// when absent: exactly one refund may come of it.
func testConcurrentOutRefundNo(t *testing.T, s pay.Store) {
	const workers = 20
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")

	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(ctx, func(tx pay.Tx) error {
				if _, err := tx.Order(ctx, tr.Mchid, pay.TradeRef{TransactionID: tr.ID}); err != nil {
					return err
				}
				_, err := tx.Refund(ctx, tr.Mchid, "refund-once")
				if err == nil {
					return pay.ErrDuplicate
				}
				if !errors.Is(err, pay.ErrNotFound) {
					return err
				}
				return tx.InsertRefund(ctx, newProcessingRefund(fmt.Sprintf("5000%07d", i), "refund-once", tr, base))
			})
		})
	}
	close(start)
	wg.Wait()

	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, pay.ErrDuplicate):
			t.Errorf("worker %d: Update: %v", i, err)
		}
	}
	if n != 1 {
		t.Errorf("%d Updates inserted out_refund_no %q, want 1", n, "refund-once")
	}
}
