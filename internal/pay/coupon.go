package pay

import (
	"encoding/json"
	"time"
)

// StockType is what a merchant-coupon stock gives (https://pay.weixin.qq.com/doc/v3/merchant/4015715938).
type StockType string

// Stock types: a fixed amount off, a percentage off, or goods for a fixed price.
const (
	StockNormal   StockType = "NORMAL"
	StockDiscount StockType = "DISCOUNT"
	StockExchange StockType = "EXCHANGE"
)

// CodeMode says who makes a stock's coupon codes.
type CodeMode string

// Code modes: WeChat Pay makes the codes, or the merchant passes one with each send.
const (
	CodeModeWechatpay   CodeMode = "WECHATPAY_MODE"
	CodeModeMerchantAPI CodeMode = "MERCHANT_API"
)

// CouponState is a coupon's state as the query API shows it (https://pay.weixin.qq.com/doc/v3/merchant/4015715938).
type CouponState string

// Coupon states. EXPIRED is never stored: a SENDED coupon past its expire time reads as
// EXPIRED (see Coupon.StateAt), so that it follows the sandbox clock.
const (
	CouponSended      CouponState = "SENDED"
	CouponUsed        CouponState = "USED"
	CouponExpired     CouponState = "EXPIRED"
	CouponDeleted     CouponState = "DELETED"
	CouponDeactivated CouponState = "DEACTIVATED"
)

// Stock is a merchant-coupon stock (商家券批次).
type Stock struct {
	ID             string // stock_id
	Creator        string // the mchid that created it
	BelongMerchant string
	OutRequestNo   string // the creator's, unique per creator
	Name           string
	Comment        string
	GoodsName      string
	Type           StockType
	CodeMode       CodeMode

	// Exactly one of the three coupon kinds applies, by Type.
	DiscountAmount     int64 // NORMAL, fen
	DiscountPercent    int64 // DISCOUNT, 1–99
	ExchangePrice      int64 // EXCHANGE, fen
	TransactionMinimum int64

	BeginTime time.Time
	EndTime   time.Time
	// DaysAfterReceive, when above 0, ends each coupon that many days after it is received
	// (or EndTime, if sooner); WaitDays delays its start by that many days.
	DaysAfterReceive int64
	WaitDays         int64
	UseMethod        string

	MaxCoupons        int64
	MaxCouponsPerUser int64
	Transferable      bool
	Shareable         bool
	Sent              int64 // coupons sent so far

	// Display holds the fields no rule reads (custom_entrance, display_pattern_info,
	// notify_config, mini_programs_*, available_week, …) as the merchant sent them, by
	// wire name, to be shown back on queries.
	Display map[string]json.RawMessage

	CreateTime time.Time
}

// Coupon is one coupon sent to a user (商家券).
type Coupon struct {
	Code    string // coupon_code
	StockID string
	Openid  string
	Appid   string
	Sender  string // the mchid that sent it
	State   CouponState

	SendRequestNo      string
	ReceiveTime        time.Time
	AvailableStartTime time.Time
	ExpireTime         time.Time

	UseRequestNo  string
	UseTime       time.Time
	TransactionID string // the order it paid for, when the sandbox paid with it

	ReturnRequestNo string
	ReturnTime      time.Time

	DeactivateRequestNo string
	DeactivateTime      time.Time
	DeactivateReason    string
}

// StateAt is the coupon's state at business time now: a SENDED coupon whose validity
// has ended is EXPIRED.
func (c *Coupon) StateAt(now time.Time) CouponState {
	if c.State == CouponSended && !now.Before(c.ExpireTime) {
		return CouponExpired
	}
	return c.State
}

// validAt reports whether now is inside the coupon's validity.
func (c *Coupon) validAt(now time.Time) bool {
	return !now.Before(c.AvailableStartTime) && now.Before(c.ExpireTime)
}

// CouponRequest kinds: the request numbers each merchant may use once per kind.
const (
	RequestUse        = "USE"
	RequestReturn     = "RETURN"
	RequestDeactivate = "DEACTIVATE"
)

// CouponRequest records a use, return or deactivate request number, so that none is
// used twice (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html: "已使用过此单号退券").
type CouponRequest struct {
	Mchid      string
	Kind       string // RequestUse, RequestReturn, RequestDeactivate
	RequestNo  string
	StockID    string
	CouponCode string
	Time       time.Time
}

// CouponFilter selects a user's coupons for the list API. Empty fields match anything.
type CouponFilter struct {
	Openid         string
	Appid          string
	StockID        string
	BelongMerchant string
	Creator        string
	Sender         string
}
