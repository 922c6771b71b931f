package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// InsertAdvanceReturn adds a; ErrDuplicate when its id is taken or its refund has one.
func (tx *tx) InsertAdvanceReturn(ctx context.Context, a *pay.AdvanceReturn) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.AdvanceReturns.InsertSQL(sqltable.Question), sqltable.AdvanceReturns.Values(a)...); err != nil {
		return dbError("insert advance return "+a.ID, err)
	}
	return nil
}

// AdvanceReturnOfRefund finds the return of a refund.
func (tx *tx) AdvanceReturnOfRefund(ctx context.Context, refundID string) (*pay.AdvanceReturn, error) {
	a, err := sqltable.AdvanceReturns.Scan(tx.tx.QueryRowContext(ctx, sqltable.AdvanceReturns.SelectSQL("")+` WHERE refund_id = ?`, refundID))
	if err != nil {
		return nil, dbError("advance return of refund "+refundID, err)
	}
	return a, nil
}
