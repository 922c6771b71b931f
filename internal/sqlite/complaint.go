package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// complaints stores pay.Complaint. UPDATE writes what a complaint's life changes; what
// the user said, and when, never changes.
var complaints = &table[pay.Complaint]{
	name: "complaints",
	columns: []string{"complaint_id", "mchid", "sp_mchid", "transaction_id", "out_trade_no", "amount",
		"state", "problem_type", "apply_refund_amount", "detail", "sealed_payer_phone", "payer_openid",
		"user_tags", "media", "full_refunded", "incoming_user_response", "user_complaint_times",
		"refund_action", "launch_refund_day", "create_time", "update_time"},
	key: []string{"complaint_id"},
	update: []string{"state", "full_refunded", "incoming_user_response", "user_complaint_times",
		"refund_action", "launch_refund_day", "update_time"},
	values: func(c *pay.Complaint) []any {
		return []any{c.ID, c.Mchid, c.SpMchid, c.TransactionID, c.OutTradeNo, c.Amount,
			string(c.State), c.ProblemType, c.ApplyRefundAmount, c.Detail, c.SealedPayerPhone, c.PayerOpenid,
			jsonList(c.UserTags), jsonList(c.Media), c.FullRefunded, c.IncomingUserResponse, c.UserComplaintTimes,
			c.RefundAction, c.LaunchRefundDay, millis(c.CreateTime), millis(c.UpdateTime)}
	},
	dest: func(c *pay.Complaint) []any {
		return []any{&c.ID, &c.Mchid, &c.SpMchid, &c.TransactionID, &c.OutTradeNo, &c.Amount,
			&c.State, &c.ProblemType, &c.ApplyRefundAmount, &c.Detail, &c.SealedPayerPhone, &c.PayerOpenid,
			jsonListDest(&c.UserTags), jsonListDest(&c.Media), &c.FullRefunded, &c.IncomingUserResponse, &c.UserComplaintTimes,
			&c.RefundAction, &c.LaunchRefundDay, timeDest(&c.CreateTime), timeDest(&c.UpdateTime)}
	},
}

// complaintLogs stores pay.ComplaintLog; history is never updated.
var complaintLogs = &table[pay.ComplaintLog]{
	name:    "complaint_logs",
	columns: []string{"log_id", "complaint_id", "operator", "operate_type", "details", "images", "operate_time"},
	values: func(l *pay.ComplaintLog) []any {
		return []any{l.ID, l.ComplaintID, l.Operator, l.OperateType, l.Details, jsonList(l.Images), millis(l.Time)}
	},
	dest: func(l *pay.ComplaintLog) []any {
		return []any{&l.ID, &l.ComplaintID, &l.Operator, &l.OperateType, &l.Details, jsonListDest(&l.Images), timeDest(&l.Time)}
	},
}

// images stores pay.Image; an upload is never updated.
var images = &table[pay.Image]{
	name:    "images",
	columns: []string{"media_id", "mchid", "filename", "content_type", "data", "create_time"},
	values: func(im *pay.Image) []any {
		return []any{im.MediaID, im.Mchid, im.Filename, im.ContentType, im.Data, millis(im.CreateTime)}
	},
	dest: func(im *pay.Image) []any {
		return []any{&im.MediaID, &im.Mchid, &im.Filename, &im.ContentType, &im.Data, timeDest(&im.CreateTime)}
	},
}

// Complaint finds a complaint by id.
func (tx *tx) Complaint(ctx context.Context, id string) (*pay.Complaint, error) {
	c, err := complaints.scan(tx.tx.QueryRowContext(ctx, complaints.selectSQL("")+` WHERE complaint_id = ?`, id))
	if err != nil {
		return nil, dbError("complaint "+id, err)
	}
	return c, nil
}

// InsertComplaint adds c; ErrDuplicate when its id is taken.
func (tx *tx) InsertComplaint(ctx context.Context, c *pay.Complaint) error {
	if _, err := tx.tx.ExecContext(ctx, complaints.insertSQL(sqlitePlaceholder), complaints.values(c)...); err != nil {
		return dbError("insert complaint "+c.ID, err)
	}
	return nil
}

// UpdateComplaint writes what changes about a complaint.
func (tx *tx) UpdateComplaint(ctx context.Context, c *pay.Complaint) error {
	res, err := tx.tx.ExecContext(ctx, complaints.updateSQL(sqlitePlaceholder), complaints.updateArgs(c)...)
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
	cs, err := tx.complaints(ctx, complaints.selectSQL("")+` WHERE `+where+`
		ORDER BY create_time DESC, rowid DESC LIMIT ?5 OFFSET ?6`, append(args, f.Limit, f.Offset)...)
	return cs, total, err
}

// ComplaintsOfOrder lists an order's complaints, oldest first.
func (tx *tx) ComplaintsOfOrder(ctx context.Context, transactionID string) ([]*pay.Complaint, error) {
	return tx.complaints(ctx, complaints.selectSQL("")+` WHERE transaction_id = ?
		ORDER BY create_time, rowid`, transactionID)
}

func (tx *tx) complaints(ctx context.Context, query string, args ...any) ([]*pay.Complaint, error) {
	out, err := collect(ctx, tx.tx, complaints.scan, query, args...)
	if err != nil {
		return nil, dbError("list complaints", err)
	}
	return out, nil
}

// InsertComplaintLog adds a negotiation history entry.
func (tx *tx) InsertComplaintLog(ctx context.Context, l *pay.ComplaintLog) error {
	if _, err := tx.tx.ExecContext(ctx, complaintLogs.insertSQL(sqlitePlaceholder), complaintLogs.values(l)...); err != nil {
		return dbError("insert log of complaint "+l.ComplaintID, err)
	}
	return nil
}

// ComplaintLogs lists a complaint's history, oldest first.
func (tx *tx) ComplaintLogs(ctx context.Context, complaintID string) ([]*pay.ComplaintLog, error) {
	out, err := collect(ctx, tx.tx, complaintLogs.scan, complaintLogs.selectSQL("")+`
		WHERE complaint_id = ? ORDER BY operate_time, rowid`, complaintID)
	if err != nil {
		return nil, dbError("logs of complaint "+complaintID, err)
	}
	return out, nil
}

// InsertImage adds an uploaded image.
func (tx *tx) InsertImage(ctx context.Context, im *pay.Image) error {
	if _, err := tx.tx.ExecContext(ctx, images.insertSQL(sqlitePlaceholder), images.values(im)...); err != nil {
		return dbError("insert image", err)
	}
	return nil
}

// Image finds an image by media_id.
func (tx *tx) Image(ctx context.Context, mediaID string) (*pay.Image, error) {
	im, err := images.scan(tx.tx.QueryRowContext(ctx, images.selectSQL("")+` WHERE media_id = ?`, mediaID))
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
