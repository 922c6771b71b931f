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
// Update may run fn more than once — PostgreSQL rolls back a transaction caught in a
// deadlock, and the store runs it again — so fn must do nothing outside the Tx that
// cannot be repeated, and must not keep what it read from a run that failed.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is the set of operations available inside Store.Update and Store.View, one part per
// subdomain so that a backend can be written, and checked by storetest, part by part.
//
// Every part follows the same conventions: ctx comes first, lookups return ErrNotFound
// when nothing matches, inserts return ErrDuplicate on a key clash, and updates return
// ErrNotFound when the row to update does not exist.
type Tx interface {
	MerchantTx
	OrderTx
	RefundTx
	NotificationTx
	SettingTx
	ComplaintTx
	CouponTx
	AdvanceTx
	NonceTx
	FaultTx
	JournalTx
}

// MerchantTx is the part of Tx that keeps merchants. Their APIv3 and APIv2 keys are
// secrets: a backend with a Sealer stores them sealed and returns them clear.
type MerchantTx interface {
	Merchant(ctx context.Context, mchid string) (*Merchant, error)
	// Merchants lists every merchant, oldest first.
	Merchants(ctx context.Context) ([]*Merchant, error)
	// InsertMerchant adds m; ErrDuplicate when its mchid is taken.
	InsertMerchant(ctx context.Context, m *Merchant) error
	// UpdateMerchant writes every field of m but its mchid.
	UpdateMerchant(ctx context.Context, m *Merchant) error
}

// TradeRef names an order the way a refund request does: transaction_id wins over
// out_trade_no when both are given
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, request parameters).
type TradeRef struct {
	TransactionID string
	OutTradeNo    string
}

// OrderTx is the part of Tx that keeps orders, placed and paid.
type OrderTx interface {
	// Order finds mchid's order by ref. Inside Update it locks the order until
	// the transaction ends.
	Order(ctx context.Context, mchid string, ref TradeRef) (*Order, error)
	// OrderByID finds an order by transaction_id, whoever its merchant.
	OrderByID(ctx context.Context, transactionID string) (*Order, error)
	// InsertOrder adds o; ErrDuplicate when its transaction_id, or its out_trade_no
	// under the same mchid, is taken.
	InsertOrder(ctx context.Context, o *Order) error
	// UpdateOrder writes every field of o but its keys (transaction_id, mchid,
	// out_trade_no), which never change once an order exists.
	UpdateOrder(ctx context.Context, o *Order) error
	// UpdateOrderTotals writes o's running refund totals alone (Refunded, RefundCount,
	// LastRefundAt, Split): all that a refund's apply or close changes of its order.
	UpdateOrderTotals(ctx context.Context, o *Order) error
	// OrderByPrepayID finds an order by its prepay_id, unique among orders; "" finds none.
	OrderByPrepayID(ctx context.Context, prepayID string) (*Order, error)
	// OrderByCodeURL finds a NATIVE order by its code_url, unique among orders; "" finds
	// none.
	OrderByCodeURL(ctx context.Context, codeURL string) (*Order, error)
	// Orders lists the orders f selects, newest first.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, error)
}

// RefundTx is the part of Tx that keeps refunds.
type RefundTx interface {
	// Refund finds mchid's refund by out_refund_no.
	Refund(ctx context.Context, mchid, outRefundNo string) (*Refund, error)
	RefundByID(ctx context.Context, refundID string) (*Refund, error)
	// RefundsOfOrder lists an order's refunds, oldest first (insertion order breaks ties).
	RefundsOfOrder(ctx context.Context, transactionID string) ([]*Refund, error)
	// InsertRefund adds r; ErrDuplicate when its refund_id, or its out_refund_no under
	// the same mchid, is taken.
	InsertRefund(ctx context.Context, r *Refund) error
	// UpdateRefund writes every field of r but its keys (refund_id, mchid,
	// out_refund_no, transaction_id), which never change once a refund exists.
	UpdateRefund(ctx context.Context, r *Refund) error
	// DueRefunds lists up to limit PROCESSING refunds whose SettleAt is set and not after
	// now, soonest first.
	DueRefunds(ctx context.Context, now time.Time, limit int) ([]*Refund, error)
	// Refunds lists the refunds f selects, newest first.
	Refunds(ctx context.Context, f RefundFilter) ([]*Refund, error)
	// CountRefunds counts the refunds in each status; a status with none is absent.
	CountRefunds(ctx context.Context) (map[Status]int64, error)
}

// NotificationTx is the part of Tx that keeps outgoing notifications and their delivery
// attempts.
type NotificationTx interface {
	// InsertNotification adds n; ErrDuplicate when its id is taken.
	InsertNotification(ctx context.Context, n *Notification) error
	// UpdateNotification writes n's delivery state (status, attempts, next attempt,
	// update time); what a notification says never changes.
	UpdateNotification(ctx context.Context, n *Notification) error
	Notification(ctx context.Context, id string) (*Notification, error)
	// NotificationsOfRefund lists a refund's notifications, oldest first.
	NotificationsOfRefund(ctx context.Context, refundID string) ([]*Notification, error)
	// DueNotifications lists up to limit PENDING notifications whose NextAttemptAt is not
	// after now, soonest first. Inside Update, a store that several nodes share leaves
	// out the rows another transaction is changing, so that two claims at once never
	// lease the same notification.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]*Notification, error)
	// InsertAttempt adds a; ErrDuplicate when its number is taken for its notification.
	InsertAttempt(ctx context.Context, a *Attempt) error
	// Attempts lists a notification's attempts in order.
	Attempts(ctx context.Context, notificationID string) ([]*Attempt, error)
	// Notifications lists the notifications f selects, the latest updated first.
	Notifications(ctx context.Context, f NotificationFilter) ([]*Notification, error)
	// CountNotifications counts the notifications in status, every one for "".
	CountNotifications(ctx context.Context, status NotificationStatus) (int64, error)
}

// SettingTx is the part of Tx that keeps small named values, such as the platform
// private key and the sandbox token. Every value is a secret: a backend with a Sealer
// stores it sealed.
type SettingTx interface {
	// Setting reads a named value; "" and ErrNotFound when unset.
	Setting(ctx context.Context, key string) (string, error)
	// PutSetting writes a named value, replacing any earlier one.
	PutSetting(ctx context.Context, key, value string) error
}
