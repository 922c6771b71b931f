package sqltable

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// Merchants stores pay.Merchant. notify_mode holds PlatformKeyMode: the setting outgrew
// its first name, and renaming a column would cost every existing database a table
// rebuild for nothing a user sees. apiv3_key and apiv2_key hold sealed keys: values and
// dest see them as stored, sealKeys and openKeys convert.
var Merchants = &Table[pay.Merchant]{
	Name: "merchants",
	Columns: []string{"mchid", "kind", "sp_mchid", "appid", "cert_serial", "cert_pem", "apiv3_key",
		"apiv2_key", "private_key_file", "cert_file", "create_time", "notify_url", "notify_mode", "rate_profile",
		"former_cert_serial"},
	Key: []string{"mchid"},
	Update: []string{"kind", "sp_mchid", "appid", "cert_serial", "cert_pem", "apiv3_key", "apiv2_key",
		"private_key_file", "cert_file", "notify_url", "notify_mode", "rate_profile", "former_cert_serial"},
	Values: func(m *pay.Merchant) []any {
		return []any{m.Mchid, string(m.Kind), m.SpMchid, m.Appid, m.CertSerial, m.CertPEM, m.APIv3Key,
			m.APIv2Key, m.PrivateKeyFile, m.CertFile, Millis(m.CreateTime), m.NotifyURL, m.PlatformKeyMode, m.RateProfile,
			m.FormerCertSerial}
	},
	Dest: func(m *pay.Merchant) []any {
		return []any{&m.Mchid, &m.Kind, &m.SpMchid, &m.Appid, &m.CertSerial, &m.CertPEM, &m.APIv3Key,
			&m.APIv2Key, &m.PrivateKeyFile, &m.CertFile, TimeDest(&m.CreateTime), &m.NotifyURL, &m.PlatformKeyMode, &m.RateProfile,
			&m.FormerCertSerial}
	},
}

var orderColumns = []string{"transaction_id", "out_trade_no", "mchid", "sp_mchid", "appid", "sub_appid",
	"total", "payer_total", "currency", "promotions", "bank_type", "success_time", "create_time",
	"refund_outcome", "refunded", "refund_count", "last_refund_at",
	"trade_type", "trade_state", "trade_state_desc", "description", "attach", "notify_url", "goods_tag",
	"time_expire", "support_fapiao", "limit_pay", "profit_sharing", "payer_openid", "sp_openid",
	"sub_openid", "payer_client_ip", "prepay_id", "code_url", "h5_url", "place_digest", "protocol",
	"refund_split"}

// Orders stores pay.Order. UPDATE leaves the keys (transaction_id, mchid, out_trade_no)
// alone: they never change once an order exists. prepay_id and code_url are NULL when
// absent, so that their UNIQUE indexes hold among real ones only.
var Orders = &Table[pay.Order]{
	Name:    "orders",
	Columns: orderColumns,
	Key:     []string{"transaction_id"},
	Update:  Except(orderColumns, "transaction_id", "mchid", "out_trade_no"),
	Values: func(o *pay.Order) []any {
		return []any{o.ID, o.OutTradeNo, o.Mchid, o.SpMchid, o.Appid, o.SubAppid,
			o.Total, o.PayerTotal, o.Currency, EncodeList(o.Promotions, toStoredPromotion), o.BankType, Millis(o.SuccessTime), Millis(o.CreateTime),
			string(o.RefundOutcome), o.Refunded, o.RefundCount, Millis(o.LastRefundAt),
			string(o.TradeType), string(o.TradeState), o.TradeStateDesc, o.Description, o.Attach, o.NotifyURL, o.GoodsTag,
			Millis(o.TimeExpire), o.SupportFapiao, JSONList(o.LimitPay), o.ProfitSharing, o.PayerOpenid, o.SpOpenid,
			o.SubOpenid, o.PayerClientIP, NullIfEmpty(o.PrepayID), NullIfEmpty(o.CodeURL), o.H5URL, o.PlaceDigest, o.Protocol,
			EncodeSplit(o.Split)}
	},
	Dest: func(o *pay.Order) []any {
		return []any{&o.ID, &o.OutTradeNo, &o.Mchid, &o.SpMchid, &o.Appid, &o.SubAppid,
			&o.Total, &o.PayerTotal, &o.Currency, ListDest(&o.Promotions, fromStoredPromotion), &o.BankType, TimeDest(&o.SuccessTime), TimeDest(&o.CreateTime),
			&o.RefundOutcome, &o.Refunded, &o.RefundCount, TimeDest(&o.LastRefundAt),
			&o.TradeType, &o.TradeState, &o.TradeStateDesc, &o.Description, &o.Attach, &o.NotifyURL, &o.GoodsTag,
			TimeDest(&o.TimeExpire), &o.SupportFapiao, JSONListDest(&o.LimitPay), &o.ProfitSharing, &o.PayerOpenid, &o.SpOpenid,
			&o.SubOpenid, &o.PayerClientIP, NullStringDest(&o.PrepayID), NullStringDest(&o.CodeURL), &o.H5URL, &o.PlaceDigest, &o.Protocol,
			SplitDest(&o.Split)}
	},
}

// OrderTotals is the part of an order a new refund changes: its running refund totals.
// Writing these alone leaves every indexed column of the order as it was, so an apply's
// UPDATE maintains none of the order's indexes.
var OrderTotals = &Table[pay.Order]{
	Name:    "orders",
	Columns: []string{"transaction_id", "refunded", "refund_count", "last_refund_at", "refund_split"},
	Key:     []string{"transaction_id"},
	Update:  []string{"refunded", "refund_count", "last_refund_at", "refund_split"},
	Values: func(o *pay.Order) []any {
		return []any{o.ID, o.Refunded, o.RefundCount, Millis(o.LastRefundAt), EncodeSplit(o.Split)}
	},
	Dest: func(o *pay.Order) []any {
		return []any{&o.ID, &o.Refunded, &o.RefundCount, TimeDest(&o.LastRefundAt), SplitDest(&o.Split)}
	},
}

var refundColumns = []string{"refund_id", "out_refund_no", "mchid", "sp_mchid", "transaction_id", "out_trade_no",
	"api", "reason", "notify_url", "funds_account", "refund_account", "sp_appid", "sub_appid",
	"amount_refund", "amount_total", "payer_total", "payer_refund", "settlement_total",
	"settlement_refund", "discount_refund", "currency", "amount_from", "promotions", "goods_detail",
	"status", "channel", "user_received_account", "create_time", "success_time", "update_time",
	"settle_at", "outcome", "abnormal_type", "bank_type", "sealed_bank_account", "sealed_real_name"}

// Refunds stores pay.Refund. UPDATE leaves the keys (refund_id, mchid, out_refund_no,
// transaction_id) alone: they never change once a refund exists.
var Refunds = &Table[pay.Refund]{
	Name:    "refunds",
	Columns: refundColumns,
	Key:     []string{"refund_id"},
	Update:  Except(refundColumns, "refund_id", "mchid", "out_refund_no", "transaction_id"),
	Values: func(r *pay.Refund) []any {
		a := &r.Amount
		return []any{r.ID, r.OutRefundNo, r.Mchid, r.SpMchid, r.TransactionID, r.OutTradeNo,
			string(r.API), r.Reason, r.NotifyURL, r.FundsAccount, r.RefundAccount, r.SpAppid, r.SubAppid,
			a.Refund, a.Total, a.PayerTotal, a.PayerRefund, a.SettlementTotal,
			a.SettlementRefund, a.DiscountRefund, a.Currency,
			EncodeList(a.From, toStoredFundsFrom), EncodeList(r.Promotions, toStoredPromotionRefund), EncodeList(r.GoodsDetail, toStoredGoods),
			string(r.Status), r.Channel, r.UserReceivedAccount, Millis(r.CreateTime), Millis(r.SuccessTime), Millis(r.UpdateTime),
			Millis(r.SettleAt), string(r.Outcome), r.AbnormalType, r.BankType, r.SealedBankAccount, r.SealedRealName}
	},
	Dest: func(r *pay.Refund) []any {
		a := &r.Amount
		return []any{&r.ID, &r.OutRefundNo, &r.Mchid, &r.SpMchid, &r.TransactionID, &r.OutTradeNo,
			&r.API, &r.Reason, &r.NotifyURL, &r.FundsAccount, &r.RefundAccount, &r.SpAppid, &r.SubAppid,
			&a.Refund, &a.Total, &a.PayerTotal, &a.PayerRefund, &a.SettlementTotal,
			&a.SettlementRefund, &a.DiscountRefund, &a.Currency,
			ListDest(&a.From, fromStoredFundsFrom), ListDest(&r.Promotions, fromStoredPromotionRefund), ListDest(&r.GoodsDetail, fromStoredGoods),
			&r.Status, &r.Channel, &r.UserReceivedAccount, TimeDest(&r.CreateTime), TimeDest(&r.SuccessTime), TimeDest(&r.UpdateTime),
			TimeDest(&r.SettleAt), &r.Outcome, &r.AbnormalType, &r.BankType, &r.SealedBankAccount, &r.SealedRealName}
	},
}

// Notifications stores pay.Notification. A notification is a refund's, a complaint's or
// an order's; the other references are NULL, which its foreign key accepts where "" would fail. UPDATE
// writes the delivery state only: what a notification says never changes.
var Notifications = &Table[pay.Notification]{
	Name: "notifications",
	Columns: []string{"notification_id", "refund_id", "mchid", "event_type", "summary", "url",
		"original_type", "resource", "status", "attempts", "next_attempt_at", "create_time", "update_time", "protocol",
		"complaint_id", "snapshot", "order_id"},
	Key:    []string{"notification_id"},
	Update: []string{"status", "attempts", "next_attempt_at", "update_time"},
	Values: func(n *pay.Notification) []any {
		return []any{n.ID, NullIfEmpty(n.RefundID), n.Mchid, n.EventType, n.Summary, n.URL,
			n.OriginalType, n.Legacy, string(n.Status), n.Attempts, Millis(n.NextAttemptAt), Millis(n.CreateTime), Millis(n.UpdateTime), n.Protocol,
			NullIfEmpty(n.ComplaintID), snapshotColumn{n}, NullIfEmpty(n.OrderID)}
	},
	Dest: func(n *pay.Notification) []any {
		return []any{&n.ID, NullStringDest(&n.RefundID), &n.Mchid, &n.EventType, &n.Summary, &n.URL,
			&n.OriginalType, &n.Legacy, &n.Status, &n.Attempts, TimeDest(&n.NextAttemptAt), TimeDest(&n.CreateTime), TimeDest(&n.UpdateTime), &n.Protocol,
			NullStringDest(&n.ComplaintID), snapshotColumn{n}, NullStringDest(&n.OrderID)}
	},
}

// Attempts stores pay.Attempt, its latency in microseconds.
var Attempts = &Table[pay.Attempt]{
	Name:    "notification_attempts",
	Columns: []string{"notification_id", "number", "at", "status_code", "response", "latency_us", "error"},
	Values: func(a *pay.Attempt) []any {
		return []any{a.NotificationID, a.Number, Millis(a.At), a.StatusCode, a.Response, a.Latency.Microseconds(), a.Error}
	},
	Dest: func(a *pay.Attempt) []any {
		return []any{&a.NotificationID, &a.Number, TimeDest(&a.At), &a.StatusCode, &a.Response, DurationDest(&a.Latency), &a.Error}
	},
}

// snapshotColumn is a notification's snapshot column: JSON of what the notification
// says. A row without one (NULL) predates snapshots and keeps its rendered plaintext in
// resource (Notification.Legacy).
type snapshotColumn struct{ n *pay.Notification }

// snapshot is the JSON the column holds.
type snapshot struct {
	Refund    *pay.RefundSnapshot    `json:",omitempty"`
	Complaint *pay.ComplaintSnapshot `json:",omitempty"`
	Order     *pay.OrderSnapshot     `json:",omitempty"`
}

// Value implements driver.Valuer.
func (c snapshotColumn) Value() (driver.Value, error) {
	if c.n.Refund == nil && c.n.Complaint == nil && c.n.Order == nil {
		return nil, nil
	}
	b, err := json.Marshal(snapshot{Refund: c.n.Refund, Complaint: c.n.Complaint, Order: c.n.Order})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot of notification %s: %w", c.n.ID, err)
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (c snapshotColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("snapshot of notification %s: unexpected %T", c.n.ID, src)
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("decode snapshot of notification %s: %w", c.n.ID, err)
	}
	c.n.Refund, c.n.Complaint, c.n.Order = snap.Refund, snap.Complaint, snap.Order
	return nil
}

// Complaints stores pay.Complaint. UPDATE writes what a complaint's life changes; what
// the user said, and when, never changes.
var Complaints = &Table[pay.Complaint]{
	Name: "complaints",
	Columns: []string{"complaint_id", "mchid", "sp_mchid", "transaction_id", "out_trade_no", "amount",
		"state", "problem_type", "apply_refund_amount", "detail", "sealed_payer_phone", "payer_openid",
		"user_tags", "media", "full_refunded", "incoming_user_response", "user_complaint_times",
		"refund_action", "launch_refund_day", "create_time", "update_time"},
	Key: []string{"complaint_id"},
	Update: []string{"state", "full_refunded", "incoming_user_response", "user_complaint_times",
		"refund_action", "launch_refund_day", "update_time"},
	Values: func(c *pay.Complaint) []any {
		return []any{c.ID, c.Mchid, c.SpMchid, c.TransactionID, c.OutTradeNo, c.Amount,
			string(c.State), c.ProblemType, c.ApplyRefundAmount, c.Detail, c.SealedPayerPhone, c.PayerOpenid,
			JSONList(c.UserTags), JSONList(c.Media), c.FullRefunded, c.IncomingUserResponse, c.UserComplaintTimes,
			c.RefundAction, c.LaunchRefundDay, Millis(c.CreateTime), Millis(c.UpdateTime)}
	},
	Dest: func(c *pay.Complaint) []any {
		return []any{&c.ID, &c.Mchid, &c.SpMchid, &c.TransactionID, &c.OutTradeNo, &c.Amount,
			&c.State, &c.ProblemType, &c.ApplyRefundAmount, &c.Detail, &c.SealedPayerPhone, &c.PayerOpenid,
			JSONListDest(&c.UserTags), JSONListDest(&c.Media), &c.FullRefunded, &c.IncomingUserResponse, &c.UserComplaintTimes,
			&c.RefundAction, &c.LaunchRefundDay, TimeDest(&c.CreateTime), TimeDest(&c.UpdateTime)}
	},
}

// ComplaintLogs stores pay.ComplaintLog; history is never updated.
var ComplaintLogs = &Table[pay.ComplaintLog]{
	Name:    "complaint_logs",
	Columns: []string{"log_id", "complaint_id", "operator", "operate_type", "details", "images", "operate_time"},
	Values: func(l *pay.ComplaintLog) []any {
		return []any{l.ID, l.ComplaintID, l.Operator, l.OperateType, l.Details, JSONList(l.Images), Millis(l.Time)}
	},
	Dest: func(l *pay.ComplaintLog) []any {
		return []any{&l.ID, &l.ComplaintID, &l.Operator, &l.OperateType, &l.Details, JSONListDest(&l.Images), TimeDest(&l.Time)}
	},
}

// Images stores pay.Image; an upload is never updated.
var Images = &Table[pay.Image]{
	Name:    "images",
	Columns: []string{"media_id", "mchid", "filename", "content_type", "data", "create_time"},
	Values: func(im *pay.Image) []any {
		return []any{im.MediaID, im.Mchid, im.Filename, im.ContentType, im.Data, Millis(im.CreateTime)}
	},
	Dest: func(im *pay.Image) []any {
		return []any{&im.MediaID, &im.Mchid, &im.Filename, &im.ContentType, &im.Data, TimeDest(&im.CreateTime)}
	},
}

// storedStockRules is the rules column of coupon_stocks: what no query filters on.
type storedStockRules struct {
	Name               string                     `json:"stock_name"`
	Comment            string                     `json:"comment,omitempty"`
	GoodsName          string                     `json:"goods_name"`
	DiscountAmount     int64                      `json:"discount_amount,omitempty"`
	DiscountPercent    int64                      `json:"discount_percent,omitempty"`
	ExchangePrice      int64                      `json:"exchange_price,omitempty"`
	TransactionMinimum int64                      `json:"transaction_minimum,omitempty"`
	DaysAfterReceive   int64                      `json:"available_day_after_receive,omitempty"`
	WaitDays           int64                      `json:"wait_days_after_receive,omitempty"`
	UseMethod          string                     `json:"use_method"`
	Transferable       bool                       `json:"transferable,omitempty"`
	Shareable          bool                       `json:"shareable,omitempty"`
	Display            map[string]json.RawMessage `json:"display,omitempty"`
}

// Stocks stores pay.Stock; the rules column holds what no query filters on. UPDATE
// writes the count of coupons sent, the only thing about a stock that changes.
var Stocks = &Table[pay.Stock]{
	Name: "coupon_stocks",
	Columns: []string{"stock_id", "creator", "belong_merchant", "out_request_no", "stock_type", "coupon_code_mode",
		"begin_time", "end_time", "max_coupons", "max_coupons_per_user", "sent", "rules", "create_time"},
	Key:    []string{"stock_id"},
	Update: []string{"sent"},
	Values: func(s *pay.Stock) []any {
		return []any{s.ID, s.Creator, s.BelongMerchant, s.OutRequestNo, string(s.Type), string(s.CodeMode),
			Millis(s.BeginTime), Millis(s.EndTime), s.MaxCoupons, s.MaxCouponsPerUser, s.Sent, stockRules{s}, Millis(s.CreateTime)}
	},
	Dest: func(s *pay.Stock) []any {
		return []any{&s.ID, &s.Creator, &s.BelongMerchant, &s.OutRequestNo, &s.Type, &s.CodeMode,
			TimeDest(&s.BeginTime), TimeDest(&s.EndTime), &s.MaxCoupons, &s.MaxCouponsPerUser, &s.Sent, stockRules{s}, TimeDest(&s.CreateTime)}
	},
}

// stockRules is a stock's rules column, both its argument and its Scan destination.
type stockRules struct{ s *pay.Stock }

func (r stockRules) Value() (driver.Value, error) {
	s := r.s
	text, err := json.Marshal(storedStockRules{
		Name: s.Name, Comment: s.Comment, GoodsName: s.GoodsName,
		DiscountAmount: s.DiscountAmount, DiscountPercent: s.DiscountPercent, ExchangePrice: s.ExchangePrice,
		TransactionMinimum: s.TransactionMinimum, DaysAfterReceive: s.DaysAfterReceive, WaitDays: s.WaitDays,
		UseMethod: s.UseMethod, Transferable: s.Transferable, Shareable: s.Shareable, Display: s.Display,
	})
	if err != nil {
		return nil, fmt.Errorf("encode stock %s: %w", s.ID, err)
	}
	return string(text), nil
}

func (r stockRules) Scan(src any) error {
	var text string
	if err := (nullStringScanner{&text}).Scan(src); err != nil {
		return err
	}
	var rules storedStockRules
	if err := json.Unmarshal([]byte(text), &rules); err != nil {
		// stock_id comes first among the columns, so s.ID is already read.
		return fmt.Errorf("decode rules of stock %s: %w", r.s.ID, err)
	}
	s := r.s
	s.Name, s.Comment, s.GoodsName = rules.Name, rules.Comment, rules.GoodsName
	s.DiscountAmount, s.DiscountPercent, s.ExchangePrice = rules.DiscountAmount, rules.DiscountPercent, rules.ExchangePrice
	s.TransactionMinimum, s.DaysAfterReceive, s.WaitDays = rules.TransactionMinimum, rules.DaysAfterReceive, rules.WaitDays
	s.UseMethod, s.Transferable, s.Shareable, s.Display = rules.UseMethod, rules.Transferable, rules.Shareable, rules.Display
	return nil
}

// Coupons stores pay.Coupon. UPDATE writes every column but the keys (stock, code).
var Coupons = &Table[pay.Coupon]{
	Name:    "coupons",
	Columns: couponColumns,
	Key:     []string{"stock_id", "coupon_code"},
	Update:  Except(couponColumns, "stock_id", "coupon_code"),
	Values: func(c *pay.Coupon) []any {
		return []any{c.StockID, c.Code, c.Openid, c.Appid, c.Sender, string(c.State), c.SendRequestNo,
			Millis(c.ReceiveTime), Millis(c.AvailableStartTime), Millis(c.ExpireTime),
			c.UseRequestNo, Millis(c.UseTime), c.TransactionID,
			c.ReturnRequestNo, Millis(c.ReturnTime), c.DeactivateRequestNo, Millis(c.DeactivateTime), c.DeactivateReason}
	},
	Dest: func(c *pay.Coupon) []any {
		return []any{&c.StockID, &c.Code, &c.Openid, &c.Appid, &c.Sender, &c.State, &c.SendRequestNo,
			TimeDest(&c.ReceiveTime), TimeDest(&c.AvailableStartTime), TimeDest(&c.ExpireTime),
			&c.UseRequestNo, TimeDest(&c.UseTime), &c.TransactionID,
			&c.ReturnRequestNo, TimeDest(&c.ReturnTime), &c.DeactivateRequestNo, TimeDest(&c.DeactivateTime), &c.DeactivateReason}
	},
}

var couponColumns = []string{"stock_id", "coupon_code", "openid", "appid", "sender", "state", "send_request_no",
	"receive_time", "available_start_time", "expire_time", "use_request_no", "use_time", "transaction_id",
	"return_request_no", "return_time", "deactivate_request_no", "deactivate_time", "deactivate_reason"}

// CouponRequests stores pay.CouponRequest; a request number is never updated.
var CouponRequests = &Table[pay.CouponRequest]{
	Name:    "coupon_requests",
	Columns: []string{"mchid", "kind", "request_no", "stock_id", "coupon_code", "time"},
	Values: func(r *pay.CouponRequest) []any {
		return []any{r.Mchid, r.Kind, r.RequestNo, r.StockID, r.CouponCode, Millis(r.Time)}
	},
	Dest: func(r *pay.CouponRequest) []any {
		return []any{&r.Mchid, &r.Kind, &r.RequestNo, &r.StockID, &r.CouponCode, TimeDest(&r.Time)}
	},
}

// AdvanceReturns stores pay.AdvanceReturn; a return is never updated.
var AdvanceReturns = &Table[pay.AdvanceReturn]{
	Name: "advance_returns",
	Columns: []string{"advance_return_id", "refund_id", "payer_mchid", "payer_account",
		"payee_mchid", "payee_account", "return_amount", "result", "create_time", "success_time"},
	Values: func(a *pay.AdvanceReturn) []any {
		return []any{a.ID, a.RefundID, a.PayerMchid, a.PayerAccount, a.PayeeMchid, a.PayeeAccount,
			a.Amount, string(a.Result), Millis(a.CreateTime), Millis(a.SuccessTime)}
	},
	Dest: func(a *pay.AdvanceReturn) []any {
		return []any{&a.ID, &a.RefundID, &a.PayerMchid, &a.PayerAccount, &a.PayeeMchid, &a.PayeeAccount,
			&a.Amount, &a.Result, TimeDest(&a.CreateTime), TimeDest(&a.SuccessTime)}
	},
}
