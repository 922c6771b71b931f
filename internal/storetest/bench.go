package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// The benchmarks below run the store's share of the hottest requests against any
// backend, so that both stores are measured alike. They report time only; none of them
// asserts on it.

// clients sets b's parallelism to TUIKUAN_BENCH_CLIENTS goroutines at the least, when it
// is set: a store is meant to serve more requests at once than there are cores, most
// of them waiting for a disk or a lock.
func clients(b *testing.B) {
	v := os.Getenv("TUIKUAN_BENCH_CLIENTS")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("TUIKUAN_BENCH_CLIENTS=%q: want a positive count", v)
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((n + procs - 1) / procs)
}

// benchMchid is the merchant Populate creates and the benchmarks use.
const benchMchid = "1900009191"

// RefundsPerOrder is how many refunds Populate gives each order.
const RefundsPerOrder = 10

// benchRefundID and benchOutRefundNo name Populate's i-th refund.
func benchRefundID(i int) string    { return fmt.Sprintf("50300000%022d", i) }
func benchOutRefundNo(i int) string { return fmt.Sprintf("R%d", i) }
func benchOrderID(i int) string     { return fmt.Sprintf("42000000%022d", i) }

// Populate fills an empty store with one merchant, n refunds and an order for every
// RefundsPerOrder of them, in transactions of a few thousand rows. It returns at once
// when the store already holds refund n-1, so a database generated once can be reused.
func Populate(ctx context.Context, s pay.Store, n int) error {
	if n <= 0 {
		return nil
	}
	err := s.View(ctx, func(tx pay.Tx) error {
		_, err := tx.RefundByID(ctx, benchRefundID(n-1))
		return err
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, pay.ErrNotFound) {
		return fmt.Errorf("populate: %w", err)
	}
	err = s.Update(ctx, func(tx pay.Tx) error {
		return tx.InsertMerchant(ctx, newMerchant(benchMchid))
	})
	if err != nil {
		return fmt.Errorf("populate: %w", err)
	}
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := s.Update(ctx, func(tx pay.Tx) error {
			var o *pay.Order
			for i := start; i < min(start+batch, n); i++ {
				if i%RefundsPerOrder == 0 {
					o = newOrder(benchOrderID(i/RefundsPerOrder), benchMchid, fmt.Sprintf("T%d", i/RefundsPerOrder))
					if err := tx.InsertOrder(ctx, o); err != nil {
						return err
					}
				}
				r := newRefund(benchRefundID(i), benchOutRefundNo(i), o)
				r.CreateTime = at(time.Duration(i) * time.Millisecond)
				if err := tx.InsertRefund(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("populate: %w", err)
		}
	}
	return nil
}

// BenchRefundLookup looks up refunds of a store Populate filled with n, at random,
// half by out_refund_no and half by refund_id, each in a View after the merchant as a
// refund query does. It runs from GOMAXPROCS goroutines, or TUIKUAN_BENCH_CLIENTS.
func BenchRefundLookup(b *testing.B, s pay.Store, n int) {
	ctx := context.Background()
	var seed atomic.Uint64
	clients(b)
	b.ResetTimer()
	defer ReportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		// A small LCG per goroutine: spread over the whole table, no shared lock.
		x := seed.Add(0x9E3779B97F4A7C15)
		for pb.Next() {
			x = x*6364136223846793005 + 1442695040888963407
			i := int((x >> 33) % uint64(n))
			err := s.View(ctx, func(tx pay.Tx) error {
				if _, err := tx.Merchant(ctx, benchMchid); err != nil {
					return err
				}
				var err error
				if i%2 == 0 {
					_, err = tx.Refund(ctx, benchMchid, benchOutRefundNo(i))
				} else {
					_, err = tx.RefundByID(ctx, benchRefundID(i))
				}
				return err
			})
			if err != nil {
				b.Errorf("lookup %d: %v", i, err)
				return
			}
		}
	})
}

// BenchInsertRefund runs the store's share of a refund apply b.N times: in one Update,
// the order read, the new refund inserted and the order's running totals written (the
// merchants come from a cache and a replay is found by the insert, so neither is read).
// It runs from GOMAXPROCS goroutines, or TUIKUAN_BENCH_CLIENTS; each order takes
// RefundsPerOrder refunds, so goroutines meet on orders as clients do.
func BenchInsertRefund(b *testing.B, s pay.Store) {
	ctx := context.Background()
	const mchid = "1900009192"
	orderID := func(i int) string { return fmt.Sprintf("42000001%022d", i/RefundsPerOrder) }
	err := s.Update(ctx, func(tx pay.Tx) error {
		if err := tx.InsertMerchant(ctx, newMerchant(mchid)); err != nil {
			return err
		}
		for i := 0; i < b.N; i += RefundsPerOrder {
			o := newOrder(orderID(i), mchid, "B"+orderID(i))
			o.Refunded, o.RefundCount = 0, 0
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("insert merchant and orders: %v", err)
	}
	var next atomic.Int64
	clients(b)
	b.ResetTimer()
	defer ReportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1) - 1)
			oid := orderID(i)
			err := s.Update(ctx, func(tx pay.Tx) error {
				o, err := tx.Order(ctx, mchid, pay.TradeRef{TransactionID: oid})
				if err != nil {
					return err
				}
				r := newProcessingRefund(fmt.Sprintf("50300001%022d", i), fmt.Sprintf("B%d", i), o, time.Now().Add(time.Minute))
				if err := tx.InsertRefund(ctx, r); err != nil {
					return err
				}
				o.Refunded += r.Amount.Refund
				o.RefundCount++
				o.LastRefundAt = r.CreateTime
				split := *o.Split
				split.Payer += r.Amount.PayerRefund
				o.Split = &split
				return tx.UpdateOrderTotals(ctx, o)
			})
			if err != nil {
				b.Errorf("apply %d: %v", i, err)
				return
			}
		}
	})
}

// ReportCPU reports the process's CPU time per op from now to the end of b, a steadier
// figure than ns/op on a machine shared with other work.
func ReportCPU(b *testing.B) func() { return reportCPU(b, 1, "cpu-ns/op") }
