package postgres

import (
	"context"

	"github.com/tuikuan/tuikuan/internal/pay"
	"github.com/tuikuan/tuikuan/internal/sqltable"
)

// Orders lists the orders f selects, newest first.
func (t *tx) Orders(ctx context.Context, f pay.OrderFilter) ([]*pay.Order, error) {
	query, args := sqltable.OrdersQuery(sqltable.Postgres, f)
	return list(ctx, t, orders, "list orders", query, args...)
}

// Refunds lists the refunds f selects, newest first.
func (t *tx) Refunds(ctx context.Context, f pay.RefundFilter) ([]*pay.Refund, error) {
	query, args := sqltable.RefundsQuery(sqltable.Postgres, f)
	return list(ctx, t, refunds, "list refunds", query, args...)
}

// CountRefunds counts the refunds in each status.
func (t *tx) CountRefunds(ctx context.Context) (map[pay.Status]int64, error) {
	counts, err := collect(ctx, t.tx, sqltable.ScanStatusCount, sqltable.CountRefundsSQL)
	if err != nil {
		return nil, dbError("count refunds", err)
	}
	return sqltable.StatusCounts(counts), nil
}

// Notifications lists the notifications f selects, the latest updated first.
func (t *tx) Notifications(ctx context.Context, f pay.NotificationFilter) ([]*pay.Notification, error) {
	query, args := sqltable.NotificationsQuery(sqltable.Postgres, f)
	return list(ctx, t, notifications, "list notifications", query, args...)
}

// CountNotifications counts the notifications in status, every one for "".
func (t *tx) CountNotifications(ctx context.Context, status pay.NotificationStatus) (int64, error) {
	query, args := sqltable.CountNotificationsQuery(sqltable.Postgres, status)
	var n int64
	if err := t.tx.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, dbError("count notifications", err)
	}
	return n, nil
}

// Stocks lists the coupon stocks f selects, newest first.
func (t *tx) Stocks(ctx context.Context, f pay.StockFilter) ([]*pay.Stock, error) {
	query, args := sqltable.StocksQuery(sqltable.Postgres, f)
	return list(ctx, t, stocks, "list stocks", query, args...)
}
