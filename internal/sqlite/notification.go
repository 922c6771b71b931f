package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

const notificationColumns = `notification_id, refund_id, mchid, event_type, summary, url,
	original_type, resource, status, attempts, next_attempt_at, create_time, update_time, protocol,
	complaint_id, snapshot`

// InsertNotification adds n; ErrDuplicate when its id is taken.
func (tx *tx) InsertNotification(ctx context.Context, n *pay.Notification) error {
	snap, err := encodeSnapshot(n)
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES (?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?)`,
		n.ID, n.RefundID, n.Mchid, n.EventType, n.Summary, n.URL, n.OriginalType, n.Legacy,
		string(n.Status), n.Attempts, millis(n.NextAttemptAt), millis(n.CreateTime), millis(n.UpdateTime), n.Protocol, n.ComplaintID, snap)
	if err != nil {
		return dbError("insert notification "+n.ID, err)
	}
	return nil
}

// UpdateNotification writes n's delivery state; what it says never changes.
func (tx *tx) UpdateNotification(ctx context.Context, n *pay.Notification) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE notifications SET status = ?, attempts = ?,
		next_attempt_at = ?, update_time = ? WHERE notification_id = ?`,
		string(n.Status), n.Attempts, millis(n.NextAttemptAt), millis(n.UpdateTime), n.ID)
	return mustAffect("update notification "+n.ID, res, err)
}

// Notification finds a notification by id.
func (tx *tx) Notification(ctx context.Context, id string) (*pay.Notification, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE notification_id = ?`, id)
	n, err := scanNotification(row)
	if err != nil {
		return nil, dbError("notification "+id, err)
	}
	return n, nil
}

// NotificationsOfRefund lists a refund's notifications, oldest first.
func (tx *tx) NotificationsOfRefund(ctx context.Context, refundID string) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "notifications of refund "+refundID, `SELECT `+notificationColumns+`
		FROM notifications WHERE refund_id = ? ORDER BY create_time, rowid`, refundID)
}

// DueNotifications lists PENDING notifications due by now, soonest first. The literal
// repeats the predicate of the partial index notifications_due.
func (tx *tx) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "due notifications", `SELECT `+notificationColumns+`
		FROM notifications WHERE status = 'PENDING' AND next_attempt_at <= ?
		ORDER BY next_attempt_at, rowid LIMIT ?`, now.UnixMilli(), limit)
}

func (tx *tx) notifications(ctx context.Context, what, query string, args ...any) ([]*pay.Notification, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	defer rows.Close()
	var out []*pay.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, dbError(what, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

func scanNotification(s scanner) (*pay.Notification, error) {
	var n pay.Notification
	// A notification is a refund's or a complaint's; the other column is NULL.
	var refundID, complaintID, snap sql.NullString
	err := s.Scan(&n.ID, &refundID, &n.Mchid, &n.EventType, &n.Summary, &n.URL, &n.OriginalType,
		&n.Legacy, &n.Status, &n.Attempts, timeDest(&n.NextAttemptAt), timeDest(&n.CreateTime), timeDest(&n.UpdateTime), &n.Protocol, &complaintID, &snap)
	if err != nil {
		return nil, err
	}
	n.RefundID, n.ComplaintID = refundID.String, complaintID.String
	if snap.Valid {
		if err := decodeSnapshot(&n, snap.String); err != nil {
			return nil, err
		}
	}
	return &n, nil
}

// snapshot is how the snapshot column holds what a notification says. A row without
// one (NULL) predates snapshots and keeps its rendered plaintext in resource.
type snapshot struct {
	Refund    *pay.RefundSnapshot    `json:",omitempty"`
	Complaint *pay.ComplaintSnapshot `json:",omitempty"`
}

func encodeSnapshot(n *pay.Notification) (sql.NullString, error) {
	if n.Refund == nil && n.Complaint == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(snapshot{Refund: n.Refund, Complaint: n.Complaint})
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encode snapshot: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func decodeSnapshot(n *pay.Notification, s string) error {
	var snap snapshot
	if err := json.Unmarshal([]byte(s), &snap); err != nil {
		return fmt.Errorf("decode snapshot of notification %s: %w", n.ID, err)
	}
	n.Refund, n.Complaint = snap.Refund, snap.Complaint
	return nil
}

// InsertAttempt adds a; ErrDuplicate when its number is taken for its notification.
func (tx *tx) InsertAttempt(ctx context.Context, a *pay.Attempt) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO notification_attempts
		(notification_id, number, at, status_code, response, latency_us, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.NotificationID, a.Number, millis(a.At), a.StatusCode, a.Response, a.Latency.Microseconds(), a.Error)
	if err != nil {
		return dbError("insert attempt of notification "+a.NotificationID, err)
	}
	return nil
}

// Attempts lists a notification's attempts in order.
func (tx *tx) Attempts(ctx context.Context, notificationID string) ([]*pay.Attempt, error) {
	what := "attempts of notification " + notificationID
	rows, err := tx.tx.QueryContext(ctx, `SELECT notification_id, number, at, status_code, response,
		latency_us, error FROM notification_attempts WHERE notification_id = ? ORDER BY number`, notificationID)
	if err != nil {
		return nil, dbError(what, err)
	}
	defer rows.Close()
	var out []*pay.Attempt
	for rows.Next() {
		var a pay.Attempt
		var us int64
		if err := rows.Scan(&a.NotificationID, &a.Number, timeDest(&a.At), &a.StatusCode, &a.Response, &us, &a.Error); err != nil {
			return nil, dbError(what, err)
		}
		a.Latency = time.Duration(us) * time.Microsecond
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}
