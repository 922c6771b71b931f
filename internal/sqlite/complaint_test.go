package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pressly/goose/v3"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Ensure migration 4's rebuild of notifications keeps an existing outbox, attempts
// included, both ways: down drops complaint notifications only, up brings the refund
// ones back as they were.
func TestMigration4RebuildsNotifications(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.UnixMilli(time.Now().UnixMilli())
	rn := &pay.Notification{ID: "n-refund", RefundID: "r1", Mchid: "1900000109", EventType: "REFUND.SUCCESS",
		URL: "https://m.example/n", OriginalType: "refund", Legacy: "{}", Status: pay.NotifyPending,
		NextAttemptAt: now, CreateTime: now, UpdateTime: now}
	cn := &pay.Notification{ID: "n-complaint", ComplaintID: "c1", Mchid: "1900000109", EventType: "COMPLAINT.CREATE",
		URL: "https://m.example/c", OriginalType: "complaint", Legacy: "{}", Status: pay.NotifyPending,
		NextAttemptAt: now, CreateTime: now, UpdateTime: now}
	err = s.Update(ctx, func(tx pay.Tx) error {
		for _, f := range []func() error{
			func() error {
				return tx.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000109", Kind: pay.KindDirect})
			},
			func() error {
				return tx.InsertOrder(ctx, &pay.Order{ID: "t1", OutTradeNo: "o1", Mchid: "1900000109", Total: 100, Currency: "CNY"})
			},
			func() error {
				return tx.InsertRefund(ctx, &pay.Refund{ID: "r1", OutRefundNo: "or1", Mchid: "1900000109", TransactionID: "t1", Status: pay.StatusSuccess})
			},
			func() error {
				return tx.InsertComplaint(ctx, &pay.Complaint{ID: "c1", Mchid: "1900000109", TransactionID: "t1", State: pay.ComplaintPending, CreateTime: now, UpdateTime: now})
			},
			func() error { return tx.InsertNotification(ctx, rn) },
			func() error { return tx.InsertNotification(ctx, cn) },
			func() error {
				return tx.InsertAttempt(ctx, &pay.Attempt{NotificationID: "n-refund", Number: 1, At: now, StatusCode: 500})
			},
		} {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	fsys, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 3); err != nil {
		t.Fatalf("down to 3: %v", err)
	}
	var n int
	if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM notifications`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after down: %d notifications (%v), want the refund's only", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	err = s.View(ctx, func(tx pay.Tx) error {
		got, err := tx.Notification(ctx, "n-refund")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(rn, got); diff != "" {
			t.Errorf("refund notification after down and up mismatch (-want +got):\n%s", diff)
		}
		as, err := tx.Attempts(ctx, "n-refund")
		if err != nil || len(as) != 1 {
			t.Errorf("attempts after down and up = %d, %v; want 1", len(as), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure a notification stored before migration 9, its rendered plaintext in resource,
// reads after it as it was: Legacy, with no snapshot.
func TestMigration9KeepsRenderedNotifications(t *testing.T) {
	ctx := context.Background()
	s, p := openMigrating(t)
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatalf("down to 8: %v", err)
	}
	const rendered = `{"mchid":"1900000109","refund_status":"SUCCESS"}`
	if err := s.Update(ctx, func(tx pay.Tx) error {
		if err := tx.InsertMerchant(ctx, &pay.Merchant{Mchid: "1900000109", Kind: pay.KindDirect}); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// At version 8 the orders table is older than its Go declaration.
	if _, err := s.write.ExecContext(ctx, `INSERT INTO orders (transaction_id, out_trade_no, mchid, total, payer_total)
		VALUES ('t1', 'o1', '1900000109', 100, 100)`); err != nil {
		t.Fatalf("insert order at version 8: %v", err)
	}
	if err := s.Update(ctx, func(tx pay.Tx) error {
		return tx.InsertRefund(ctx, &pay.Refund{ID: "r1", OutRefundNo: "or1", Mchid: "1900000109", TransactionID: "t1", Status: pay.StatusSuccess})
	}); err != nil {
		t.Fatalf("insert refund at version 8: %v", err)
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO notifications (notification_id, refund_id, mchid,
		event_type, url, original_type, resource, status) VALUES ('n1', 'r1', '1900000109', 'REFUND.SUCCESS',
		'https://m.example/n', 'refund', ?, 'PENDING')`, rendered); err != nil {
		t.Fatalf("insert notification at version 8: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	err := s.View(ctx, func(tx pay.Tx) error {
		n, err := tx.Notification(ctx, "n1")
		if err != nil {
			return err
		}
		if n.Legacy != rendered || n.Refund != nil || n.Complaint != nil {
			t.Errorf("notification after migration 9 = Legacy %q, Refund %v, Complaint %v; want Legacy %q only",
				n.Legacy, n.Refund, n.Complaint, rendered)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure migration 10 makes every order stored before it paid: SUCCESS, or REFUND once
// one of its refunds succeeded, and NATIVE.
func TestMigration10BackfillsTradeState(t *testing.T) {
	ctx := context.Background()
	s, p := openMigrating(t)
	if _, err := p.DownTo(ctx, 9); err != nil {
		t.Fatalf("down to 9: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO merchants (mchid, kind) VALUES ('1900000109', 'direct')`,
		`INSERT INTO orders (transaction_id, out_trade_no, mchid, total, payer_total) VALUES ('t1', 'o1', '1900000109', 100, 100)`,
		`INSERT INTO orders (transaction_id, out_trade_no, mchid, total, payer_total) VALUES ('t2', 'o2', '1900000109', 100, 100)`,
		`INSERT INTO orders (transaction_id, out_trade_no, mchid, total, payer_total) VALUES ('t3', 'o3', '1900000109', 100, 100)`,
		`INSERT INTO refunds (refund_id, out_refund_no, mchid, transaction_id, api, status, amount_refund, amount_total)
			VALUES ('r1', 'or1', '1900000109', 't1', 'v3', 'SUCCESS', 10, 100)`,
		`INSERT INTO refunds (refund_id, out_refund_no, mchid, transaction_id, api, status, amount_refund, amount_total)
			VALUES ('r2', 'or2', '1900000109', 't2', 'v3', 'CLOSED', 10, 100)`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("seed at version 9: %v\n%s", err, q)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	want := map[string]pay.TradeState{"t1": pay.TradeRefund, "t2": pay.TradeSuccess, "t3": pay.TradeSuccess}
	err := s.View(ctx, func(tx pay.Tx) error {
		for id, state := range want {
			o, err := tx.OrderByID(ctx, id)
			if err != nil {
				return err
			}
			if o.TradeState != state || o.TradeType != pay.TradeNative || o.PrepayID != "" {
				t.Errorf("order %s after migration 10 = %s %s prepay_id %q, want %s NATIVE and no prepay_id",
					id, o.TradeState, o.TradeType, o.PrepayID, state)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openMigrating opens a fresh store, migrated up, with a goose provider to move it
// between versions.
func openMigrating(t *testing.T) (*Store, *goose.Provider) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "tuikuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fsys, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}
