package pay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// NotificationStatus is where a notification is in its delivery.
type NotificationStatus string

// Query statuses.
const (
	NotifyPending   NotificationStatus = "PENDING"
	NotifyDelivered NotificationStatus = "DELIVERED"
	NotifyFailed    NotificationStatus = "FAILED" // the schedule ran out
)

// Query is a refund result owed to a merchant's notify_url. It is written in the
// same transaction as the status change that owes it (an outbox), so a crash can never
// lose it; delivery is at least once.
type Notification struct {
	ID           string // the envelope id, the same on every delivery
	RefundID     string // "" for a complaint notification
	ComplaintID  string // "" for a refund notification
	OrderID      string // the transaction_id of a payment notification, else ""
	Mchid        string // whose APIv3 key encrypts it: the partner for a partner's refund
	EventType    string // REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED | COMPLAINT.*
	Summary      string
	URL          string
	OriginalType string // "refund" | "complaint": also the resource's associated_data
	// Refund is what a refund notification says, Complaint what a complaint notification
	// says; the other is nil. The transport renders and encrypts it afresh on every
	// delivery.
	Refund    *RefundSnapshot
	Complaint *ComplaintSnapshot
	Order     *OrderSnapshot
	// Legacy is the plaintext of a notification stored before snapshots were (the v3
	// resource JSON, or the v2 envelope fields with req_info), delivered as it was
	// rendered then; "" for any other.
	Legacy string
	// Protocol is ProtocolV3 ("") or ProtocolV2: the refund's API decides the envelope,
	// the encryption and the retry schedule.
	Protocol string

	Status        NotificationStatus
	Attempts      int
	NextAttemptAt time.Time // business time; while a delivery is under way, its lease
	CreateTime    time.Time
	UpdateTime    time.Time
}

// Attempt is one delivery of a notification.
type Attempt struct {
	NotificationID string
	Number         int
	At             time.Time // real time
	StatusCode     int       // 0 when no answer came
	Response       string    // the start of the answer's body
	Latency        time.Duration
	Error          string // transport error, or the fault rule that failed it
}

// RetrySchedule is the wait before each retry of a failed notification: 15 retries,
// 24h4m in all, as 退款结果通知 states it
// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053, 通知规则).
var RetrySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// RetryScheduleV2 is v2's schedule. The v2 退款结果通知 page once gave the payment
// notification's 15/15/30/180/1800/1800/1800/1800/3600 seconds; it now gives
// "15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h - 总计 24h4m", the same as v3
// (https://pay.weixin.qq.com/doc/v2/partner/4011989265, 应用场景). It is a copy of its
// own so a change to one protocol's page touches one slice.
var RetryScheduleV2 = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// Query protocols.
const (
	ProtocolV3 = ""
	ProtocolV2 = "v2"
)

// Schedule is the retry schedule of n's protocol.
func (n *Notification) Schedule() []time.Duration {
	if n.Protocol == ProtocolV2 {
		return RetryScheduleV2
	}
	return RetrySchedule
}

// V2Status is a refund status as the v2 API words it
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577, refund_status_$n).
func V2Status(s Status) string {
	switch s {
	case StatusClosed:
		return "REFUNDCLOSE"
	case StatusAbnormal:
		return "CHANGE"
	}
	return string(s)
}

// V2Time writes a time the v2 way, "2016-07-25 15:26:26" in Beijing time
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577, refund_success_time_$n).
func V2Time(t time.Time) string {
	return t.In(Beijing).Format(time.DateTime)
}

// events names the notification owed for each status
// (https://pay.weixin.qq.com/doc/v3/merchant/4012082053, 通知报文);
// PROCESSING is never notified.
var events = map[Status][2]string{
	StatusSuccess:  {"REFUND.SUCCESS", "退款成功"},
	StatusAbnormal: {"REFUND.ABNORMAL", "退款异常"},
	StatusClosed:   {"REFUND.CLOSED", "退款关闭"},
}

// RefundSnapshot is a refund as it stood at the status change that owes a notification:
// what the notification says, kept with it so that a later change of the refund (a
// retried settle, a rescue) never alters a notification already owed. The transport
// words it for its protocol.
type RefundSnapshot struct {
	ID            string
	OutRefundNo   string
	Mchid         string // the order's merchant: a direct merchant or a sub-merchant
	SpMchid       string // the partner acting for Mchid, "" for a direct merchant
	TransactionID string
	OutTradeNo    string
	// Appid is the recipient's appid, which the v2 envelope names; set for v2 only.
	Appid               string
	SubAppid            string
	Status              Status
	SuccessTime         time.Time // zero unless SUCCESS
	UserReceivedAccount string
	FundsAccount        string
	Amount              Amount
}

// OrderSnapshot is a paid order as TRANSACTION.SUCCESS tells it
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791861, 支付成功回调通知).
type OrderSnapshot struct {
	TransactionID  string
	OutTradeNo     string
	Appid          string // the direct merchant's appid, or the partner's sp_appid
	Mchid          string // the order's merchant: the direct merchant or the sub-merchant
	SpMchid        string // "" for a direct merchant's order
	SubAppid       string
	TradeType      TradeType
	TradeState     TradeState
	TradeStateDesc string
	BankType       string
	Attach         string
	SuccessTime    time.Time
	PayerOpenid    string // the direct order's payer
	SpOpenid       string
	SubOpenid      string
	Total          int64
	PayerTotal     int64
	Currency       string
	Promotions     []Promotion
}

// Order is the order as it stood when the snapshot was taken, for the transport that
// renders it the way the query API shows an order.
func (s *OrderSnapshot) Order() *Order {
	return &Order{
		ID: s.TransactionID, OutTradeNo: s.OutTradeNo, Appid: s.Appid, Mchid: s.Mchid, SpMchid: s.SpMchid,
		SubAppid: s.SubAppid, TradeType: s.TradeType, TradeState: s.TradeState, TradeStateDesc: s.TradeStateDesc,
		BankType: s.BankType, Attach: s.Attach, SuccessTime: s.SuccessTime, PayerOpenid: s.PayerOpenid,
		SpOpenid: s.SpOpenid, SubOpenid: s.SubOpenid, Total: s.Total, PayerTotal: s.PayerTotal,
		Currency: s.Currency, Promotions: s.Promotions,
	}
}

// ComplaintSnapshot is what a complaint notification says: the complaint and the action
// that owed it.
type ComplaintSnapshot struct {
	ComplaintID string
	Action      string // CREATE_COMPLAINT, CONTINUE_COMPLAINT, …
}

// oweRefund records the notification a refund's new status owes, if its merchant has a URL.
func oweRefund(ctx context.Context, tx Tx, r *Refund, now time.Time) error {
	ev, ok := events[r.Status]
	if !ok {
		return nil
	}
	to := r.Mchid
	if r.SpMchid != "" {
		to = r.SpMchid
	}
	url := r.NotifyURL
	if url == "" {
		m, err := tx.Merchant(ctx, to)
		if err != nil {
			return fmt.Errorf("find merchant %s: %w", to, err)
		}
		url = m.NotifyURL
	}
	if url == "" {
		return nil // nowhere to send it, as with a merchant that configured no URL
	}
	n := &Notification{
		ID: newNotificationID(), RefundID: r.ID, Mchid: to, EventType: ev[0], Summary: ev[1],
		URL: url, OriginalType: "refund",
		Status: NotifyPending, NextAttemptAt: now, CreateTime: now, UpdateTime: now,
	}
	snap, err := snapshot(ctx, tx, r, to)
	if err != nil {
		return err
	}
	n.Refund = snap
	if r.API == APIV2 {
		n.Protocol = ProtocolV2
	}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return fmt.Errorf("insert notification for refund %s: %w", r.ID, err)
	}
	return nil
}

// owePayment records the TRANSACTION.SUCCESS a paid order owes its notify_url
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791861), encrypted with the APIv3 key of
// the merchant that placed it: the partner for a partner's order.
func owePayment(ctx context.Context, tx Tx, o *Order, now time.Time) error {
	if o.NotifyURL == "" {
		return nil // a sandbox order made paid in one step names no URL
	}
	n := &Notification{
		ID: newNotificationID(), OrderID: o.ID, Mchid: firstNonEmpty(o.SpMchid, o.Mchid),
		EventType: "TRANSACTION.SUCCESS", Summary: "支付成功", URL: o.NotifyURL, OriginalType: "transaction",
		Protocol: o.Protocol, Order: orderSnapshot(o),
		Status: NotifyPending, NextAttemptAt: now, CreateTime: now, UpdateTime: now,
	}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return fmt.Errorf("insert notification for order %s: %w", o.ID, err)
	}
	return nil
}

func orderSnapshot(o *Order) *OrderSnapshot {
	return &OrderSnapshot{
		TransactionID: o.ID, OutTradeNo: o.OutTradeNo, Appid: o.Appid, Mchid: o.Mchid,
		SpMchid: o.SpMchid, SubAppid: o.SubAppid, TradeType: o.TradeType, TradeState: o.TradeState,
		TradeStateDesc: o.TradeStateDesc, BankType: o.BankType, Attach: o.Attach,
		SuccessTime: o.SuccessTime, PayerOpenid: o.PayerOpenid, SpOpenid: o.SpOpenid,
		SubOpenid: o.SubOpenid, Total: o.Total, PayerTotal: o.PayerTotal, Currency: o.Currency,
		Promotions: o.Promotions,
	}
}

// snapshot takes r's state for a notification to to.
func snapshot(ctx context.Context, tx Tx, r *Refund, to string) (*RefundSnapshot, error) {
	snap := &RefundSnapshot{
		ID: r.ID, OutRefundNo: r.OutRefundNo, Mchid: r.Mchid, SpMchid: r.SpMchid,
		TransactionID: r.TransactionID, OutTradeNo: r.OutTradeNo, SubAppid: r.SubAppid,
		Status: r.Status, SuccessTime: r.SuccessTime, UserReceivedAccount: r.UserReceivedAccount,
		FundsAccount: r.FundsAccount, Amount: r.Amount,
	}
	if r.API != APIV2 {
		return snap, nil
	}
	m, err := tx.Merchant(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("find merchant %s: %w", to, err)
	}
	snap.Appid = m.Appid
	return snap, nil
}

// V2RefundAccount words a refund's funds source the v2 way
// (https://pay.weixin.qq.com/wiki/doc/api/wxpay/ch/pay/QuickPay/chapter8_4.shtml, refund_account).
func V2RefundAccount(fundsAccount string) string {
	if fundsAccount == "AVAILABLE" {
		return "REFUND_SOURCE_RECHARGE_FUNDS"
	}
	return "REFUND_SOURCE_UNSETTLED_FUNDS"
}

// newNotificationID is a UUID-shaped envelope id, as the real ones are.
func newNotificationID() string {
	h := wxcrypto.Hex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Notifications is the service that delivers the notifications owed: the deliverer
// claims them and records its attempts; the sandbox lists them.
type Notifications struct{ core }

// Claim takes up to limit due notifications for delivery, leasing each for
// lease of business time: if the deliverer dies, another picks them up after that.
func (s *Notifications) Claim(ctx context.Context, limit int, lease time.Duration) ([]*Notification, error) {
	// Peek first: the deliverer polls several times a second, and an idle poll should
	// not take SQLite's single writer.
	var due bool
	if err := s.store.View(ctx, func(tx Tx) error {
		ns, err := tx.DueNotifications(ctx, s.clock.Now(), 1)
		due = len(ns) > 0
		return err
	}); err != nil || !due {
		return nil, err
	}
	var out []*Notification
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.clock.Now()
		due, err := tx.DueNotifications(ctx, now, limit)
		if err != nil {
			return err
		}
		for _, n := range due {
			n.NextAttemptAt = now.Add(lease)
			if err := tx.UpdateNotification(ctx, n); err != nil {
				return err
			}
		}
		out = due
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	return out, nil
}

// RecordAttempt stores one delivery and moves the notification on: DELIVERED on success,
// else the next retry on the schedule (compressed by scale), FAILED when it runs out.
// A successful attempt on a FAILED notification (a manual re-send) delivers it.
func (s *Notifications) RecordAttempt(ctx context.Context, id string, a Attempt, ok bool, scale float64) (*Notification, error) {
	var out *Notification
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = s.record(ctx, tx, AttemptRecord{ID: id, Attempt: a, OK: ok}, scale)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record attempt of notification %s: %w", id, err)
	}
	return out, nil
}

// AttemptRecord is one delivery for RecordAttempts: the attempt made on notification ID,
// and whether it delivered it.
type AttemptRecord struct {
	ID      string
	Attempt Attempt
	OK      bool
}

// RecordAttempts is RecordAttempt for many deliveries in one write transaction, so that
// a deliverer pays for one commit (one fsync on SQLite) per batch rather than per
// delivery. It returns each notification as recorded, in the order of recs. A record
// whose notification is gone gets a nil notification and does not spoil the others;
// any other error fails the whole batch, and nothing of it is recorded.
func (s *Notifications) RecordAttempts(ctx context.Context, recs []AttemptRecord, scale float64) ([]*Notification, error) {
	out := make([]*Notification, len(recs))
	err := s.store.Update(ctx, func(tx Tx) error {
		for i, r := range recs {
			n, err := s.record(ctx, tx, r, scale)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("notification %s: %w", r.ID, err)
			}
			out[i] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record %d notification attempts: %w", len(recs), err)
	}
	return out, nil
}

// record is RecordAttempt within tx.
func (s *Notifications) record(ctx context.Context, tx Tx, r AttemptRecord, scale float64) (*Notification, error) {
	n, err := tx.Notification(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	n.Attempts++
	a := r.Attempt
	a.NotificationID, a.Number = r.ID, n.Attempts
	if err := tx.InsertAttempt(ctx, &a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	switch {
	case r.OK:
		n.Status = NotifyDelivered
	case n.Status == NotifyPending && n.Attempts <= len(n.Schedule()):
		n.NextAttemptAt = now.Add(time.Duration(float64(n.Schedule()[n.Attempts-1]) * scale))
	case n.Status == NotifyPending:
		n.Status = NotifyFailed
	}
	n.UpdateTime = now
	if err := tx.UpdateNotification(ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

// OfRefund lists a refund's notifications with their attempts.
func (s *Notifications) OfRefund(ctx context.Context, refundID string) ([]*Notification, map[string][]*Attempt, error) {
	return s.notificationsOf(ctx, func(tx Tx) ([]*Notification, error) {
		if _, err := tx.RefundByID(ctx, refundID); errors.Is(err, ErrNotFound) {
			return nil, Errorf(CodeResourceNotExists, msgRefundNotExist)
		} else if err != nil {
			return nil, err
		}
		return tx.NotificationsOfRefund(ctx, refundID)
	})
}

// notificationsOf lists the notifications list finds, with each one's attempts by
// notification id, in one read transaction.
func (s *Notifications) notificationsOf(ctx context.Context, list func(Tx) ([]*Notification, error)) ([]*Notification, map[string][]*Attempt, error) {
	var ns []*Notification
	attempts := map[string][]*Attempt{}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if ns, err = list(tx); err != nil {
			return err
		}
		for _, n := range ns {
			if attempts[n.ID], err = tx.Attempts(ctx, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ns, attempts, err
}

// Query returns one notification.
func (s *Notifications) Query(ctx context.Context, id string) (*Notification, error) {
	var n *Notification
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		n, err = tx.Notification(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, "通知%s不存在", id)
		}
		return err
	})
	return n, err
}
