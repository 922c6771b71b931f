package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// NotificationsOfComplaint lists a complaint's notifications, oldest first.
func (tx *tx) NotificationsOfComplaint(ctx context.Context, complaintID string) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "notifications of complaint "+complaintID, sqltable.Notifications.SelectSQL("")+`
		WHERE complaint_id = ? ORDER BY create_time, rowid`, complaintID)
}
