package sqlite

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	insertNotificationSQL = hot(sqltable.Notifications.InsertSQL(sqltable.Question))
	updateNotificationSQL = hot(sqltable.Notifications.UpdateSQL(sqltable.Question))
	notificationSQL       = hot(sqltable.Notifications.SelectSQL("") + ` WHERE notification_id = ?`)
	// As for dueRefundsSQL: notifications_status would sort every PENDING one.
	dueNotificationsSQL = hot(sqltable.Notifications.SelectSQL("") + ` INDEXED BY notifications_due
		WHERE status = 'PENDING' AND next_attempt_at <= ?
		ORDER BY next_attempt_at, rowid LIMIT ?`)
	insertAttemptSQL = hot(sqltable.Attempts.InsertSQL(sqltable.Question))
)

// InsertNotification adds n; ErrDuplicate when its id is taken.
func (tx *tx) InsertNotification(ctx context.Context, n *pay.Notification) error {
	if _, err := tx.tx.ExecContext(ctx, insertNotificationSQL, sqltable.Notifications.Values(n)...); err != nil {
		return dbError("insert notification "+n.ID, err)
	}
	return nil
}

// UpdateNotification writes n's delivery state.
func (tx *tx) UpdateNotification(ctx context.Context, n *pay.Notification) error {
	res, err := tx.tx.ExecContext(ctx, updateNotificationSQL, sqltable.Notifications.UpdateArgs(n)...)
	return mustAffect("update notification "+n.ID, res, err)
}

// Notification finds a notification by id.
func (tx *tx) Notification(ctx context.Context, id string) (*pay.Notification, error) {
	n, err := sqltable.Notifications.Scan(tx.tx.QueryRowContext(ctx, notificationSQL, id))
	if err != nil {
		return nil, dbError("notification "+id, err)
	}
	return n, nil
}

// NotificationsOfRefund lists a refund's notifications, oldest first.
func (tx *tx) NotificationsOfRefund(ctx context.Context, refundID string) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "notifications of refund "+refundID, sqltable.Notifications.SelectSQL("")+`
		WHERE refund_id = ? ORDER BY create_time, rowid`, refundID)
}

// DueNotifications lists PENDING notifications due by now, soonest first. The literal
// repeats the predicate of the partial index notifications_due.
func (tx *tx) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "due notifications", dueNotificationsSQL, now.UnixMilli(), limit)
}

func (tx *tx) notifications(ctx context.Context, what, query string, args ...any) ([]*pay.Notification, error) {
	out, err := collect(ctx, tx.tx, sqltable.Notifications.Scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// InsertAttempt adds a; ErrDuplicate when its number is taken for its notification.
func (tx *tx) InsertAttempt(ctx context.Context, a *pay.Attempt) error {
	if _, err := tx.tx.ExecContext(ctx, insertAttemptSQL, sqltable.Attempts.Values(a)...); err != nil {
		return dbError("insert attempt of notification "+a.NotificationID, err)
	}
	return nil
}

// Attempts lists a notification's attempts in order.
func (tx *tx) Attempts(ctx context.Context, notificationID string) ([]*pay.Attempt, error) {
	out, err := collect(ctx, tx.tx, sqltable.Attempts.Scan, sqltable.Attempts.SelectSQL("")+` WHERE notification_id = ? ORDER BY number`, notificationID)
	if err != nil {
		return nil, dbError("attempts of notification "+notificationID, err)
	}
	return out, nil
}
