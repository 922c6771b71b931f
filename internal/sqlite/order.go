package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var (
	orderByIDOfSQL    = hot(sqltable.Orders.SelectSQL("") + ` WHERE transaction_id = ? AND mchid = ?`)
	orderByOutNoOfSQL = hot(sqltable.Orders.SelectSQL("") + ` WHERE out_trade_no = ? AND mchid = ?`)
	orderByIDSQL      = hot(sqltable.Orders.SelectSQL("") + ` WHERE transaction_id = ?`)
	updateOrderSQL    = hot(sqltable.Orders.UpdateSQL(sqltable.Question))
	updateTotalsSQL   = hot(sqltable.OrderTotals.UpdateSQL(sqltable.Question))
)

// Order finds mchid's order by ref, transaction_id first. No lock is needed: inside
// Update the whole transaction already holds SQLite's write lock.
func (tx *tx) Order(ctx context.Context, mchid string, ref pay.TradeRef) (*pay.Order, error) {
	query, key := orderByIDOfSQL, ref.TransactionID
	if key == "" {
		query = orderByOutNoOfSQL
		key = ref.OutTradeNo
	}
	o, err := sqltable.Orders.Scan(tx.tx.QueryRowContext(ctx, query, key, mchid))
	if err != nil {
		return nil, dbError("transaction "+key+" of "+mchid, err)
	}
	return o, nil
}

// OrderByID finds an order by transaction_id, whoever its merchant.
func (tx *tx) OrderByID(ctx context.Context, transactionID string) (*pay.Order, error) {
	o, err := sqltable.Orders.Scan(tx.tx.QueryRowContext(ctx, orderByIDSQL, transactionID))
	if err != nil {
		return nil, dbError("transaction "+transactionID, err)
	}
	return o, nil
}

// InsertOrder adds o; ErrDuplicate when its transaction_id, or its out_trade_no
// under the same mchid, is taken.
func (tx *tx) InsertOrder(ctx context.Context, o *pay.Order) error {
	if _, err := tx.tx.ExecContext(ctx, sqltable.Orders.InsertSQL(sqltable.Question), sqltable.Orders.Values(o)...); err != nil {
		return dbError("insert transaction "+o.ID, err)
	}
	return nil
}

// UpdateOrder writes every column of o but its keys.
func (tx *tx) UpdateOrder(ctx context.Context, o *pay.Order) error {
	res, err := tx.tx.ExecContext(ctx, updateOrderSQL, sqltable.Orders.UpdateArgs(o)...)
	return mustAffect("update transaction "+o.ID, res, err)
}

// UpdateOrderTotals writes o's running refund totals alone.
func (tx *tx) UpdateOrderTotals(ctx context.Context, o *pay.Order) error {
	res, err := tx.tx.ExecContext(ctx, updateTotalsSQL, sqltable.OrderTotals.UpdateArgs(o)...)
	return mustAffect("update totals of transaction "+o.ID, res, err)
}

// OrderByPrepayID finds an order by the prepay_id it was answered with.
func (tx *tx) OrderByPrepayID(ctx context.Context, prepayID string) (*pay.Order, error) {
	return tx.orderWhere(ctx, "prepay_id", prepayID)
}

// OrderByCodeURL finds a NATIVE order by its code_url.
func (tx *tx) OrderByCodeURL(ctx context.Context, codeURL string) (*pay.Order, error) {
	return tx.orderWhere(ctx, "code_url", codeURL)
}

// orderWhere finds the order whose unique column holds value; "" matches none, as the
// column holds NULL there.
func (tx *tx) orderWhere(ctx context.Context, column, value string) (*pay.Order, error) {
	o, err := sqltable.Orders.Scan(tx.tx.QueryRowContext(ctx, sqltable.Orders.SelectSQL("")+` WHERE `+column+` = ?`, value))
	if err != nil {
		return nil, dbError("order with "+column+" "+value, err)
	}
	return o, nil
}
