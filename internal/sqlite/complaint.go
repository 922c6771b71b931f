package sqlite

import (
	"context"
	"encoding/json"

	"github.com/tuikuan/tuikuan/internal/pay"
)

const complaintColumns = `complaint_id, mchid, sp_mchid, transaction_id, out_trade_no, amount,
	state, problem_type, apply_refund_amount, detail, sealed_payer_phone, payer_openid,
	user_tags, media, full_refunded, incoming_user_response, user_complaint_times,
	refund_action, launch_refund_day, create_time, update_time`

func complaintArgs(c *pay.Complaint) []any {
	return []any{c.ID, c.Mchid, c.SpMchid, c.TransactionID, c.OutTradeNo, c.Amount,
		string(c.State), c.ProblemType, c.ApplyRefundAmount, c.Detail, c.SealedPayerPhone, c.PayerOpenid,
		jsonList(c.UserTags), jsonList(c.Media), c.FullRefunded, c.IncomingUserResponse, c.UserComplaintTimes,
		c.RefundAction, c.LaunchRefundDay, millis(c.CreateTime), millis(c.UpdateTime)}
}

// jsonList stores a list as a JSON array, never null.
func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// Complaint finds a complaint by id.
func (tx *tx) Complaint(ctx context.Context, id string) (*pay.Complaint, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE complaint_id = ?`, id)
	c, err := scanComplaint(row)
	if err != nil {
		return nil, dbError("complaint "+id, err)
	}
	return c, nil
}

// InsertComplaint adds c; ErrDuplicate when its id is taken.
func (tx *tx) InsertComplaint(ctx context.Context, c *pay.Complaint) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO complaints (`+complaintColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, complaintArgs(c)...)
	if err != nil {
		return dbError("insert complaint "+c.ID, err)
	}
	return nil
}

// UpdateComplaint writes what changes about a complaint.
func (tx *tx) UpdateComplaint(ctx context.Context, c *pay.Complaint) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE complaints SET state = ?, full_refunded = ?,
		incoming_user_response = ?, user_complaint_times = ?, refund_action = ?,
		launch_refund_day = ?, update_time = ? WHERE complaint_id = ?`,
		string(c.State), c.FullRefunded, c.IncomingUserResponse, c.UserComplaintTimes, c.RefundAction,
		c.LaunchRefundDay, millis(c.UpdateTime), c.ID)
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
	cs, err := tx.complaints(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE `+where+`
		ORDER BY create_time DESC, rowid DESC LIMIT ?5 OFFSET ?6`, append(args, f.Limit, f.Offset)...)
	return cs, total, err
}

// ComplaintsOfOrder lists an order's complaints, oldest first.
func (tx *tx) ComplaintsOfOrder(ctx context.Context, transactionID string) ([]*pay.Complaint, error) {
	return tx.complaints(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE transaction_id = ?
		ORDER BY create_time, rowid`, transactionID)
}

func (tx *tx) complaints(ctx context.Context, query string, args ...any) ([]*pay.Complaint, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError("list complaints", err)
	}
	defer rows.Close()
	var out []*pay.Complaint
	for rows.Next() {
		c, err := scanComplaint(rows)
		if err != nil {
			return nil, dbError("list complaints", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list complaints", err)
	}
	return out, nil
}

func scanComplaint(s scanner) (*pay.Complaint, error) {
	var c pay.Complaint
	var tags, media string
	err := s.Scan(&c.ID, &c.Mchid, &c.SpMchid, &c.TransactionID, &c.OutTradeNo, &c.Amount,
		&c.State, &c.ProblemType, &c.ApplyRefundAmount, &c.Detail, &c.SealedPayerPhone, &c.PayerOpenid,
		&tags, &media, &c.FullRefunded, &c.IncomingUserResponse, &c.UserComplaintTimes,
		&c.RefundAction, &c.LaunchRefundDay, timeDest(&c.CreateTime), timeDest(&c.UpdateTime))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &c.UserTags); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(media), &c.Media); err != nil {
		return nil, err
	}
	return &c, nil
}

// InsertComplaintLog adds a negotiation history entry.
func (tx *tx) InsertComplaintLog(ctx context.Context, l *pay.ComplaintLog) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO complaint_logs (log_id, complaint_id, operator,
		operate_type, details, images, operate_time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.ComplaintID, l.Operator, l.OperateType, l.Details, jsonList(l.Images), millis(l.Time))
	if err != nil {
		return dbError("insert log of complaint "+l.ComplaintID, err)
	}
	return nil
}

// ComplaintLogs lists a complaint's history, oldest first.
func (tx *tx) ComplaintLogs(ctx context.Context, complaintID string) ([]*pay.ComplaintLog, error) {
	what := "logs of complaint " + complaintID
	rows, err := tx.tx.QueryContext(ctx, `SELECT log_id, complaint_id, operator, operate_type, details,
		images, operate_time FROM complaint_logs WHERE complaint_id = ? ORDER BY operate_time, rowid`, complaintID)
	if err != nil {
		return nil, dbError(what, err)
	}
	defer rows.Close()
	var out []*pay.ComplaintLog
	for rows.Next() {
		var l pay.ComplaintLog
		var images string
		if err := rows.Scan(&l.ID, &l.ComplaintID, &l.Operator, &l.OperateType, &l.Details, &images, timeDest(&l.Time)); err != nil {
			return nil, dbError(what, err)
		}
		if err := json.Unmarshal([]byte(images), &l.Images); err != nil {
			return nil, dbError(what, err)
		}
		out = append(out, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// InsertImage adds an uploaded image.
func (tx *tx) InsertImage(ctx context.Context, im *pay.Image) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO images (media_id, mchid, filename, content_type,
		data, create_time) VALUES (?, ?, ?, ?, ?, ?)`,
		im.MediaID, im.Mchid, im.Filename, im.ContentType, im.Data, millis(im.CreateTime))
	if err != nil {
		return dbError("insert image", err)
	}
	return nil
}

// Image finds an image by media_id.
func (tx *tx) Image(ctx context.Context, mediaID string) (*pay.Image, error) {
	var im pay.Image
	err := tx.tx.QueryRowContext(ctx, `SELECT media_id, mchid, filename, content_type, data, create_time
		FROM images WHERE media_id = ?`, mediaID).Scan(&im.MediaID, &im.Mchid, &im.Filename, &im.ContentType, &im.Data, timeDest(&im.CreateTime))
	if err != nil {
		return nil, dbError("image "+mediaID, err)
	}
	return &im, nil
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
