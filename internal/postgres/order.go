package postgres

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

var orders = sqltable.Orders

// Order finds mchid's order by ref, transaction_id first. Inside Update it locks the
// order until the transaction ends, so that no two nodes refund it at once.
func (t *tx) Order(ctx context.Context, mchid string, ref pay.TradeRef) (*pay.Order, error) {
	column, key := "transaction_id", ref.TransactionID
	if key == "" {
		column, key = "out_trade_no", ref.OutTradeNo
	}
	return one(ctx, t, orders, "transaction "+key+" of "+mchid,
		orders.SelectSQL("")+` WHERE `+column+` = $1 AND mchid = $2`+t.forUpdate(), key, mchid)
}

// OrderByID finds an order by transaction_id, whoever its merchant.
func (t *tx) OrderByID(ctx context.Context, transactionID string) (*pay.Order, error) {
	return t.orderWhere(ctx, "transaction_id", transactionID)
}

// InsertOrder adds o; ErrDuplicate when its transaction_id, or its out_trade_no
// under the same mchid, is taken.
func (t *tx) InsertOrder(ctx context.Context, o *pay.Order) error {
	return insert(ctx, t, orders, "insert transaction "+o.ID, o)
}

// UpdateOrder writes every column of o but its keys.
func (t *tx) UpdateOrder(ctx context.Context, o *pay.Order) error {
	return update(ctx, t, orders, "update transaction "+o.ID, o)
}

// UpdateOrderTotals writes o's running refund totals alone.
func (t *tx) UpdateOrderTotals(ctx context.Context, o *pay.Order) error {
	return update(ctx, t, sqltable.OrderTotals, "update totals of transaction "+o.ID, o)
}

// OrderByPrepayID finds an order by the prepay_id it was answered with.
func (t *tx) OrderByPrepayID(ctx context.Context, prepayID string) (*pay.Order, error) {
	return t.orderWhere(ctx, "prepay_id", prepayID)
}

// OrderByCodeURL finds a NATIVE order by its code_url.
func (t *tx) OrderByCodeURL(ctx context.Context, codeURL string) (*pay.Order, error) {
	return t.orderWhere(ctx, "code_url", codeURL)
}

// orderWhere finds, and inside Update locks, the order whose unique column holds value;
// "" matches none, as the column holds NULL there.
func (t *tx) orderWhere(ctx context.Context, column, value string) (*pay.Order, error) {
	return one(ctx, t, orders, "order with "+column+" "+value,
		orders.SelectSQL("")+` WHERE `+column+` = $1`+t.forUpdate(), value)
}
