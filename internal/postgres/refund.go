package postgres

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var refunds = sqltable.Refunds

// Refund finds mchid's refund by out_refund_no, locking it inside Update.
func (t *tx) Refund(ctx context.Context, mchid, outRefundNo string) (*pay.Refund, error) {
	return one(ctx, t, refunds, "refund "+outRefundNo+" of "+mchid,
		refunds.SelectSQL("")+` WHERE mchid = $1 AND out_refund_no = $2`+t.forUpdate(), mchid, outRefundNo)
}

// RefundByID finds a refund by refund_id, locking it inside Update.
func (t *tx) RefundByID(ctx context.Context, refundID string) (*pay.Refund, error) {
	return one(ctx, t, refunds, "refund "+refundID,
		refunds.SelectSQL("")+` WHERE refund_id = $1`+t.forUpdate(), refundID)
}

// RefundsOfOrder lists an order's refunds, oldest first; seq breaks ties by insertion
// order.
func (t *tx) RefundsOfOrder(ctx context.Context, transactionID string) ([]*pay.Refund, error) {
	return list(ctx, t, refunds, "refunds of transaction "+transactionID, refunds.SelectSQL("")+`
		WHERE transaction_id = $1 ORDER BY create_time, seq`, transactionID)
}

// DueRefunds lists up to limit PROCESSING refunds whose SettleAt is set and not after now,
// soonest first. The literals repeat the predicate of the partial index refunds_due.
func (t *tx) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*pay.Refund, error) {
	return list(ctx, t, refunds, "due refunds", refunds.SelectSQL("")+`
		WHERE status = 'PROCESSING' AND settle_at > 0 AND settle_at <= $1
		ORDER BY settle_at, seq LIMIT $2`, now.UnixMilli(), limit)
}

// InsertRefund adds r; ErrDuplicate when its refund_id, or its out_refund_no under the
// same mchid, is taken.
func (t *tx) InsertRefund(ctx context.Context, r *pay.Refund) error {
	return insert(ctx, t, refunds, "insert refund "+r.ID, r)
}

// UpdateRefund writes every column of r but its keys.
func (t *tx) UpdateRefund(ctx context.Context, r *pay.Refund) error {
	return update(ctx, t, refunds, "update refund "+r.ID, r)
}
