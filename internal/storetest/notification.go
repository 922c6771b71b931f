package storetest

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// TestNotifications checks NotificationTx, the outbox: notifications and their delivery
// attempts, each on a fresh store from open.
func TestNotifications(t *testing.T, open func(t *testing.T) pay.Store) {
	t.Run("Notification", func(t *testing.T) { testNotification(t, open(t)) })
	t.Run("UpdateNotification", func(t *testing.T) { testUpdateNotification(t, open(t)) })
	t.Run("NotificationsOfRefund", func(t *testing.T) { testNotificationsOfRefund(t, open(t)) })
	t.Run("DueNotifications", func(t *testing.T) { testDueNotifications(t, open(t)) })
	t.Run("Attempts", func(t *testing.T) { testAttempts(t, open(t)) })
}

// newNotification returns a PENDING notification of refundID with every field set.
func newNotification(id, refundID string, created time.Time) *pay.Notification {
	return &pay.Notification{
		ID:           id,
		RefundID:     refundID,
		Mchid:        "1900000100",
		EventType:    "REFUND.SUCCESS",
		Summary:      "退款成功",
		URL:          "https://merchant.example/notify",
		OriginalType: "refund",
		Refund: &pay.RefundSnapshot{
			ID: refundID, OutRefundNo: "refund-" + refundID, Mchid: "1900000109", SpMchid: "1900000100",
			TransactionID: "4200000001", OutTradeNo: "trade-1", Appid: "wx8888888888888888",
			SubAppid: "wx9999999999999999", Status: pay.StatusSuccess, SuccessTime: created,
			UserReceivedAccount: "招商银行信用卡0403", FundsAccount: "AVAILABLE",
			Amount: pay.Amount{Refund: 60, Total: 100, PayerTotal: 90, PayerRefund: 50, SettlementTotal: 100,
				SettlementRefund: 60, DiscountRefund: 10, Currency: "CNY", From: []pay.FundsFrom{{Account: "AVAILABLE", Amount: 60}}},
		},
		Status:        pay.NotifyPending,
		NextAttemptAt: created,
		CreateTime:    created,
		UpdateTime:    created,
	}
}

// seedRefund stores a merchant, an order and one refund of it, and returns the refund.
func seedRefund(t *testing.T, s pay.Store, refundID string) *pay.Refund {
	t.Helper()
	_, tr := seed(t, s, "1900000109", "4200000001", "trade-1")
	r := newRefund(refundID, "refund-"+refundID, tr)
	insertRefunds(t, s, r)
	return r
}

func insertNotifications(t *testing.T, s pay.Store, ns ...*pay.Notification) {
	t.Helper()
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, n := range ns {
			if err := tx.InsertNotification(t.Context(), n); err != nil {
				return err
			}
		}
		return nil
	})
}

func testNotification(t *testing.T, s pay.Store) {
	ctx := t.Context()
	r := seedRefund(t, s, "50000000001")
	want := newNotification("0b6a7e5c-8a1f-4d3e-9c2b-1f0e9d8c7b6a", r.ID, at(time.Minute))
	insertNotifications(t, s, want)

	got := mustRead(t, s, func(tx pay.Tx) (*pay.Notification, error) { return tx.Notification(ctx, want.ID) })
	checkEqual(t, "Notification("+want.ID+")", want, got)

	_, err := read(t, s, func(tx pay.Tx) (*pay.Notification, error) { return tx.Notification(ctx, "unknown") })
	checkErr(t, "Notification(unknown)", err, pay.ErrNotFound)

	dup := newNotification(want.ID, r.ID, at(2*time.Minute))
	err = write(t, s, func(tx pay.Tx) error { return tx.InsertNotification(ctx, dup) })
	checkErr(t, "InsertNotification(same id)", err, pay.ErrDuplicate)

	// A notification stored before snapshots says what it says in its rendered plaintext.
	legacy := newNotification("legacy", r.ID, at(time.Minute))
	legacy.Refund, legacy.Legacy = nil, `{"mchid":"1900000109","refund_status":"SUCCESS"}`
	insertNotifications(t, s, legacy)
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Notification, error) { return tx.Notification(ctx, legacy.ID) })
	checkEqual(t, "Notification(legacy)", legacy, got)

	// A payment notification names its order and says what the order was when paid.
	paid := newNotification("paid", "", at(time.Minute))
	paid.OrderID, paid.Refund, paid.EventType, paid.OriginalType = r.TransactionID, nil, "TRANSACTION.SUCCESS", "transaction"
	paid.Order = &pay.OrderSnapshot{
		TransactionID: r.TransactionID, OutTradeNo: "trade-1", Appid: "wxd678efh567hg6787", Mchid: "1900000109",
		SpMchid: "1900000100", SubAppid: "wx8888888888888888", TradeType: pay.TradeJSAPI, TradeState: pay.TradeSuccess,
		TradeStateDesc: "支付成功", BankType: "OTHERS", Attach: "a", SuccessTime: at(0), SubOpenid: "o1",
		Total: 100, PayerTotal: 90, Currency: "CNY",
		Promotions: []pay.Promotion{{PromotionID: "1", Scope: "GLOBAL", Type: "COUPON", Amount: 10, CouponCode: "c", StockID: "s"}},
	}
	insertNotifications(t, s, paid)
	got = mustRead(t, s, func(tx pay.Tx) (*pay.Notification, error) { return tx.Notification(ctx, paid.ID) })
	checkEqual(t, "Notification(paid)", paid, got)

	orphan := newNotification("orphan", "50000009999", at(0))
	if err := write(t, s, func(tx pay.Tx) error { return tx.InsertNotification(ctx, orphan) }); err == nil {
		t.Errorf("InsertNotification(unknown refund) succeeded, want an error")
	}
}

// UpdateNotification writes the delivery state only: what a notification says is fixed
// when it is owed.
func testUpdateNotification(t *testing.T, s pay.Store) {
	ctx := t.Context()
	r := seedRefund(t, s, "50000000001")
	orig := newNotification("n-1", r.ID, at(0))
	insertNotifications(t, s, orig)

	changed := *orig
	changed.Status, changed.Attempts = pay.NotifyFailed, 16
	changed.NextAttemptAt, changed.UpdateTime = at(24*time.Hour), at(25*time.Hour)
	changed.EventType, changed.URL, changed.Mchid = "REFUND.CLOSED", "https://other.example/", "1900000999"
	changed.Refund = &pay.RefundSnapshot{ID: r.ID, Status: pay.StatusClosed}
	changed.CreateTime = at(time.Hour)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateNotification(ctx, &changed) })

	want := *orig
	want.Status, want.Attempts = changed.Status, changed.Attempts
	want.NextAttemptAt, want.UpdateTime = changed.NextAttemptAt, changed.UpdateTime
	got := mustRead(t, s, func(tx pay.Tx) (*pay.Notification, error) { return tx.Notification(ctx, orig.ID) })
	checkEqual(t, "Notification after UpdateNotification", &want, got)

	unknown := newNotification("unknown", r.ID, at(0))
	err := write(t, s, func(tx pay.Tx) error { return tx.UpdateNotification(ctx, unknown) })
	checkErr(t, "UpdateNotification(unknown)", err, pay.ErrNotFound)
}

func testNotificationsOfRefund(t *testing.T, s pay.Store) {
	ctx := t.Context()
	r := seedRefund(t, s, "50000000001")
	// The order's total too: a store may refuse a refund of more than was paid.
	other := newRefund("50000000002", "refund-2", &pay.Order{ID: r.TransactionID, Mchid: r.Mchid, SpMchid: r.SpMchid, OutTradeNo: r.OutTradeNo,
		Total: r.Amount.Total, PayerTotal: r.Amount.PayerTotal})
	insertRefunds(t, s, other)

	// Inserted out of order; the list goes by create time, ties in insertion order.
	n3, n1, n2a, n2b := newNotification("n-3", r.ID, at(3*time.Second)), newNotification("n-1", r.ID, at(time.Second)),
		newNotification("n-2a", r.ID, at(2*time.Second)), newNotification("n-2b", r.ID, at(2*time.Second))
	n1.EventType, n3.EventType = "REFUND.ABNORMAL", "REFUND.CLOSED"
	elsewhere := newNotification("n-x", other.ID, at(0))
	insertNotifications(t, s, n3, n1, n2a, elsewhere, n2b)

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Notification, error) { return tx.NotificationsOfRefund(ctx, r.ID) })
	checkEqual(t, "NotificationsOfRefund("+r.ID+")", []*pay.Notification{n1, n2a, n2b, n3}, got)

	none := mustRead(t, s, func(tx pay.Tx) ([]*pay.Notification, error) {
		return tx.NotificationsOfRefund(ctx, "50000009999")
	})
	if len(none) != 0 {
		t.Errorf("NotificationsOfRefund(unknown) = %d notifications, want none", len(none))
	}
}

func testDueNotifications(t *testing.T, s pay.Store) {
	ctx := t.Context()
	r := seedRefund(t, s, "50000000001")
	now := at(time.Hour)
	mk := func(id string, status pay.NotificationStatus, next time.Time) *pay.Notification {
		n := newNotification(id, r.ID, at(0))
		n.Status, n.NextAttemptAt = status, next
		return n
	}
	late := mk("late", pay.NotifyPending, now.Add(-30*time.Minute))
	onTime := mk("on-time", pay.NotifyPending, now) // due at exactly now counts
	early := mk("early", pay.NotifyPending, now.Add(-50*time.Minute))
	future := mk("future", pay.NotifyPending, now.Add(time.Millisecond))
	delivered := mk("delivered", pay.NotifyDelivered, now.Add(-time.Hour))
	failed := mk("failed", pay.NotifyFailed, now.Add(-time.Hour))
	insertNotifications(t, s, late, onTime, future, delivered, early, failed)

	due := func(limit int) []*pay.Notification {
		return mustRead(t, s, func(tx pay.Tx) ([]*pay.Notification, error) { return tx.DueNotifications(ctx, now, limit) })
	}
	checkEqual(t, "DueNotifications(now, 10)", []*pay.Notification{early, late, onTime}, due(10))
	checkEqual(t, "DueNotifications(now, 2)", []*pay.Notification{early, late}, due(2))

	// A lease (NextAttemptAt moved on) takes a notification out of the due list.
	early.NextAttemptAt = now.Add(10 * time.Second)
	mustWrite(t, s, func(tx pay.Tx) error { return tx.UpdateNotification(ctx, early) })
	checkEqual(t, "DueNotifications after a lease", []*pay.Notification{late, onTime}, due(10))
}

func testAttempts(t *testing.T, s pay.Store) {
	ctx := t.Context()
	r := seedRefund(t, s, "50000000001")
	n, other := newNotification("n-1", r.ID, at(0)), newNotification("n-2", r.ID, at(0))
	insertNotifications(t, s, n, other)

	// A timeout: no status, no answer; then a 500 with a body; then a 200.
	a1 := &pay.Attempt{NotificationID: n.ID, Number: 1, At: at(time.Second), Latency: 5 * time.Second, Error: "no answer within 5s"}
	a2 := &pay.Attempt{NotificationID: n.ID, Number: 2, At: at(20 * time.Second), StatusCode: 500,
		Response: `{"code":"FAIL","message":"失败"}`, Latency: 1234 * time.Microsecond}
	a3 := &pay.Attempt{NotificationID: n.ID, Number: 3, At: at(40 * time.Second), StatusCode: 200, Latency: 3 * time.Millisecond}
	elsewhere := &pay.Attempt{NotificationID: other.ID, Number: 1, At: at(0), StatusCode: 204}
	mustWrite(t, s, func(tx pay.Tx) error {
		for _, a := range []*pay.Attempt{a3, elsewhere, a1, a2} {
			if err := tx.InsertAttempt(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})

	got := mustRead(t, s, func(tx pay.Tx) ([]*pay.Attempt, error) { return tx.Attempts(ctx, n.ID) })
	checkEqual(t, "Attempts("+n.ID+")", []*pay.Attempt{a1, a2, a3}, got)
	if len(got) == 3 && got[1].Latency != a2.Latency {
		t.Errorf("Attempts(%q)[1].Latency = %v, want %v to the microsecond", n.ID, got[1].Latency, a2.Latency)
	}

	dup := &pay.Attempt{NotificationID: n.ID, Number: 2, At: at(time.Minute)}
	err := write(t, s, func(tx pay.Tx) error { return tx.InsertAttempt(ctx, dup) })
	checkErr(t, "InsertAttempt(same number)", err, pay.ErrDuplicate)

	none := mustRead(t, s, func(tx pay.Tx) ([]*pay.Attempt, error) { return tx.Attempts(ctx, "unknown") })
	if len(none) != 0 {
		t.Errorf("Attempts(unknown) = %d attempts, want none", len(none))
	}
}
