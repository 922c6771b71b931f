package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestRefunds checks RefundTx, each case on a fresh store from open.
func TestRefunds(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Refund", func(t *testing.T) { testRefund(t, open(t)) })
	t.Run("RefundDuplicate", func(t *testing.T) { testRefundDuplicate(t, open(t)) })
	t.Run("RefundsOfOrder", func(t *testing.T) { testRefundsOfOrder(t, open(t)) })
	t.Run("UpdateRefund", func(t *testing.T) { testUpdateRefund(t, open(t)) })
	t.Run("DueRefunds", func(t *testing.T) { testDueRefunds(t, open(t)) })
	t.Run("ReadsFollowUpdates", func(t *testing.T) { testRefundReadsFollowUpdates(t, open(t)) })
	t.Run("ReadsWhileUpdating", func(t *testing.T) { testRefundReadsWhileUpdating(t, open(t)) })
}

func testRefund(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	full := newRefund("50000000001", "refund-1", tr)
	bare := newProcessingRefund("50000000002", "refund-2", tr, time.Time{})
	insertRefunds(t, s, full, bare)

	for _, want := range []*pay.Refund{full, bare} {
		got, err := read(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.Refund(ctx, want.Mchid, want.OutRefundNo) })
		if err != nil {
			t.Errorf("Refund(%q, %q): %v", want.Mchid, want.OutRefundNo, err)
		} else {
			checkEqual(t, "Refund("+want.OutRefundNo+")", want, got)
		}
		got, err = read(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, want.ID) })
		if err != nil {
			t.Errorf("RefundByID(%q): %v", want.ID, err)
		} else {
			checkEqual(t, "RefundByID("+want.ID+")", want, got)
		}
	}
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, bare.ID) })
	if !got.SuccessTime.IsZero() || !got.SettleAt.IsZero() || !got.UpdateTime.IsZero() {
		t.Errorf("RefundByID(%q) times = %v, %v, %v; want zero", bare.ID, got.SuccessTime, got.SettleAt, got.UpdateTime)
	}

	missing := []struct {
		call string
		get  func(tx pay.Tx) (*pay.Refund, error)
	}{
		{"Refund(unknown out_refund_no)", func(tx pay.Tx) (*pay.Refund, error) { return tx.Refund(ctx, tr.Mchid, "refund-9") }},
		{"Refund(other mchid)", func(tx pay.Tx) (*pay.Refund, error) { return tx.Refund(ctx, "1900000999", full.OutRefundNo) }},
		{"RefundByID(unknown)", func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, "50000009999") }},
	}
	for _, tt := range missing {
		_, err := read(t, s, tt.get)
		checkErr(t, tt.call, err, pay.ErrNotFound)
	}
}

func testRefundDuplicate(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	_, otherTr := seed(t, s, "1900000110", "4200000002", "trade-2")
	first := newRefund("50000000001", "refund-1", tr)
	insertRefunds(t, s, first)

	sameID := newRefund(first.ID, "refund-2", tr)
	err := write(t, s, func(tx pay.Tx) error { return tx.InsertRefund(ctx, sameID) })
	checkErr(t, "InsertRefund(same refund_id)", err, pay.ErrDuplicate)

	sameNo := newRefund("50000000003", first.OutRefundNo, tr)
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertRefund(ctx, sameNo) })
	checkErr(t, "InsertRefund(same mchid and out_refund_no)", err, pay.ErrDuplicate)

	// out_refund_no is unique per merchant only.
	otherMchid := newRefund("50000000004", first.OutRefundNo, otherTr)
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertRefund(ctx, otherMchid) }); err != nil {
		t.Errorf("InsertRefund(same out_refund_no, other mchid): %v", err)
	}

	orphan := newRefund("50000000005", "refund-5", newOrder("4200009999", tr.Mchid, "trade-9"))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertRefund(ctx, orphan) }); err == nil {
		t.Errorf("InsertRefund(unknown transaction) succeeded, want an error")
	}
}

func testRefundsOfOrder(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	_, otherTr := seed(t, s, "1900000110", "4200000002", "trade-2")
	late := newRefund("50000000001", "refund-1", tr)
	late.CreateTime = at(time.Minute)
	// Two refunds in the same millisecond keep their insertion order.
	early1 := newRefund("50000000003", "refund-2", tr)
	early2 := newRefund("50000000002", "refund-3", tr)
	other := newRefund("50000000004", "refund-4", otherTr)
	insertRefunds(t, s, late, early1, early2, other)

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.RefundsOfOrder(ctx, tr.ID) })
	checkEqual(t, "RefundsOfOrder", []*pay.Refund{early1, early2, late}, got)

	none, err := read(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.RefundsOfOrder(ctx, "4200009999") })
	if err != nil || len(none) != 0 {
		t.Errorf("RefundsOfOrder(unknown) = %v, %v; want none, nil", none, err)
	}
}

func testUpdateRefund(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	r := newProcessingRefund("50000000001", "refund-1", tr, at(time.Minute))
	insertRefunds(t, s, r)

	// Every column but the keys is rewritten; lists and times go both ways.
	want := *newRefund(r.ID, r.OutRefundNo, tr)
	want.SettleAt = time.Time{}
	want.CreateTime = at(time.Second)
	want.Status = pay.StatusClosed
	want.Outcome = pay.StatusClosed
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, &want) })
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, r.ID) })
	checkEqual(t, "RefundByID after UpdateRefund", &want, got)

	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, r) })
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, r.ID) })
	checkEqual(t, "RefundByID after UpdateRefund back", r, got)

	unknown := newRefund("50000009999", "refund-9", tr)
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, unknown) })
	checkErr(t, "UpdateRefund(unknown)", err, pay.ErrNotFound)
}

func testDueRefunds(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	now := base.Truncate(time.Millisecond)
	processing := func(id string, settleAt time.Time) *pay.Refund {
		return newProcessingRefund(id, "refund-"+id, tr, settleAt)
	}
	settled := func(id string, status pay.Status) *pay.Refund {
		r := processing(id, now.Add(-time.Hour))
		r.Status = status
		return r
	}
	insertRefunds(t, s,
		processing("1", now.Add(-time.Minute)),
		processing("2", now.Add(-2*time.Minute)),
		processing("3", now), // not after now: due
		processing("4", now.Add(time.Millisecond)),
		processing("5", time.Time{}), // settles only when told
		settled("6", pay.StatusSuccess),
		settled("7", pay.StatusClosed),
		settled("8", pay.StatusAbnormal),
	)

	tests := []struct {
		limit int
		want  []string
	}{
		{10, []string{"2", "1", "3"}},
		{2, []string{"2", "1"}},
	}
	for _, tt := range tests {
		due := mustRead(t, s, func(tx pay.Tx) ([]*pay.Refund, error) { return tx.DueRefunds(ctx, now, tt.limit) })
		var got []string
		for _, r := range due {
			got = append(got, r.ID)
		}
		checkEqual(t, fmt.Sprintf("DueRefunds(now, %d)", tt.limit), tt.want, got)
	}
}

// testRefundReadsFollowUpdates reads a refund by both keys before and after each update:
// a store that keeps refunds in memory must never answer the value an update replaced,
// not even one a View read from a snapshot older than the update and finished after it.
func testRefundReadsFollowUpdates(t *testing.T, s pay.Store) {
	ctx := t.Context()
	m, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	r := newProcessingRefund("50000000001", "refund-1", tr, at(time.Minute))
	insertRefunds(t, s, r)
	byNo := func() string {
		return mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.Refund(ctx, r.Mchid, r.OutRefundNo) }).Reason
	}
	byID := func() string {
		return mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, r.ID) }).Reason
	}
	for i := range 3 {
		byNo()
		byID()
		if got := byNo(); got != r.Reason {
			t.Fatalf("Refund before update %d: reason %q, want %q", i, got, r.Reason)
		}
		r.Reason = fmt.Sprintf("update %d", i)
		mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, r) })
		if got := byNo(); got != r.Reason {
			t.Errorf("Refund after update %d: reason %q, want %q", i, got, r.Reason)
		}
		if got := byID(); got != r.Reason {
			t.Errorf("RefundByID after update %d: reason %q, want %q", i, got, r.Reason)
		}
	}

	// A View whose snapshot began before the update reads the refund after it committed.
	began, updated := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.View(ctx, func(tx pay.Tx) error {
			if _, err := tx.Merchant(ctx, m.Mchid); err != nil {
				return err
			}
			close(began)
			<-updated
			_, err := tx.RefundByID(ctx, r.ID)
			return err
		})
	}()
	<-began
	r.Reason = "after the snapshot began"
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, r) })
	close(updated)
	if err := <-done; err != nil {
		t.Fatalf("View begun before the update: %v", err)
	}
	if got := byID(); got != r.Reason {
		t.Errorf("RefundByID after a View older than the update: reason %q, want %q", got, r.Reason)
	}
	if got := byNo(); got != r.Reason {
		t.Errorf("Refund after a View older than the update: reason %q, want %q", got, r.Reason)
	}
}

// testRefundReadsWhileUpdating updates one refund again and again while readers read it:
// each reader sees its updates in order, and the writer reads each update it made.
func testRefundReadsWhileUpdating(t *testing.T, s pay.Store) {
	ctx := t.Context()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	r := newProcessingRefund("50000000001", "refund-1", tr, at(time.Minute))
	r.Reason = "0000"
	insertRefunds(t, s, r)
	const updates = 40
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			last := ""
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var got *pay.Refund
				err := s.View(ctx, func(tx pay.Tx) error {
					var err error
					if (g+i)%2 == 0 {
						got, err = tx.Refund(ctx, r.Mchid, r.OutRefundNo)
					} else {
						got, err = tx.RefundByID(ctx, r.ID)
					}
					return err
				})
				if err != nil {
					t.Errorf("reader %d: %v", g, err)
					return
				}
				if got.Reason < last {
					t.Errorf("reader %d read %q after %q", g, got.Reason, last)
					return
				}
				last = got.Reason
				got.Reason = "changed by a reader" // its own copy
			}
		})
	}
	for i := 1; i <= updates; i++ {
		r.Reason = fmt.Sprintf("%04d", i)
		mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateRefund(ctx, r) })
		got := mustRead(t, s, func(tx pay.Tx) (*pay.Refund, error) { return tx.RefundByID(ctx, r.ID) })
		if got.Reason != r.Reason {
			t.Errorf("after update %d the writer read %q", i, got.Reason)
		}
	}
	close(stop)
	wg.Wait()
}
