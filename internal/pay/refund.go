package pay

import (
	"slices"
	"time"
)

// Status is a refund's state (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 退款状态): PROCESSING → SUCCESS | CLOSED | ABNORMAL.
type Status string

// Refund statuses.
const (
	StatusProcessing Status = "PROCESSING"
	StatusSuccess    Status = "SUCCESS"
	StatusClosed     Status = "CLOSED"
	StatusAbnormal   Status = "ABNORMAL"
)

// Final reports whether no further move is possible. ABNORMAL is not final: the refund can
// still be rescued or handled off-line (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 退款状态).
func (s Status) Final() bool { return s == StatusSuccess || s == StatusClosed }

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusProcessing, StatusSuccess, StatusClosed, StatusAbnormal:
		return true
	}
	return false
}

// API names the endpoint family a refund was created through; it changes only the shape
// of the answer, never the rules.
type API string

// Refund APIs.
const (
	APIDomestic  API = "domestic"  // POST /v3/refund/domestic/refunds
	APIEcommerce API = "ecommerce" // POST /v3/ecommerce/refunds/apply (https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml)
	APIV2        API = "v2"        // POST /secapi/pay/refund, the v2 XML API
)

// Refund is one refund of a paid transaction.
type Refund struct {
	ID            string // refund_id
	OutRefundNo   string
	Mchid         string // the order's merchant: a direct merchant or a sub-merchant
	SpMchid       string // the partner acting for Mchid, "" for a direct merchant
	TransactionID string
	OutTradeNo    string
	API           API
	Reason        string
	NotifyURL     string
	FundsAccount  string // as asked, "" when the request named none
	RefundAccount string // e-commerce only: REFUND_SOURCE_SUB_MERCHANT | REFUND_SOURCE_PARTNER_ADVANCE
	SpAppid       string
	SubAppid      string

	Amount      Amount
	Promotions  []PromotionRefund
	GoodsDetail []GoodsDetail

	Status              Status
	Channel             string // ORIGINAL | BALANCE | OTHER_BALANCE | OTHER_BANKCARD
	UserReceivedAccount string
	CreateTime          time.Time
	SuccessTime         time.Time // zero unless SUCCESS
	UpdateTime          time.Time

	// SettleAt is when the channel settles the refund (business time); zero means only
	// when told through the sandbox API.
	SettleAt time.Time
	// Outcome is the status the channel will settle to.
	Outcome Status

	// Abnormal rescue (https://pay.weixin.qq.com/docs/partner/apis/refund/refunds/create-abnormal-refund.html): how an ABNORMAL refund was sent on, and where to. The
	// bank account and real name are sealed by Service.Sealer, never stored in clear.
	AbnormalType      string // USER_BANK_CARD | MERCHANT_BANK_CARD
	BankType          string
	SealedBankAccount string
	SealedRealName    string
}

// Amount is a refund's money, in fen.
type Amount struct {
	Refund           int64
	Total            int64
	PayerTotal       int64
	PayerRefund      int64
	SettlementTotal  int64
	SettlementRefund int64
	DiscountRefund   int64
	Currency         string
	From             []FundsFrom // as asked; nil when the request named none
}

// FundsFrom is one source account of a refund's money.
type FundsFrom struct {
	Account string // AVAILABLE | UNAVAILABLE
	Amount  int64
}

// GoodsDetail is one refunded line item, echoed as sent.
type GoodsDetail struct {
	MerchantGoodsID  string
	WechatpayGoodsID string
	GoodsName        string
	UnitPrice        int64
	RefundAmount     int64
	RefundQuantity   int64
}

// Clone returns a copy of r that shares nothing with it: a store that keeps refunds in
// memory hands each reader its own.
func (r *Refund) Clone() *Refund {
	c := *r
	c.Amount.From = slices.Clone(r.Amount.From)
	c.Promotions = slices.Clone(r.Promotions)
	c.GoodsDetail = slices.Clone(r.GoodsDetail)
	return &c
}

// PromotionRefund is the share of one promotion of the original payment that a refund
// gives back.
type PromotionRefund struct {
	Promotion
	RefundAmount int64
}

// Promotion is a coupon or discount used on the original payment.
type Promotion struct {
	PromotionID string
	Scope       string // GLOBAL | SINGLE
	Type        string // COUPON (merchant pre-funded) | DISCOUNT (no pre-funding)
	Amount      int64
	// CouponCode and StockID name the merchant coupon (商家券) a sandbox order was paid
	// with, so that it can be returned after a refund (https://pay.weixin.qq.com/docs/merchant/apis/merchant-exclusive-coupon/coupon/return-coupon.html).
	CouponCode string
	StockID    string
}

// Order is a paid order that can be refunded.
type Order struct {
	ID          string // transaction_id
	OutTradeNo  string
	Mchid       string
	SpMchid     string
	Appid       string
	SubAppid    string
	Total       int64
	PayerTotal  int64
	Currency    string
	Promotions  []Promotion
	BankType    string    // how the payer paid, e.g. CMB_CREDIT; "" = WeChat balance (零钱)
	SuccessTime time.Time // zero until paid
	CreateTime  time.Time

	// The placed order: what the merchant's 下单 request said and what it was answered.
	TradeType      TradeType
	TradeState     TradeState
	TradeStateDesc string
	Description    string
	Attach         string
	NotifyURL      string
	GoodsTag       string
	TimeExpire     time.Time // when the order stops being payable; see DefaultExpiry
	SupportFapiao  bool
	LimitPay       []string
	ProfitSharing  bool
	PayerOpenid    string // the direct merchant's payer
	SpOpenid       string // a partner order's payer, under sp_appid
	SubOpenid      string // a partner order's payer, under sub_appid
	PayerClientIP  string
	PrepayID       string
	CodeURL        string // NATIVE only
	H5URL          string // MWEB only
	// PlaceDigest fingerprints the placing request: the same out_trade_no placed again
	// with the same content is answered with this order, with other content refused.
	PlaceDigest string
	// Protocol is ProtocolV3 ("") or ProtocolV2: the API the order was placed through,
	// which decides the payment notification's protocol.
	Protocol string

	// RefundOutcome is what every refund of this transaction settles to, "" = SUCCESS.
	RefundOutcome Status

	// Refunded is the sum of the refunds that are not CLOSED: the quantity the first
	// rule of money bounds by Total.
	Refunded int64
	// RefundCount counts every refund ever accepted, CLOSED ones included.
	RefundCount  int
	LastRefundAt time.Time
	// Split is what the active refunds returned so far to the payer and to each
	// promotion, kept with Refunded so that a new refund splits without reading the
	// others; nil on an order stored before it was kept (see knownSplit).
	Split *RefundSplit
}

// Refundable is what may still be refunded.
func (t *Order) Refundable() int64 { return t.Total - t.Refunded }

// Kind is what a merchant is to WeChat Pay.
type Kind string

// Merchant kinds.
const (
	KindDirect  Kind = "direct"  // 普通商户
	KindPartner Kind = "partner" // 服务商 / 电商平台
	KindSub     Kind = "sub"     // 特约商户 / 二级商户, acted for by its partner
)

// Merchant is an account that calls the API, or is called for.
type Merchant struct {
	Mchid      string
	Kind       Kind
	SpMchid    string // for KindSub: its partner
	Appid      string
	CertSerial string // upper-case hex, as the SDKs compute it
	CertPEM    string // the merchant API certificate; the private key stays with the merchant
	APIv3Key   string
	APIv2Key   string
	// PrivateKeyFile is where tuikuan wrote the key it generated, relative to the data
	// dir; "" for a merchant added from its certificate only.
	PrivateKeyFile string
	CertFile       string
	CreateTime     time.Time
	// FormerCertSerial is the serial of the certificate CertPEM replaced when it was
	// re-issued over the same key, still accepted in Authorization so that a client
	// configured with it keeps working; "" when there was none.
	FormerCertSerial string

	// Settings a tester changes through the sandbox API.
	NotifyURL string // where refund results go when a refund names no notify_url
	// PlatformKeyMode is the platform key the merchant verifies WeChat Pay with, and so
	// the key that signs its notifications and the answers to requests that name none.
	PlatformKeyMode string // PlatformKeyPublicKey ("") or PlatformKeyCertificate
	RateProfile     string // "" follows the server default; else a rate-limit profile name
}

// Platform key modes: which platform key signs, named in Wechatpay-Serial.
const (
	PlatformKeyPublicKey   = ""
	PlatformKeyCertificate = "certificate"
)
