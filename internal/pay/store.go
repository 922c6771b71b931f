package pay

import (
	"context"
	"time"
)

// Store keeps tuikuan's state. Every read-modify-write goes through Update, whose
// function runs inside one backend transaction: its writes commit together or not at all,
// and two Updates that touch the same transaction (order) never interleave, so the rules
// of money hold under any concurrency. SQLite gets that from its single writer,
// PostgreSQL from row locks taken by Tx.Order.
//
// Updates never nest (SQLite's one write connection is held by the outer one), and a Tx
// whose statement failed is not used again: PostgreSQL aborts the whole transaction.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// TradeRef names an order the way a refund request does: transaction_id wins over
// out_trade_no when both are given (protocol.md §5.1).
type TradeRef struct {
	TransactionID string
	OutTradeNo    string
}

// Tx is the set of operations available inside Store.Update and Store.View. Lookups
// return ErrNotFound when nothing matches; inserts return ErrDuplicate on a key clash.
type Tx interface {
	ComplaintTx
	CouponTx
	AdvanceTx

	Merchant(ctx context.Context, mchid string) (*Merchant, error)
	Merchants(ctx context.Context) ([]*Merchant, error)
	InsertMerchant(ctx context.Context, m *Merchant) error
	UpdateMerchant(ctx context.Context, m *Merchant) error

	// Order finds mchid's order by ref. Inside Update it locks the order until
	// the transaction ends.
	Order(ctx context.Context, mchid string, ref TradeRef) (*Order, error)
	OrderByID(ctx context.Context, transactionID string) (*Order, error)
	InsertOrder(ctx context.Context, t *Order) error
	UpdateOrder(ctx context.Context, t *Order) error

	// Refund finds mchid's refund by out_refund_no.
	Refund(ctx context.Context, mchid, outRefundNo string) (*Refund, error)
	RefundByID(ctx context.Context, refundID string) (*Refund, error)
	// RefundsOfOrder lists an order's refunds, oldest first.
	RefundsOfOrder(ctx context.Context, transactionID string) ([]*Refund, error)
	InsertRefund(ctx context.Context, r *Refund) error
	UpdateRefund(ctx context.Context, r *Refund) error
	// DueRefunds lists up to limit PROCESSING refunds whose SettleAt is set and not after now.
	DueRefunds(ctx context.Context, now time.Time, limit int) ([]*Refund, error)

	InsertNotification(ctx context.Context, n *Notification) error
	UpdateNotification(ctx context.Context, n *Notification) error
	Notification(ctx context.Context, id string) (*Notification, error)
	// NotificationsOfRefund lists a refund's notifications, oldest first.
	NotificationsOfRefund(ctx context.Context, refundID string) ([]*Notification, error)
	// DueNotifications lists up to limit PENDING notifications whose NextAttemptAt is not
	// after now, soonest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]*Notification, error)
	InsertAttempt(ctx context.Context, a *Attempt) error
	// Attempts lists a notification's attempts in order.
	Attempts(ctx context.Context, notificationID string) ([]*Attempt, error)

	// Setting reads a small named value ("" and ErrNotFound when unset); PutSetting writes it.
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
}
