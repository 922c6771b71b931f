package refund

import (
	"context"
	"errors"
)

// ComplaintNotifications lists a complaint's notifications, oldest first, with each one's
// attempts by notification id: what the sandbox API shows of COMPLAINT.* deliveries.
func (s *Service) ComplaintNotifications(ctx context.Context, complaintID string) ([]*Notification, map[string][]*Attempt, error) {
	var ns []*Notification
	attempts := map[string][]*Attempt{}
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Complaint(ctx, complaintID); errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgComplaintNotExist)
		} else if err != nil {
			return err
		}
		var err error
		if ns, err = tx.NotificationsOfComplaint(ctx, complaintID); err != nil {
			return err
		}
		for _, n := range ns {
			if attempts[n.ID], err = tx.Attempts(ctx, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ns, attempts, err
}
