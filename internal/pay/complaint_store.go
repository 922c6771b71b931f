package pay

import (
	"context"
	"time"
)

// ComplaintTx is the part of Tx that keeps complaints. Its methods follow Tx's
// conventions: ErrNotFound, ErrDuplicate, ctx first.
type ComplaintTx interface {
	Complaint(ctx context.Context, id string) (*Complaint, error)
	InsertComplaint(ctx context.Context, c *Complaint) error
	// UpdateComplaint writes what a complaint's life changes — its state, the refund
	// flags and decision, the user's complaint count and the update time — and nothing
	// else: what the user said, and when, never changes.
	UpdateComplaint(ctx context.Context, c *Complaint) error
	// Complaints lists the complaints f selects, newest first (insertion order breaks
	// ties), and how many it selects in all. f.Mchid is never empty; Limit 0 lists none.
	Complaints(ctx context.Context, f ComplaintFilter) ([]*Complaint, int, error)
	// ComplaintsOfOrder lists an order's complaints, oldest first.
	ComplaintsOfOrder(ctx context.Context, transactionID string) ([]*Complaint, error)

	InsertComplaintLog(ctx context.Context, l *ComplaintLog) error
	// ComplaintLogs lists a complaint's negotiation history, oldest first.
	ComplaintLogs(ctx context.Context, complaintID string) ([]*ComplaintLog, error)
	// NotificationsOfComplaint lists a complaint's notifications, oldest first.
	NotificationsOfComplaint(ctx context.Context, complaintID string) ([]*Notification, error)

	InsertImage(ctx context.Context, im *Image) error
	Image(ctx context.Context, mediaID string) (*Image, error)

	// ComplaintNotifyURL is where mchid's complaint notifications go; ErrNotFound when unset.
	ComplaintNotifyURL(ctx context.Context, mchid string) (string, error)
	PutComplaintNotifyURL(ctx context.Context, mchid, url string) error
	// DeleteComplaintNotifyURL removes mchid's URL; ErrNotFound when there was none.
	DeleteComplaintNotifyURL(ctx context.Context, mchid string) error
}

// ComplaintFilter selects complaints for the list API: those of Mchid or, when Mchid is
// a partner, of its sub-merchants; Sub narrows to one complainted_mchid.
type ComplaintFilter struct {
	Mchid         string
	Sub           string
	Begin, End    time.Time // create_time in [Begin, End)
	Limit, Offset int
}
