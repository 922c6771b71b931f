package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// advanceReturns stores pay.AdvanceReturn; a return is never updated.
var advanceReturns = &table[pay.AdvanceReturn]{
	name: "advance_returns",
	columns: []string{"advance_return_id", "refund_id", "payer_mchid", "payer_account",
		"payee_mchid", "payee_account", "return_amount", "result", "create_time", "success_time"},
	values: func(a *pay.AdvanceReturn) []any {
		return []any{a.ID, a.RefundID, a.PayerMchid, a.PayerAccount, a.PayeeMchid, a.PayeeAccount,
			a.Amount, string(a.Result), millis(a.CreateTime), millis(a.SuccessTime)}
	},
	dest: func(a *pay.AdvanceReturn) []any {
		return []any{&a.ID, &a.RefundID, &a.PayerMchid, &a.PayerAccount, &a.PayeeMchid, &a.PayeeAccount,
			&a.Amount, &a.Result, timeDest(&a.CreateTime), timeDest(&a.SuccessTime)}
	},
}

// InsertAdvanceReturn adds a; ErrDuplicate when its id is taken or its refund has one.
func (tx *tx) InsertAdvanceReturn(ctx context.Context, a *pay.AdvanceReturn) error {
	if _, err := tx.tx.ExecContext(ctx, advanceReturns.insertSQL(sqlitePlaceholder), advanceReturns.values(a)...); err != nil {
		return dbError("insert advance return "+a.ID, err)
	}
	return nil
}

// AdvanceReturnOfRefund finds the return of a refund.
func (tx *tx) AdvanceReturnOfRefund(ctx context.Context, refundID string) (*pay.AdvanceReturn, error) {
	a, err := advanceReturns.scan(tx.tx.QueryRowContext(ctx, advanceReturns.selectSQL("")+` WHERE refund_id = ?`, refundID))
	if err != nil {
		return nil, dbError("advance return of refund "+refundID, err)
	}
	return a, nil
}
