package sqlite

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// Orders lists the orders f selects, newest first.
func (tx *tx) Orders(ctx context.Context, f pay.OrderFilter) ([]*pay.Order, error) {
	query, args := sqltable.OrdersQuery(sqltable.SQLite, f)
	return listed(ctx, tx, sqltable.Orders.Scan, "list orders", query, args...)
}

// Refunds lists the refunds f selects, newest first.
func (tx *tx) Refunds(ctx context.Context, f pay.RefundFilter) ([]*pay.Refund, error) {
	query, args := sqltable.RefundsQuery(sqltable.SQLite, f)
	return tx.refunds(ctx, "list refunds", query, args...)
}

// CountRefunds counts the refunds in each status.
func (tx *tx) CountRefunds(ctx context.Context) (map[pay.Status]int64, error) {
	counts, err := listed(ctx, tx, sqltable.ScanStatusCount, "count refunds", sqltable.CountRefundsSQL)
	if err != nil {
		return nil, err
	}
	return sqltable.StatusCounts(counts), nil
}

// Notifications lists the notifications f selects, the latest updated first.
func (tx *tx) Notifications(ctx context.Context, f pay.NotificationFilter) ([]*pay.Notification, error) {
	query, args := sqltable.NotificationsQuery(sqltable.SQLite, f)
	return tx.notifications(ctx, "list notifications", query, args...)
}

// CountNotifications counts the notifications in status, every one for "".
func (tx *tx) CountNotifications(ctx context.Context, status pay.NotificationStatus) (int64, error) {
	query, args := sqltable.CountNotificationsQuery(sqltable.SQLite, status)
	var n int64
	if err := tx.tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, dbError("count notifications", err)
	}
	return n, nil
}

// Stocks lists the coupon stocks f selects, newest first.
func (tx *tx) Stocks(ctx context.Context, f pay.StockFilter) ([]*pay.Stock, error) {
	query, args := sqltable.StocksQuery(sqltable.SQLite, f)
	return listed(ctx, tx, sqltable.Stocks.Scan, "list stocks", query, args...)
}

// listed runs query and reads every row it returns with scan, naming the list what in
// its error.
func listed[T any](ctx context.Context, tx *tx, scan func(scanner) (T, error), what, query string, args ...any) ([]T, error) {
	out, err := collect(ctx, tx.tx, scan, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}
