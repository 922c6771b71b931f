package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// NotificationsOfComplaint lists a complaint's notifications, oldest first.
func (tx *tx) NotificationsOfComplaint(ctx context.Context, complaintID string) ([]*pay.Notification, error) {
	return tx.notifications(ctx, "notifications of complaint "+complaintID, notifications.selectSQL("")+`
		WHERE complaint_id = ? ORDER BY create_time, rowid`, complaintID)
}
