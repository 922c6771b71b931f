package sqlite

import (
	"context"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	refundSQL         = hot(sqltable.Refunds.SelectSQL("") + ` WHERE mchid = ? AND out_refund_no = ?`)
	refundByIDSQL     = hot(sqltable.Refunds.SelectSQL("") + ` WHERE refund_id = ?`)
	refundsOfOrderSQL = hot(sqltable.Refunds.SelectSQL("") + ` WHERE transaction_id = ? ORDER BY create_time, rowid`)
	// Without statistics the planner prefers refunds_status's equality on status, then
	// sorts every PROCESSING refund to keep the first few; the partial index is
	// already in settle_at order.
	dueRefundsSQL = hot(sqltable.Refunds.SelectSQL("") + ` INDEXED BY refunds_due
		WHERE status = 'PROCESSING' AND settle_at > 0 AND settle_at <= ?
		ORDER BY settle_at, rowid LIMIT ?`)
	insertRefundSQL = hot(sqltable.Refunds.InsertSQL(sqltable.Question))
	updateRefundSQL = hot(sqltable.Refunds.UpdateSQL(sqltable.Question))
)

// Refund finds mchid's refund by out_refund_no.
func (tx *tx) Refund(ctx context.Context, mchid, outRefundNo string) (*pay.Refund, error) {
	if tx.cache != nil && !tx.tx.begun() {
		if r := tx.cache.byOutRefundNo(mchid, outRefundNo); r != nil {
			return r, nil
		}
	}
	row := tx.tx.QueryRowContext(ctx, refundSQL, mchid, outRefundNo)
	r, err := sqltable.Refunds.Scan(row)
	if err != nil {
		return nil, dbError("refund "+outRefundNo+" of "+mchid, err)
	}
	tx.keep(r)
	return r, nil
}

// RefundByID finds a refund by refund_id.
func (tx *tx) RefundByID(ctx context.Context, refundID string) (*pay.Refund, error) {
	if tx.cache != nil && !tx.tx.begun() {
		if r := tx.cache.byRefundID(refundID); r != nil {
			return r, nil
		}
	}
	row := tx.tx.QueryRowContext(ctx, refundByIDSQL, refundID)
	r, err := sqltable.Refunds.Scan(row)
	if err != nil {
		return nil, dbError("refund "+refundID, err)
	}
	tx.keep(r)
	return r, nil
}

// keep hands r, read in a View, to the Store's refundCache.
func (tx *tx) keep(r *pay.Refund) {
	if tx.cache != nil {
		tx.cache.keep(r, tx.gen)
	}
}

// RefundsOfOrder lists an order's refunds, oldest first; rowid breaks ties between
// refunds created in the same millisecond by insertion order.
func (tx *tx) RefundsOfOrder(ctx context.Context, transactionID string) ([]*pay.Refund, error) {
	return tx.refunds(ctx, "refunds of transaction "+transactionID, refundsOfOrderSQL, transactionID)
}

// DueRefunds lists up to limit PROCESSING refunds whose SettleAt is set and not after now,
// soonest first. The literals repeat the predicate of the partial index refunds_due.
func (tx *tx) DueRefunds(ctx context.Context, now time.Time, limit int) ([]*pay.Refund, error) {
	return tx.refunds(ctx, "due refunds", dueRefundsSQL, now.UnixMilli(), limit)
}

func (tx *tx) refunds(ctx context.Context, what, query string, args ...any) ([]*pay.Refund, error) {
	out, err := collect(ctx, tx.tx, sqltable.Refunds.Scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// InsertRefund adds r; ErrDuplicate when its refund_id, or its out_refund_no under the
// same mchid, is taken.
func (tx *tx) InsertRefund(ctx context.Context, r *pay.Refund) error {
	if _, err := tx.tx.ExecContext(ctx, insertRefundSQL, sqltable.Refunds.Values(r)...); err != nil {
		return dbError("insert refund "+r.ID, err)
	}
	return nil
}

// UpdateRefund writes every column of r but its keys.
func (tx *tx) UpdateRefund(ctx context.Context, r *pay.Refund) error {
	tx.tx.updated = append(tx.tx.updated, refundKeys{r.ID, refundNo{r.Mchid, r.OutRefundNo}})
	res, err := tx.tx.ExecContext(ctx, updateRefundSQL, sqltable.Refunds.UpdateArgs(r)...)
	return mustAffect("update refund "+r.ID, res, err)
}
