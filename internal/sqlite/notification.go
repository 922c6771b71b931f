package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// notifications stores pay.Notification. A notification is a refund's, a complaint's or
// an order's; the other references are NULL, which its foreign key accepts where "" would fail. UPDATE
// writes the delivery state only: what a notification says never changes.
var notifications = &table[pay.Notification]{
	name: "notifications",
	columns: []string{"notification_id", "refund_id", "mchid", "event_type", "summary", "url",
		"original_type", "resource", "status", "attempts", "next_attempt_at", "create_time", "update_time", "protocol",
		"complaint_id", "snapshot", "order_id"},
	key:    []string{"notification_id"},
	update: []string{"status", "attempts", "next_attempt_at", "update_time"},
	values: func(n *pay.Notification) []any {
		return []any{n.ID, nullIfEmpty(n.RefundID), n.Mchid, n.EventType, n.Summary, n.URL,
			n.OriginalType, n.Legacy, string(n.Status), n.Attempts, millis(n.NextAttemptAt), millis(n.CreateTime), millis(n.UpdateTime), n.Protocol,
			nullIfEmpty(n.ComplaintID), snapshotColumn{n}, nullIfEmpty(n.OrderID)}
	},
	dest: func(n *pay.Notification) []any {
		return []any{&n.ID, nullStringDest(&n.RefundID), &n.Mchid, &n.EventType, &n.Summary, &n.URL,
			&n.OriginalType, &n.Legacy, &n.Status, &n.Attempts, timeDest(&n.NextAttemptAt), timeDest(&n.CreateTime), timeDest(&n.UpdateTime), &n.Protocol,
			nullStringDest(&n.ComplaintID), snapshotColumn{n}, nullStringDest(&n.OrderID)}
	},
}

// attempts stores pay.Attempt, its latency in microseconds.
var attempts = &table[pay.Attempt]{
	name:    "notification_attempts",
	columns: []string{"notification_id", "number", "at", "status_code", "response", "latency_us", "error"},
	values: func(a *pay.Attempt) []any {
		return []any{a.NotificationID, a.Number, millis(a.At), a.StatusCode, a.Response, a.Latency.Microseconds(), a.Error}
	},
	dest: func(a *pay.Attempt) []any {
		return []any{&a.NotificationID, &a.Number, timeDest(&a.At), &a.StatusCode, &a.Response, durationDest(&a.Latency), &a.Error}
	},
}

// InsertNotification adds n; ErrDuplicate when its id is taken.
func (tx *tx) InsertNotification(ctx context.Context, n *pay.Notification) error {
	if _, err := tx.tx.ExecContext(ctx, notifications.insertSQL(sqlitePlaceholder), notifications.values(n)...); err != nil {
		return dbError("insert notification "+n.ID, err)
	}
	return nil
}

// UpdateNotification writes n's delivery state.
func (tx *tx) UpdateNotification(ctx context.Context, n *pay.Notification) error {
	res, err := tx.tx.ExecContext(ctx, notifications.updateSQL(sqlitePlaceholder), notifications.updateArgs(n)...)
	return mustAffect("update notification "+n.ID, res, err)
}

// Notification finds a notification by id.
func (tx *tx) Notification(ctx context.Context, id string) (*pay.Notification, error) {
	n, err := notifications.scan(tx.tx.QueryRowContext(ctx, notifications.selectSQL("")+` WHERE notification_id = ?`, id))
	if err != nil {
		return nil, dbError("notification "+id, err)
	}
	return n, nil
}

// NotificationsOfRefund lists a refund's notifications, oldest first.
func (tx *tx) NotificationsOfRefund(ctx context.Context, refundID string) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "notifications of refund "+refundID, notifications.selectSQL("")+`
		WHERE refund_id = ? ORDER BY create_time, rowid`, refundID)
}

// DueNotifications lists PENDING notifications due by now, soonest first. The literal
// repeats the predicate of the partial index notifications_due.
func (tx *tx) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "due notifications", notifications.selectSQL("")+`
		WHERE status = 'PENDING' AND next_attempt_at <= ?
		ORDER BY next_attempt_at, rowid LIMIT ?`, now.UnixMilli(), limit)
}

func (tx *tx) notifications(ctx context.Context, what, query string, args ...any) ([]*pay.Notification, error) {
	out, err := collect(ctx, tx.tx, notifications.scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// InsertAttempt adds a; ErrDuplicate when its number is taken for its notification.
func (tx *tx) InsertAttempt(ctx context.Context, a *pay.Attempt) error {
	if _, err := tx.tx.ExecContext(ctx, attempts.insertSQL(sqlitePlaceholder), attempts.values(a)...); err != nil {
		return dbError("insert attempt of notification "+a.NotificationID, err)
	}
	return nil
}

// Attempts lists a notification's attempts in order.
func (tx *tx) Attempts(ctx context.Context, notificationID string) ([]*pay.Attempt, error) {
	out, err := collect(ctx, tx.tx, attempts.scan, attempts.selectSQL("")+` WHERE notification_id = ? ORDER BY number`, notificationID)
	if err != nil {
		return nil, dbError("attempts of notification "+notificationID, err)
	}
	return out, nil
}

// snapshotColumn is a notification's snapshot column: JSON of what the notification
// says. A row without one (NULL) predates snapshots and keeps its rendered plaintext in
// resource (Notification.Legacy).
type snapshotColumn struct{ n *pay.Notification }

// snapshot is the JSON the column holds.
type snapshot struct {
	Refund    *pay.RefundSnapshot    `json:",omitempty"`
	Complaint *pay.ComplaintSnapshot `json:",omitempty"`
	Order     *pay.OrderSnapshot     `json:",omitempty"`
}

// Value implements driver.Valuer.
func (c snapshotColumn) Value() (driver.Value, error) {
	if c.n.Refund == nil && c.n.Complaint == nil && c.n.Order == nil {
		return nil, nil
	}
	b, err := json.Marshal(snapshot{Refund: c.n.Refund, Complaint: c.n.Complaint, Order: c.n.Order})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot of notification %s: %w", c.n.ID, err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (c snapshotColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("snapshot of notification %s: unexpected %T", c.n.ID, src)
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("decode snapshot of notification %s: %w", c.n.ID, err)
	}
	c.n.Refund, c.n.Complaint, c.n.Order = snap.Refund, snap.Complaint, snap.Order
	return nil
}
