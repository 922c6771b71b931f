package pay

import (
	"context"
	"time"
)

// TradeState is where a placed order is in its life
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791859, trade_state).
type TradeState string

// Trade states.
const (
	TradeNotPay     TradeState = "NOTPAY"
	TradeSuccess    TradeState = "SUCCESS"
	TradeRefund     TradeState = "REFUND" // a refund of the paid order succeeded
	TradeClosed     TradeState = "CLOSED"
	TradePayError   TradeState = "PAYERROR"
	TradeUserPaying TradeState = "USERPAYING"
	TradeRevoked    TradeState = "REVOKED"
)

// TradeType is how the payer pays an order.
type TradeType string

// Trade types.
const (
	TradeJSAPI  TradeType = "JSAPI"
	TradeApp    TradeType = "APP"
	TradeH5     TradeType = "MWEB"
	TradeNative TradeType = "NATIVE"
)

// PlaceRequest is a 下单 request, direct (Appid, Mchid) or a partner's (SpAppid,
// SpMchid, SubAppid, SubMchid).
type PlaceRequest struct {
	TradeType TradeType
	// Caller is the merchant that signed the request: the direct merchant, or the
	// partner's sp_mchid.
	Caller                                               string
	Appid, Mchid, SpAppid, SpMchid, SubAppid, SubMchid   string
	Description, OutTradeNo, Attach, NotifyURL, GoodsTag string
	TimeExpire                                           *time.Time
	Total                                                int64
	Currency                                             string // "" = CNY
	PayerOpenid, SpOpenid, SubOpenid                     string
	PayerClientIP                                        string
	LimitPay                                             []string
	SupportFapiao                                        bool
	ProfitSharing                                        bool
	H5Type                                               string // scene_info.h5_info.type, required for MWEB
	// Protocol is ProtocolV3 ("") or ProtocolV2, the API the order is placed through.
	Protocol string
}

// PaySign is what the payer's client hands the WeChat app to pay a JSAPI or APP order,
// signed by the merchant.
type PaySign struct {
	AppID, TimeStamp, NonceStr, Package, SignType, PaySign string
}

// PayRequest is the payer paying a placed order, named by exactly one of PrepayID,
// CodeURL, H5URL or (Mchid, OutTradeNo).
type PayRequest struct {
	PrepayID, CodeURL, H5URL string
	// Mchid is the order's merchant: the sub-merchant for a partner's order.
	Mchid, OutTradeNo string
	// Outcome is what the payment ends in: "" = SUCCESS; PAYERROR and USERPAYING leave
	// the order payable later.
	Outcome    TradeState
	Openid     string
	BankType   string // "" = OTHERS
	Promotions []Promotion
	PaySign    *PaySign
}

var errNotYet = Errorf(CodeSystemError, "not implemented yet")

// Place places an order.
func (s *Orders) Place(ctx context.Context, q PlaceRequest) (*Order, error) {
	return nil, errNotYet
}

// QueryByID finds caller's order by transaction_id.
func (s *Orders) QueryByID(ctx context.Context, caller, subMchid, transactionID string) (*Order, error) {
	return nil, errNotYet
}

// QueryByOutTradeNo finds caller's order by out_trade_no.
func (s *Orders) QueryByOutTradeNo(ctx context.Context, caller, subMchid, outTradeNo string) (*Order, error) {
	return nil, errNotYet
}

// Close closes an unpaid order.
func (s *Orders) Close(ctx context.Context, caller, subMchid, outTradeNo string) error {
	return errNotYet
}

// Pay pays a placed order as the payer would.
func (s *Orders) Pay(ctx context.Context, q PayRequest) (*Order, error) {
	return nil, errNotYet
}
