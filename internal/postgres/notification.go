package postgres

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	notifications = sqltable.Notifications
	attempts      = sqltable.Attempts
)

// InsertNotification adds n; ErrDuplicate when its id is taken.
func (t *tx) InsertNotification(ctx context.Context, n *pay.Notification) error {
	return insert(ctx, t, notifications, "insert notification "+n.ID, n)
}

// UpdateNotification writes n's delivery state.
func (t *tx) UpdateNotification(ctx context.Context, n *pay.Notification) error {
	return update(ctx, t, notifications, "update notification "+n.ID, n)
}

// Notification finds a notification by id, locking it inside Update so that two nodes
// do not both record the same delivery.
func (t *tx) Notification(ctx context.Context, id string) (*pay.Notification, error) {
	return one(ctx, t, notifications, "notification "+id,
		notifications.SelectSQL("")+` WHERE notification_id = $1`+t.forUpdate(), id)
}

// NotificationsOfRefund lists a refund's notifications, oldest first.
func (t *tx) NotificationsOfRefund(ctx context.Context, refundID string) ([]*pay.Notification, error) {
	return list(ctx, t, notifications, "notifications of refund "+refundID, notifications.SelectSQL("")+`
		WHERE refund_id = $1 ORDER BY create_time, seq`, refundID)
}

// NotificationsOfComplaint lists a complaint's notifications, oldest first.
func (t *tx) NotificationsOfComplaint(ctx context.Context, complaintID string) ([]*pay.Notification, error) {
	return list(ctx, t, notifications, "notifications of complaint "+complaintID, notifications.SelectSQL("")+`
		WHERE complaint_id = $1 ORDER BY create_time, seq`, complaintID)
}

// DueNotifications lists PENDING notifications due by now, soonest first. The literal
// repeats the predicate of the partial index notifications_due.
//
// Inside Update it locks the rows it lists and skips those another transaction holds,
// so that two nodes claiming at once neither wait on each other nor lease the same
// notification: the second passes over the first's rows, and once the first commits
// their moved NextAttemptAt (the lease) takes them out of the predicate.
func (t *tx) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*pay.Notification, error) {
	lock := ""
	if t.update {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	return list(ctx, t, notifications, "due notifications", notifications.SelectSQL("")+`
		WHERE status = 'PENDING' AND next_attempt_at <= $1
		ORDER BY next_attempt_at, seq LIMIT $2`+lock, now.UnixMilli(), limit)
}

// InsertAttempt adds a; ErrDuplicate when its number is taken for its notification.
func (t *tx) InsertAttempt(ctx context.Context, a *pay.Attempt) error {
	return insert(ctx, t, attempts, "insert attempt of notification "+a.NotificationID, a)
}

// Attempts lists a notification's attempts in order.
func (t *tx) Attempts(ctx context.Context, notificationID string) ([]*pay.Attempt, error) {
	return list(ctx, t, attempts, "attempts of notification "+notificationID,
		attempts.SelectSQL("")+` WHERE notification_id = $1 ORDER BY number`, notificationID)
}
