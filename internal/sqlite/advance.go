package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

const advanceReturnColumns = `advance_return_id, refund_id, payer_mchid, payer_account,
	payee_mchid, payee_account, return_amount, result, create_time, success_time`

// InsertAdvanceReturn adds a; ErrDuplicate when its id is taken or its refund has one.
func (tx *tx) InsertAdvanceReturn(ctx context.Context, a *pay.AdvanceReturn) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO advance_returns (`+advanceReturnColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.RefundID, a.PayerMchid, a.PayerAccount, a.PayeeMchid, a.PayeeAccount,
		a.Amount, string(a.Result), millis(a.CreateTime), millis(a.SuccessTime))
	if err != nil {
		return dbError("insert advance return "+a.ID, err)
	}
	return nil
}

// AdvanceReturnOfRefund finds the return of a refund.
func (tx *tx) AdvanceReturnOfRefund(ctx context.Context, refundID string) (*pay.AdvanceReturn, error) {
	var a pay.AdvanceReturn
	err := tx.tx.QueryRowContext(ctx, `SELECT `+advanceReturnColumns+` FROM advance_returns WHERE refund_id = ?`, refundID).
		Scan(&a.ID, &a.RefundID, &a.PayerMchid, &a.PayerAccount, &a.PayeeMchid, &a.PayeeAccount,
			&a.Amount, &a.Result, timeDest(&a.CreateTime), timeDest(&a.SuccessTime))
	if err != nil {
		return nil, dbError("advance return of refund "+refundID, err)
	}
	return &a, nil
}
