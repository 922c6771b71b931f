package pay

import "time"

// The filters below select what the console lists. Every list is newest first
// (insertion order breaks ties) and holds at most Limit rows after skipping Offset; a
// zero field selects everything, and a zero Limit sets no bound.

// OrderFilter selects orders.
type OrderFilter struct {
	Mchid  string // the order's merchant or the partner acting for it
	Number string // its transaction_id or out_trade_no
	State  TradeState
	Limit  int
	Offset int
}

// RefundFilter selects refunds.
type RefundFilter struct {
	Mchid         string // the refund's merchant or the partner acting for it
	Number        string // its refund_id or out_refund_no
	TransactionID string
	Status        Status
	Begin, End    time.Time // create_time in [Begin, End)
	Limit         int
	Offset        int
}

// NotificationFilter selects notifications, newest update first.
type NotificationFilter struct {
	Mchid   string
	OrderID string // the transaction_id of an order's payment notifications
	Status  NotificationStatus
	Limit   int
	Offset  int
}

// StockFilter selects coupon stocks.
type StockFilter struct {
	Creator string
	Limit   int
	Offset  int
}
