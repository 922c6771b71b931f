package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqlite"
	"github.com/tuikuan/tuikuan/internal/storetest"
)

// The conformance suite (storetest, TestStore) checks that reads follow every update;
// these check what the cache is for: a refund read once is answered again without a
// connection, and only when the View asked for nothing before it.

const populatedMchid = "1900009191" // the merchant storetest.Populate creates

func queryRefund(ctx context.Context, s pay.Store, outRefundNo string) (*pay.Refund, error) {
	var r *pay.Refund
	err := s.View(ctx, func(tx pay.Tx) error {
		var err error
		r, err = tx.Refund(ctx, populatedMchid, outRefundNo)
		return err
	})
	return r, err
}

func TestRefundCache_AnswersWithoutConnection(t *testing.T) {
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"))
	if err := storetest.Populate(ctx, s, 20); err != nil {
		t.Fatal(err)
	}
	first, err := queryRefund(ctx, s, "R3")
	if err != nil {
		t.Fatal(err)
	}
	var byID *pay.Refund
	if err := s.View(ctx, func(tx pay.Tx) error { byID, err = tx.RefundByID(ctx, first.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.CloseReadPool(s); err != nil {
		t.Fatal(err)
	}

	again, err := queryRefund(ctx, s, "R3")
	if err != nil {
		t.Fatalf("Refund read before, without a connection: %v", err)
	}
	if again.ID != first.ID || again.Amount.Refund != first.Amount.Refund || !again.CreateTime.Equal(first.CreateTime) {
		t.Errorf("Refund from memory = %+v, want %+v", again, first)
	}
	if err := s.View(ctx, func(tx pay.Tx) error { _, err := tx.RefundByID(ctx, byID.ID); return err }); err != nil {
		t.Errorf("RefundByID read before, without a connection: %v", err)
	}
	if _, err := queryRefund(ctx, s, "R4"); err == nil {
		t.Errorf("Refund never read answered without a connection")
	}
	// A View that began with a statement reads its snapshot, not memory.
	err = s.View(ctx, func(tx pay.Tx) error {
		if _, err := tx.Merchant(ctx, populatedMchid); err != nil {
			return err
		}
		_, err := tx.Refund(ctx, populatedMchid, "R3")
		return err
	})
	if err == nil {
		t.Errorf("a View that had begun answered from memory")
	}
}

func TestRefundCache_Off(t *testing.T) {
	ctx := t.Context()
	s := mustOpen(t, filepath.Join(t.TempDir(), "tuikuan.db"), sqlite.WithRefundCache(0))
	if err := storetest.Populate(ctx, s, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := queryRefund(ctx, s, "R3"); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.CloseReadPool(s); err != nil {
		t.Fatal(err)
	}
	if _, err := queryRefund(ctx, s, "R3"); err == nil {
		t.Errorf("WithRefundCache(0) answered from memory")
	}
}

// BenchmarkStore_RefundPoll is a status poll: one refund by out_refund_no in a View of
// its own, among 100 polled again and again, with the cache and without.
func BenchmarkStore_RefundPoll(b *testing.B) {
	for _, n := range []int{sqlite.DefaultRefundCache, 0} {
		b.Run(fmt.Sprintf("cache=%d", n), func(b *testing.B) {
			ctx := b.Context()
			s := mustOpen(b, filepath.Join(b.TempDir(), "tuikuan.db"), sqlite.WithRefundCache(n))
			if err := storetest.Populate(ctx, s, 100); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := queryRefund(ctx, s, fmt.Sprintf("R%d", i%100)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
