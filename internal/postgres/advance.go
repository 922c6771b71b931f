package postgres

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var advanceReturns = sqltable.AdvanceReturns

// InsertAdvanceReturn adds a; ErrDuplicate when its id is taken or its refund has one.
func (t *tx) InsertAdvanceReturn(ctx context.Context, a *pay.AdvanceReturn) error {
	return insert(ctx, t, advanceReturns, "insert advance return "+a.ID, a)
}

// AdvanceReturnOfRefund finds the return of a refund.
func (t *tx) AdvanceReturnOfRefund(ctx context.Context, refundID string) (*pay.AdvanceReturn, error) {
	return one(ctx, t, advanceReturns, "advance return of refund "+refundID,
		advanceReturns.SelectSQL("")+` WHERE refund_id = $1`, refundID)
}
