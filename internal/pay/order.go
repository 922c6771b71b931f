package pay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// OrderRequest asks the sandbox for a paid order to refund.
type OrderRequest struct {
	Mchid         string
	SpMchid       string
	Appid         string
	OutTradeNo    string
	Total         int64
	PayerTotal    *int64
	Promotions    []Promotion
	BankType      string
	RefundOutcome Status
}

// Orders is the service of orders: placed by merchants, paid by the sandbox's payer,
// queried and closed; or made paid in one step by the sandbox.
type Orders struct {
	core

	// coupons is where an order's coupons are used, in the order's transaction.
	coupons *Coupons
}

// Create records a paid order, placed and paid in one step: a NATIVE order in state
// SUCCESS, with no prepay_id or code_url and no payment notification. For a sub-merchant the order is made through
// its partner, with the partner's appid and the sub-merchant's as sub_appid.
func (s *Orders) Create(ctx context.Context, q OrderRequest) (*Order, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	discount, _ := sumPromotions(q.Promotions) // validate refused a sum that overflows
	now := s.clock.Now()
	t := &Order{
		ID:            newTransactionID(now),
		OutTradeNo:    q.OutTradeNo,
		Mchid:         q.Mchid,
		Total:         q.Total,
		PayerTotal:    q.Total - discount,
		Currency:      "CNY",
		Promotions:    q.Promotions,
		BankType:      q.BankType,
		RefundOutcome: q.RefundOutcome,
		SuccessTime:   now,
		CreateTime:    now,
		// A one-step order is as if the payer scanned a NATIVE code and paid at once.
		TradeType:      TradeNative,
		TradeState:     TradeSuccess,
		TradeStateDesc: descSuccess,
	}
	if t.OutTradeNo == "" {
		t.OutTradeNo = "T" + now.In(Beijing).Format("20060102150405") + wxcrypto.Digits(8)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := bindMerchant(ctx, tx, t, q); err != nil {
			return err
		}
		if err := s.coupons.consume(ctx, tx, t); err != nil {
			return err
		}
		err := tx.InsertOrder(ctx, t)
		if errors.Is(err, ErrDuplicate) {
			return ParamError("out_trade_no", "商户订单号已存在", t.OutTradeNo)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func bindMerchant(ctx context.Context, tx Tx, t *Order, q OrderRequest) error {
	m, err := tx.Merchant(ctx, q.Mchid)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeMchNotExists, "商户号%s不存在", q.Mchid)
	}
	if err != nil {
		return err
	}
	switch m.Kind {
	case KindPartner:
		return ParamError("mchid", "服务商的订单属于其子商户：请传入子商户号", q.Mchid)
	case KindDirect:
		if q.SpMchid != "" {
			return ParamError("sp_mchid", "普通商户的订单没有服务商", q.SpMchid)
		}
		t.Appid = m.Appid
	case KindSub:
		if q.SpMchid != "" && q.SpMchid != m.SpMchid {
			return ParamError("sp_mchid", fmt.Sprintf("子商户%s的服务商是%s", m.Mchid, m.SpMchid), q.SpMchid)
		}
		sp, err := tx.Merchant(ctx, m.SpMchid)
		if err != nil {
			return fmt.Errorf("find partner %s: %w", m.SpMchid, err)
		}
		t.SpMchid, t.Appid, t.SubAppid = sp.Mchid, sp.Appid, m.Appid
	}
	if q.Appid != "" {
		t.Appid = q.Appid
	}
	return nil
}

func (q *OrderRequest) validate() error {
	if err := firstError(
		required("mchid", q.Mchid, 32),
		maxBytes("appid", q.Appid, 32),
		tradeNo(q.OutTradeNo),
	); err != nil {
		return err
	}
	if q.Total < 1 {
		return ParamError("total", "订单金额必须大于等于1分", q.Total)
	}
	if err := validatePromotions(q.Promotions, q.Total); err != nil {
		return err
	}
	discount, _ := sumPromotions(q.Promotions)
	if q.PayerTotal != nil && *q.PayerTotal != q.Total-discount {
		return ParamError("payer_total", fmt.Sprintf("用户支付金额必须等于订单金额减去优惠金额（%d）", q.Total-discount), *q.PayerTotal)
	}
	if q.BankType != "" && BankCardName(q.BankType) == "" {
		return ParamError("bank_type", "不支持的银行类型，例如 CMB_CREDIT、ICBC_DEBIT", q.BankType)
	}
	if q.RefundOutcome != "" && q.RefundOutcome != StatusSuccess && q.RefundOutcome != StatusAbnormal && q.RefundOutcome != StatusClosed {
		return ParamError("refund_outcome", "取值必须是 SUCCESS、ABNORMAL、CLOSED 之一", string(q.RefundOutcome))
	}
	return nil
}

// validatePromotions checks the promotions an order is paid with: each well formed, and
// together less than total.
func validatePromotions(ps []Promotion, total int64) error {
	for i, p := range ps {
		field := fmt.Sprintf("promotions[%d]", i)
		if err := firstError(
			required(field+".promotion_id", p.PromotionID, 32),
			required(field+".scope", p.Scope, 32),
			oneOf(field+".scope", p.Scope, "GLOBAL", "SINGLE"),
			required(field+".type", p.Type, 32),
			oneOf(field+".type", p.Type, "COUPON", "DISCOUNT"),
		); err != nil {
			return err
		}
		if p.Amount < 1 {
			return ParamError(field+".amount", "优惠金额必须大于等于1分", p.Amount)
		}
	}
	discount, ok := sumPromotions(ps)
	if !ok {
		return ParamError("promotions", "优惠金额之和必须小于订单金额", nil)
	}
	if discount >= total {
		return ParamError("promotions", "优惠金额之和必须小于订单金额", discount)
	}
	return nil
}

// tradeNo: out_trade_no is 6 to 32 of "数字、大小写字母_-|*" (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, out_trade_no).
func tradeNo(v string) error {
	if v == "" {
		return nil
	}
	if len(v) < 6 {
		return ParamError("out_trade_no", fmt.Sprintf("字节数 %d，小于最小值 6", len(v)), v)
	}
	return firstError(
		maxBytes("out_trade_no", v, 32),
		charset("out_trade_no", v, "0-9a-zA-Z_-|*", isOrderNoChar),
	)
}

// sumPromotions adds the promotions' amounts, each at least 1 fen once validated; ok is
// false if the sum overflows.
func sumPromotions(ps []Promotion) (sum int64, ok bool) {
	amounts := make([]int64, len(ps))
	for i, p := range ps {
		amounts[i] = p.Amount
	}
	return sumAmounts(amounts...)
}

// newTransactionID makes a 28-digit transaction_id like "4200001234202611230000000001".
func newTransactionID(now time.Time) string {
	return "4200" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(16)
}

// Query returns a transaction by id with its refunds, for the sandbox API.
func (s *Orders) Query(ctx context.Context, id string) (*Order, []*Refund, error) {
	var t *Order
	var rs []*Refund
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.OrderByID(ctx, id); errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgOrderNotExist)
		} else if err != nil {
			return err
		}
		rs, err = tx.RefundsOfOrder(ctx, id)
		return err
	})
	return t, rs, err
}
