package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// Complaint finds a complaint by id.
func (tx *tx) Complaint(ctx context.Context, id string) (*pay.Complaint, error) {
	c, err := sqltable.Complaints.Scan(tx.tx.QueryRowContext(ctx, sqltable.Complaints.SelectSQL("")+` WHERE complaint_id = ?`, id))
	if err != nil {
		return nil, dbError("complaint "+id, err)
	}
	return c, nil
}

// InsertComplaint adds c; ErrDuplicate when its id is taken.
func (tx *tx) InsertComplaint(ctx context.Context, c *pay.Complaint) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.Complaints.InsertSQL(sqltable.Question), sqltable.Complaints.Values(c)...); err != nil {
		return dbError("insert complaint "+c.ID, err)
	}
	return nil
}

// UpdateComplaint writes what changes about a complaint.
func (tx *tx) UpdateComplaint(ctx context.Context, c *pay.Complaint) error {
	res, err := tx.tx.ExecContext(ctx, sqltable.Complaints.UpdateSQL(sqltable.Question), sqltable.Complaints.UpdateArgs(c)...)
	return mustAffect("update complaint "+c.ID, res, err)
}

// Complaints lists the complaints f selects, newest first, and their number.
func (tx *tx) Complaints(ctx context.Context, f pay.ComplaintFilter) ([]*pay.Complaint, int, error) {
	// ?1 is never empty: an empty sp_mchid would otherwise match every direct merchant.
	where := `?1 != '' AND (mchid = ?1 OR sp_mchid = ?1) AND (?2 = '' OR mchid = ?2) AND create_time >= ?3 AND create_time < ?4`
	args := []any{f.Mchid, f.Sub, f.Begin.UnixMilli(), f.End.UnixMilli()}
	var total int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM complaints WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, dbError("count complaints", err)
	}
	cs, err := tx.complaints(ctx, sqltable.Complaints.SelectSQL("")+` WHERE `+where+`
		ORDER BY create_time DESC, rowid DESC LIMIT ?5 OFFSET ?6`, append(args, f.Limit, f.Offset)...)
	return cs, total, err
}

// ComplaintsOfOrder lists an order's complaints, oldest first.
func (tx *tx) ComplaintsOfOrder(ctx context.Context, transactionID string) ([]*pay.Complaint, error) {
	return tx.complaints(ctx, sqltable.Complaints.SelectSQL("")+` WHERE transaction_id = ?
		ORDER BY create_time, rowid`, transactionID)
}

func (tx *tx) complaints(ctx context.Context, query string, args ...any) ([]*pay.Complaint, error) {
	out, err := collect(ctx, tx.tx, sqltable.Complaints.Scan, query, args...)
	if err != nil {
		return nil, dbError("list complaints", err)
	}
	return out, nil
}

// InsertComplaintLog adds a negotiation history entry.
func (tx *tx) InsertComplaintLog(ctx context.Context, l *pay.ComplaintLog) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.ComplaintLogs.InsertSQL(sqltable.Question), sqltable.ComplaintLogs.Values(l)...); err != nil {
		return dbError("insert log of complaint "+l.ComplaintID, err)
	}
	return nil
}

// ComplaintLogs lists a complaint's history, oldest first.
func (tx *tx) ComplaintLogs(ctx context.Context, complaintID string) ([]*pay.ComplaintLog, error) {
	out, err := collect(ctx, tx.tx, sqltable.ComplaintLogs.Scan, sqltable.ComplaintLogs.SelectSQL("")+`
		WHERE complaint_id = ? ORDER BY operate_time, rowid`, complaintID)
	if err != nil {
		return nil, dbError("logs of complaint "+complaintID, err)
	}
	return out, nil
}

// InsertImage adds an uploaded image.
func (tx *tx) InsertImage(ctx context.Context, im *pay.Image) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.Images.InsertSQL(sqltable.Question), sqltable.Images.Values(im)...); err != nil {
		return dbError("insert image", err)
	}
	return nil
}

// Image finds an image by media_id.
func (tx *tx) Image(ctx context.Context, mediaID string) (*pay.Image, error) {
	im, err := sqltable.Images.Scan(tx.tx.QueryRowContext(ctx, sqltable.Images.SelectSQL("")+` WHERE media_id = ?`, mediaID))
	if err != nil {
		return nil, dbError("image "+mediaID, err)
	}
	return im, nil
}

// ComplaintNotifyURL reads mchid's complaint notification URL.
func (tx *tx) ComplaintNotifyURL(ctx context.Context, mchid string) (string, error) {
	var url string
	err := tx.tx.QueryRowContext(ctx, `SELECT url FROM complaint_notify_urls WHERE mchid = ?`, mchid).Scan(&url)
	if err != nil {
		return "", dbError("complaint notify url of "+mchid, err)
	}
	return url, nil
}

// PutComplaintNotifyURL writes mchid's complaint notification URL.
func (tx *tx) PutComplaintNotifyURL(ctx context.Context, mchid, url string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO complaint_notify_urls (mchid, url) VALUES (?, ?)
		ON CONFLICT (mchid) DO UPDATE SET url = excluded.url`, mchid, url)
	if err != nil {
		return dbError("put complaint notify url of "+mchid, err)
	}
	return nil
}

// DeleteComplaintNotifyURL removes mchid's complaint notification URL.
func (tx *tx) DeleteComplaintNotifyURL(ctx context.Context, mchid string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM complaint_notify_urls WHERE mchid = ?`, mchid)
	return mustAffect("delete complaint notify url of "+mchid, res, err)
}
