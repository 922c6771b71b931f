package pay

import (
	"context"
	"errors"
)

// OfComplaint lists a complaint's notifications, oldest first, with each one's
// attempts by notification id: what the sandbox API shows of COMPLAINT.* deliveries.
func (s *Notifications) OfComplaint(ctx context.Context, complaintID string) ([]*Notification, map[string][]*Attempt, error) {
	return s.notificationsOf(ctx, func(tx Tx) ([]*Notification, error) {
		if _, err := tx.Complaint(ctx, complaintID); errors.Is(err, ErrNotFound) {
			return nil, Errorf(CodeResourceNotExists, msgComplaintNotExist)
		} else if err != nil {
			return nil, err
		}
		return tx.NotificationsOfComplaint(ctx, complaintID)
	})
}
