package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// orders stores pay.Order. UPDATE leaves the keys (transaction_id, mchid, out_trade_no)
// alone: they never change once an order exists.
var orders = &table[pay.Order]{
	name: "orders",
	columns: []string{"transaction_id", "out_trade_no", "mchid", "sp_mchid", "appid", "sub_appid",
		"total", "payer_total", "currency", "promotions", "bank_type", "success_time", "create_time",
		"refund_outcome", "refunded", "refund_count", "last_refund_at"},
	key: []string{"transaction_id"},
	update: []string{"sp_mchid", "appid", "sub_appid", "total", "payer_total", "currency",
		"promotions", "bank_type", "success_time", "create_time", "refund_outcome",
		"refunded", "refund_count", "last_refund_at"},
	values: func(o *pay.Order) []any {
		return []any{o.ID, o.OutTradeNo, o.Mchid, o.SpMchid, o.Appid, o.SubAppid,
			o.Total, o.PayerTotal, o.Currency, encodeList(o.Promotions, toStoredPromotion), o.BankType, millis(o.SuccessTime), millis(o.CreateTime),
			string(o.RefundOutcome), o.Refunded, o.RefundCount, millis(o.LastRefundAt)}
	},
	dest: func(o *pay.Order) []any {
		return []any{&o.ID, &o.OutTradeNo, &o.Mchid, &o.SpMchid, &o.Appid, &o.SubAppid,
			&o.Total, &o.PayerTotal, &o.Currency, listDest(&o.Promotions, fromStoredPromotion), &o.BankType, timeDest(&o.SuccessTime), timeDest(&o.CreateTime),
			&o.RefundOutcome, &o.Refunded, &o.RefundCount, timeDest(&o.LastRefundAt)}
	},
}

// Order finds mchid's order by ref, transaction_id first. No lock is needed: inside
// Update the whole transaction already holds SQLite's write lock.
func (tx *tx) Order(ctx context.Context, mchid string, ref pay.TradeRef) (*pay.Order, error) {
	query := orders.selectSQL("") + ` WHERE transaction_id = ? AND mchid = ?`
	key := ref.TransactionID
	if key == "" {
		query = orders.selectSQL("") + ` WHERE out_trade_no = ? AND mchid = ?`
		key = ref.OutTradeNo
	}
	o, err := orders.scan(tx.tx.QueryRowContext(ctx, query, key, mchid))
	if err != nil {
		return nil, dbError("transaction "+key+" of "+mchid, err)
	}
	return o, nil
}

// OrderByID finds an order by transaction_id, whoever its merchant.
func (tx *tx) OrderByID(ctx context.Context, transactionID string) (*pay.Order, error) {
	o, err := orders.scan(tx.tx.QueryRowContext(ctx, orders.selectSQL("")+` WHERE transaction_id = ?`, transactionID))
	if err != nil {
		return nil, dbError("transaction "+transactionID, err)
	}
	return o, nil
}

// InsertOrder adds o; ErrDuplicate when its transaction_id, or its out_trade_no
// under the same mchid, is taken.
func (tx *tx) InsertOrder(ctx context.Context, o *pay.Order) error {
	if _, err := tx.tx.ExecContext(ctx, orders.insertSQL(sqlitePlaceholder), orders.values(o)...); err != nil {
		return dbError("insert transaction "+o.ID, err)
	}
	return nil
}

// UpdateOrder writes every column of o but its keys.
func (tx *tx) UpdateOrder(ctx context.Context, o *pay.Order) error {
	res, err := tx.tx.ExecContext(ctx, orders.updateSQL(sqlitePlaceholder), orders.updateArgs(o)...)
	return mustAffect("update transaction "+o.ID, res, err)
}
