package pay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
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

// DefaultExpiry is how long an order placed without time_expire stays payable: the
// prepay_id it is answered with "有效期为2小时" (https://pay.weixin.qq.com/doc/v3/merchant/4012791897,
// prepay_id), and an order nobody can pay any more is as good as closed.
const DefaultExpiry = 2 * time.Hour

// Trade-state descriptions, as the query answers word them.
const (
	descNotPay  = "订单未支付"
	descSuccess = "支付成功"
	descRefund  = "转入退款"
	descClosed  = "订单已关闭"
)

// Reasons the sandbox refuses to pay an order, and (ORDERPAID) the v2 err_code of closing
// or placing again a paid order (https://pay.weixin.qq.com/doc/v2/merchant/4011935216, 错误码).
const (
	ReasonOrderPaid    = "ORDERPAID"
	ReasonOrderClosed  = "ORDER_CLOSED"
	ReasonOrderExpired = "ORDER_EXPIRED"
)

// Paid reports whether the payer paid o: only then does o have a transaction_id on the
// wire, and only then can it be refunded.
func (o *Order) Paid() bool { return o.TradeState == TradeSuccess || o.TradeState == TradeRefund }

// expiredAt reports whether o can no longer be paid at now. time_expire "是指用户能够完成
// 该笔订单支付的最后时限，并非订单关闭的时间" (https://pay.weixin.qq.com/doc/v3/merchant/4012791897,
// time_expire): an expired order stays NOTPAY until the merchant closes it.
func (o *Order) expiredAt(now time.Time) bool {
	payable := o.TradeState == TradeNotPay || o.TradeState == TradePayError || o.TradeState == TradeUserPaying
	return payable && !o.TimeExpire.IsZero() && now.After(o.TimeExpire)
}

// Place places an order, or answers again the order the same out_trade_no placed with
// the same content. Another content under a used out_trade_no is OUT_TRADE_NO_USED,
// the same content of a closed order ORDER_CLOSED, of a paid one TRADE_ERROR
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791897, 错误码).
func (s *Orders) Place(ctx context.Context, q PlaceRequest) (*Order, error) {
	now := s.clock.Now()
	if err := q.Validate(now); err != nil {
		return nil, err
	}
	var out *Order
	err := s.store.Update(ctx, func(tx Tx) error {
		o, err := placedBy(ctx, tx, q)
		if err != nil {
			return err
		}
		o.PlaceDigest = q.digest()
		prior, err := tx.Order(ctx, o.Mchid, TradeRef{OutTradeNo: q.OutTradeNo})
		if err == nil {
			out, err = placeAgain(prior, o)
			return err
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		fill(o, q, now)
		if err := tx.InsertOrder(ctx, o); err != nil {
			return fmt.Errorf("insert order %s: %w", o.OutTradeNo, err)
		}
		out = o
		return nil
	})
	return out, err
}

// placeAgain answers a request whose out_trade_no placed prior.
func placeAgain(prior, o *Order) (*Order, error) {
	if prior.PlaceDigest != o.PlaceDigest || prior.SpMchid != o.SpMchid {
		return nil, Errorf(CodeOutTradeNoUsed, "商户订单号重复")
	}
	switch {
	case prior.Paid():
		return nil, &Error{Code: CodeTradeError, Message: "该订单已支付", Reason: ReasonOrderPaid}
	case prior.TradeState == TradeClosed:
		return nil, Errorf(CodeOrderClosed, "当前订单已关闭，请重新下单")
	}
	return prior, nil
}

// placedBy checks who may place q and returns the order's parties: a direct merchant
// places its own orders with one of its appids, a partner its sub-merchants' with its
// own appid as sp_appid and the sub-merchant's as sub_appid.
func placedBy(ctx context.Context, tx Tx, q PlaceRequest) (*Order, error) {
	c, err := tx.Merchant(ctx, q.Caller)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeMchNotExists, "商户号不存在")
	}
	if err != nil {
		return nil, err
	}
	if q.SpMchid == "" {
		switch {
		case c.Kind == KindPartner:
			return nil, Errorf(CodeNoAuth, "服务商请调用服务商下单接口，传入sp_mchid和sub_mchid")
		case q.Mchid != c.Mchid:
			return nil, Errorf(CodeInvalidRequest, "mchid与请求签名的商户号不一致")
		case c.Appid != "" && q.Appid != c.Appid:
			return nil, Errorf(CodeAppidMchidNotMatch, "appid和mch_id不匹配")
		}
		return &Order{Mchid: c.Mchid, Appid: q.Appid}, nil
	}
	switch {
	case c.Kind != KindPartner:
		return nil, Errorf(CodeNoAuth, "仅服务商可调用服务商下单接口")
	case q.SpMchid != c.Mchid:
		return nil, Errorf(CodeInvalidRequest, "sp_mchid与请求签名的商户号不一致")
	case c.Appid != "" && q.SpAppid != c.Appid:
		return nil, Errorf(CodeAppidMchidNotMatch, "sp_appid和sp_mchid不匹配")
	}
	sub, err := tx.Merchant(ctx, q.SubMchid)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeMchNotExists, "子商户号不存在")
	}
	if err != nil {
		return nil, err
	}
	if sub.SpMchid != c.Mchid {
		return nil, Errorf(CodeNoAuth, "服务商与子商户号%s不存在受理关系", q.SubMchid)
	}
	if q.SubAppid != "" && sub.Appid != "" && q.SubAppid != sub.Appid {
		return nil, Errorf(CodeAppidMchidNotMatch, "sub_appid和sub_mchid不匹配")
	}
	return &Order{Mchid: sub.Mchid, SpMchid: c.Mchid, Appid: q.SpAppid, SubAppid: q.SubAppid}, nil
}

// fill writes q and what placing it answers into o.
func fill(o *Order, q PlaceRequest, now time.Time) {
	o.ID = newTransactionID(now)
	o.OutTradeNo, o.Total, o.Currency, o.CreateTime = q.OutTradeNo, q.Total, "CNY", now
	o.TradeType, o.TradeState, o.TradeStateDesc = q.TradeType, TradeNotPay, descNotPay
	o.Description, o.Attach, o.NotifyURL, o.GoodsTag = q.Description, q.Attach, q.NotifyURL, q.GoodsTag
	o.TimeExpire = now.Add(DefaultExpiry)
	if q.TimeExpire != nil {
		o.TimeExpire = *q.TimeExpire
	}
	o.SupportFapiao, o.LimitPay, o.ProfitSharing = q.SupportFapiao, q.LimitPay, q.ProfitSharing
	o.PayerOpenid, o.SpOpenid, o.SubOpenid, o.PayerClientIP = q.PayerOpenid, q.SpOpenid, q.SubOpenid, q.PayerClientIP
	o.Protocol = q.Protocol
	o.PrepayID = newPrepayID(now)
	switch q.TradeType {
	case TradeNative:
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=" + wxcrypto.Nonce(7)
	case TradeH5:
		o.H5URL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + o.PrepayID + "&package=" + wxcrypto.Digits(10)
	}
}

// newPrepayID makes a prepay_id like the real "wx201410272009395522657a690389285100":
// "wx", the Beijing time of placing, 20 hex digits.
func newPrepayID(now time.Time) string {
	return "wx" + now.In(Beijing).Format("20060102150405") + wxcrypto.Hex(10)
}

// digest fingerprints what q asks for, whoever signed it.
func (q PlaceRequest) digest() string {
	q.Caller = ""
	if q.TimeExpire != nil {
		t := q.TimeExpire.UTC()
		q.TimeExpire = &t
	}
	b, _ := json.Marshal(q) // a struct of strings, numbers and bools always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// QueryByID finds caller's paid order by transaction_id; an unpaid order has none yet
// ("若订单未支付，则只能使用商户订单号查询订单",
// https://pay.weixin.qq.com/doc/v3/merchant/4012791859).
func (s *Orders) QueryByID(ctx context.Context, caller, subMchid, transactionID string) (*Order, error) {
	o, err := s.find(ctx, caller, subMchid, TradeRef{TransactionID: transactionID})
	if err == nil && !o.Paid() {
		return nil, errOrderNotExist()
	}
	return o, err
}

// QueryByOutTradeNo finds caller's order by out_trade_no.
func (s *Orders) QueryByOutTradeNo(ctx context.Context, caller, subMchid, outTradeNo string) (*Order, error) {
	return s.find(ctx, caller, subMchid, TradeRef{OutTradeNo: outTradeNo})
}

// find reads caller's order by ref. Another merchant's order is as absent as one that
// does not exist.
func (s *Orders) find(ctx context.Context, caller, subMchid string, ref TradeRef) (*Order, error) {
	var o *Order
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		o, err = ownOrder(ctx, tx, caller, subMchid, ref)
		return err
	})
	return o, err
}

// ownOrder finds the order ref names among those caller (for a partner, subMchid through
// caller) placed.
func ownOrder(ctx context.Context, tx Tx, caller, subMchid string, ref TradeRef) (*Order, error) {
	owner, err := ownerOf(ctx, tx, caller, subMchid)
	if err != nil {
		return nil, err
	}
	o, err := tx.Order(ctx, owner.Mchid, ref)
	if errors.Is(err, ErrNotFound) || err == nil && o.SpMchid != owner.SpMchid {
		return nil, errOrderNotExist()
	}
	return o, err
}

func errOrderNotExist() *Error { return Errorf(CodeOrderNotExist, msgOrderNotExist) }

// Close closes caller's unpaid order. Closing a closed order again succeeds,
// as the merchant only wants it unpayable; a paid order cannot be closed
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556398, 错误码: TRADE_ERROR).
func (s *Orders) Close(ctx context.Context, caller, subMchid, outTradeNo string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		o, err := ownOrder(ctx, tx, caller, subMchid, TradeRef{OutTradeNo: outTradeNo})
		if err != nil {
			return err
		}
		switch {
		case o.Paid():
			return &Error{Code: CodeTradeError, Message: "订单已支付，不能关闭", Reason: ReasonOrderPaid}
		case o.TradeState == TradeClosed:
			return nil
		}
		o.TradeState, o.TradeStateDesc = TradeClosed, descClosed
		return tx.UpdateOrder(ctx, o)
	})
}

// Pay pays a placed order as its payer would. A SUCCESS payment owes TRANSACTION.SUCCESS
// to the order's notify_url in the same transaction; PAYERROR and USERPAYING leave the
// order payable.
func (s *Orders) Pay(ctx context.Context, q PayRequest) (*Order, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	var out *Order
	err := s.store.Update(ctx, func(tx Tx) error {
		o, err := q.order(ctx, tx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := payable(o, now); err != nil {
			return err
		}
		if err := s.checkPayer(ctx, tx, o, q); err != nil {
			return err
		}
		if q.Outcome != "" && q.Outcome != TradeSuccess {
			o.TradeState, o.TradeStateDesc = q.Outcome, payFailures[q.Outcome]
			out = o
			return tx.UpdateOrder(ctx, o)
		}
		if err := s.settlePayment(ctx, tx, o, q, now); err != nil {
			return err
		}
		out = o
		return owePayment(ctx, tx, o, now)
	})
	return out, err
}

// payFailures words the outcomes that leave an order payable
// (https://pay.weixin.qq.com/doc/v3/merchant/4012791859, trade_state_desc).
var payFailures = map[TradeState]string{
	TradePayError:   "支付失败，请重新下单支付",
	TradeUserPaying: "用户支付中，需要输入密码",
}

// payable refuses an order the payer cannot pay. These are the sandbox's own refusals:
// INVALID_STATE, its answer to a move the state machine forbids, with a reason.
func payable(o *Order, now time.Time) error {
	switch {
	case o.Paid():
		return &Error{Code: CodeInvalidState, Message: "订单已支付，不能再次支付", Reason: ReasonOrderPaid}
	case o.TradeState == TradeClosed:
		return &Error{Code: CodeInvalidState, Message: "订单已关闭，不能支付", Reason: ReasonOrderClosed}
	case o.expiredAt(now):
		return &Error{Code: CodeInvalidState, Message: fmt.Sprintf("订单已于%s过期（time_expire），不能支付",
			o.TimeExpire.In(Beijing).Format(time.RFC3339)), Reason: ReasonOrderExpired}
	}
	return nil
}

// settlePayment records a successful payment on o: who paid, how, and with which coupons.
func (s *Orders) settlePayment(ctx context.Context, tx Tx, o *Order, q PayRequest, now time.Time) error {
	if err := validatePromotions(q.Promotions, o.Total); err != nil {
		return err
	}
	discount, _ := sumPromotions(q.Promotions)
	o.TradeState, o.TradeStateDesc, o.SuccessTime = TradeSuccess, descSuccess, now
	o.PayerTotal, o.Promotions = o.Total-discount, q.Promotions
	o.BankType = q.BankType
	if o.BankType == "" {
		o.BankType = "OTHERS"
	}
	if err := s.coupons.consume(ctx, tx, o); err != nil {
		return err
	}
	return tx.UpdateOrder(ctx, o)
}

// order finds the order q names.
func (q *PayRequest) order(ctx context.Context, tx Tx) (*Order, error) {
	var o *Order
	var err error
	switch {
	case q.PrepayID != "":
		o, err = tx.OrderByPrepayID(ctx, q.PrepayID)
	case q.CodeURL != "":
		o, err = tx.OrderByCodeURL(ctx, q.CodeURL)
	case q.H5URL != "":
		u, perr := url.Parse(q.H5URL)
		if perr != nil {
			return nil, ParamError("h5_url", "不是合法的URL", q.H5URL)
		}
		if o, err = tx.OrderByPrepayID(ctx, u.Query().Get("prepay_id")); err == nil && o.H5URL != q.H5URL {
			err = ErrNotFound
		}
	default:
		o, err = tx.Order(ctx, q.Mchid, TradeRef{OutTradeNo: q.OutTradeNo})
	}
	if errors.Is(err, ErrNotFound) {
		return nil, errOrderNotExist()
	}
	return o, err
}
