package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

const transactionColumns = `transaction_id, out_trade_no, mchid, sp_mchid, appid, sub_appid,
	total, payer_total, currency, promotions, bank_type, success_time, create_time,
	refund_outcome, refunded, refund_count, last_refund_at`

// Order finds mchid's order by ref, transaction_id first. No lock is needed: inside
// Update the whole transaction already holds SQLite's write lock.
func (tx *tx) Order(ctx context.Context, mchid string, ref pay.TradeRef) (*pay.Order, error) {
	query := `SELECT ` + transactionColumns + ` FROM orders WHERE transaction_id = ? AND mchid = ?`
	key := ref.TransactionID
	if key == "" {
		query = `SELECT ` + transactionColumns + ` FROM orders WHERE out_trade_no = ? AND mchid = ?`
		key = ref.OutTradeNo
	}
	t, err := scanOrder(tx.tx.QueryRowContext(ctx, query, key, mchid))
	if err != nil {
		return nil, dbError("transaction "+key+" of "+mchid, err)
	}
	return t, nil
}

// OrderByID finds an order by transaction_id, whoever its merchant.
func (tx *tx) OrderByID(ctx context.Context, transactionID string) (*pay.Order, error) {
	row := tx.tx.QueryRowContext(ctx, `SELECT `+transactionColumns+` FROM orders WHERE transaction_id = ?`, transactionID)
	t, err := scanOrder(row)
	if err != nil {
		return nil, dbError("transaction "+transactionID, err)
	}
	return t, nil
}

// InsertOrder adds t; ErrDuplicate when its transaction_id, or its out_trade_no
// under the same mchid, is taken.
func (tx *tx) InsertOrder(ctx context.Context, t *pay.Order) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO orders (`+transactionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.OutTradeNo, t.Mchid, t.SpMchid, t.Appid, t.SubAppid,
		t.Total, t.PayerTotal, t.Currency, encodeList(t.Promotions, toStoredPromotion), t.BankType, millis(t.SuccessTime), millis(t.CreateTime),
		string(t.RefundOutcome), t.Refunded, t.RefundCount, millis(t.LastRefundAt))
	if err != nil {
		return dbError("insert transaction "+t.ID, err)
	}
	return nil
}

// UpdateOrder writes every column of t but its keys (transaction_id, mchid,
// out_trade_no), which never change once an order exists.
func (tx *tx) UpdateOrder(ctx context.Context, t *pay.Order) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE orders SET
		sp_mchid = ?, appid = ?, sub_appid = ?, total = ?, payer_total = ?, currency = ?,
		promotions = ?, bank_type = ?, success_time = ?, create_time = ?, refund_outcome = ?,
		refunded = ?, refund_count = ?, last_refund_at = ?
		WHERE transaction_id = ?`,
		t.SpMchid, t.Appid, t.SubAppid, t.Total, t.PayerTotal, t.Currency,
		encodeList(t.Promotions, toStoredPromotion), t.BankType, millis(t.SuccessTime), millis(t.CreateTime), string(t.RefundOutcome),
		t.Refunded, t.RefundCount, millis(t.LastRefundAt),
		t.ID)
	return mustAffect("update transaction "+t.ID, res, err)
}

func scanOrder(s scanner) (*pay.Order, error) {
	var t pay.Order
	err := s.Scan(&t.ID, &t.OutTradeNo, &t.Mchid, &t.SpMchid, &t.Appid, &t.SubAppid,
		&t.Total, &t.PayerTotal, &t.Currency, listDest(&t.Promotions, fromStoredPromotion), &t.BankType,
		timeDest(&t.SuccessTime), timeDest(&t.CreateTime),
		&t.RefundOutcome, &t.Refunded, &t.RefundCount, timeDest(&t.LastRefundAt))
	if err != nil {
		return nil, err
	}
	return &t, nil
}
