package postgres

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	complaints    = sqltable.Complaints
	complaintLogs = sqltable.ComplaintLogs
	images        = sqltable.Images
)

// Complaint finds a complaint by id, locking it inside Update.
func (t *tx) Complaint(ctx context.Context, id string) (*pay.Complaint, error) {
	return one(ctx, t, complaints, "complaint "+id,
		complaints.SelectSQL("")+` WHERE complaint_id = $1`+t.forUpdate(), id)
}

// InsertComplaint adds c; ErrDuplicate when its id is taken.
func (t *tx) InsertComplaint(ctx context.Context, c *pay.Complaint) error {
	return insert(ctx, t, complaints, "insert complaint "+c.ID, c)
}

// UpdateComplaint writes what changes about a complaint.
func (t *tx) UpdateComplaint(ctx context.Context, c *pay.Complaint) error {
	return update(ctx, t, complaints, "update complaint "+c.ID, c)
}

// Complaints lists the complaints f selects, newest first, and their number.
func (t *tx) Complaints(ctx context.Context, f pay.ComplaintFilter) ([]*pay.Complaint, int, error) {
	// $1 is never empty: an empty sp_mchid would otherwise match every direct merchant.
	where := `$1 <> '' AND (mchid = $1 OR sp_mchid = $1) AND ($2 = '' OR mchid = $2) AND create_time >= $3 AND create_time < $4`
	args := []any{f.Mchid, f.Sub, f.Begin.UnixMilli(), f.End.UnixMilli()}
	var total int
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM complaints WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, dbError("count complaints", err)
	}
	cs, err := list(ctx, t, complaints, "list complaints", complaints.SelectSQL("")+` WHERE `+where+`
		ORDER BY create_time DESC, seq DESC LIMIT $5 OFFSET $6`, append(args, f.Limit, f.Offset)...)
	return cs, total, err
}

// ComplaintsOfOrder lists an order's complaints, oldest first.
func (t *tx) ComplaintsOfOrder(ctx context.Context, transactionID string) ([]*pay.Complaint, error) {
	return list(ctx, t, complaints, "complaints of transaction "+transactionID, complaints.SelectSQL("")+`
		WHERE transaction_id = $1 ORDER BY create_time, seq`, transactionID)
}

// InsertComplaintLog adds a negotiation history entry.
func (t *tx) InsertComplaintLog(ctx context.Context, l *pay.ComplaintLog) error {
	return insert(ctx, t, complaintLogs, "insert log of complaint "+l.ComplaintID, l)
}

// ComplaintLogs lists a complaint's history, oldest first.
func (t *tx) ComplaintLogs(ctx context.Context, complaintID string) ([]*pay.ComplaintLog, error) {
	return list(ctx, t, complaintLogs, "logs of complaint "+complaintID, complaintLogs.SelectSQL("")+`
		WHERE complaint_id = $1 ORDER BY operate_time, seq`, complaintID)
}

// InsertImage adds an uploaded image.
func (t *tx) InsertImage(ctx context.Context, im *pay.Image) error {
	return insert(ctx, t, images, "insert image", im)
}

// Image finds an image by media_id.
func (t *tx) Image(ctx context.Context, mediaID string) (*pay.Image, error) {
	return one(ctx, t, images, "image "+mediaID, images.SelectSQL("")+` WHERE media_id = $1`, mediaID)
}

// ComplaintNotifyURL reads mchid's complaint notification URL.
func (t *tx) ComplaintNotifyURL(ctx context.Context, mchid string) (string, error) {
	var url string
	if err := t.tx.QueryRow(ctx, `SELECT url FROM complaint_notify_urls WHERE mchid = $1`, mchid).Scan(&url); err != nil {
		return "", dbError("complaint notify url of "+mchid, err)
	}
	return url, nil
}

// PutComplaintNotifyURL writes mchid's complaint notification URL.
func (t *tx) PutComplaintNotifyURL(ctx context.Context, mchid, url string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO complaint_notify_urls (mchid, url) VALUES ($1, $2)
		ON CONFLICT (mchid) DO UPDATE SET url = excluded.url`, mchid, url)
	if err != nil {
		return dbError("put complaint notify url of "+mchid, err)
	}
	return nil
}

// DeleteComplaintNotifyURL removes mchid's complaint notification URL.
func (t *tx) DeleteComplaintNotifyURL(ctx context.Context, mchid string) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM complaint_notify_urls WHERE mchid = $1`, mchid)
	return mustAffect("delete complaint notify url of "+mchid, tag, err)
}
