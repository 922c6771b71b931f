package pay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// Limits from the refund docs (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 注意事项).
const (
	maxRefundsPerOrder = 50
	refundSpacing      = time.Minute
)

// RefundWindow is how long after its payment an order may be refunded
// ("交易时间超过一年的订单无法提交退款"): every refund was made within it of its
// order's payment, on the sandbox clock.
const RefundWindow = 365 * 24 * time.Hour

// Refunds is the refund service: applying for refunds, their settlement, abnormal
// refunds and advance returns.
type Refunds struct {
	core
	channel Channel

	// complaints is informed of each refund's success, in the refund's transaction.
	complaints *Complaints
}

// Apply accepts a refund, or returns the refund already accepted under the same
// out_refund_no when the request is a replay of it.
func (s *Refunds) Apply(ctx context.Context, q ApplyRequest) (*Refund, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	// The merchants come from the cache, before the transaction: who owns the order, the
	// appids a partner bound and the rate profile are configuration, which may be up to
	// MerchantTTL old; the money is decided by the order row the transaction locks.
	owner, err := s.owner(ctx, s.merchants, q.API, q.Caller, q.SubMchid)
	if err != nil {
		return nil, err
	}
	if q.API == APIEcommerce {
		if err := checkAppids(ctx, s.merchants, owner, q); err != nil {
			return nil, err
		}
	}
	caller, err := s.merchants.Merchant(ctx, q.Caller)
	if err != nil {
		return nil, err
	}
	spacing := s.Spacing || s.profile(caller) == RateWechat
	var out *Refund
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = s.apply(ctx, tx, owner, q, spacing)
		return err
	})
	if errors.Is(err, ErrDuplicate) {
		// out_refund_no is taken: by the refund this request replays, or by one that
		// raced it (on another order, past this order's lock). The transaction that found
		// out is over (PostgreSQL aborts one whose statement failed); read the answer.
		return s.replayTaken(ctx, owner, q)
	}
	return out, err
}

// replayTaken answers a request whose refund could not be inserted because its
// out_refund_no was taken, as replay answers any replay.
func (s *Refunds) replayTaken(ctx context.Context, owner *Merchant, q ApplyRequest) (*Refund, error) {
	var out *Refund
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := tx.Order(ctx, owner.Mchid, q.ref())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if t != nil && t.SpMchid != owner.SpMchid {
			t = nil
		}
		prior, err := tx.Refund(ctx, owner.Mchid, q.OutRefundNo)
		if err != nil {
			// Not found: the clash was on the random refund_id, which the client's retry
			// with the same out_refund_no gets past.
			return fmt.Errorf("find refund %s after a duplicate: %w", q.OutRefundNo, err)
		}
		out, err = replay(prior, t, q)
		return err
	})
	return out, err
}

func (s *Refunds) apply(ctx context.Context, tx Tx, owner *Merchant, q ApplyRequest, spacing bool) (*Refund, error) {
	t, err := tx.Order(ctx, owner.Mchid, q.ref())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if t != nil && t.SpMchid != owner.SpMchid {
		t = nil // an order of the sub-merchant's own, not made through this partner
	}
	// A replay is answered with its refund whatever the order's state is now, so a
	// request the order refuses first looks for one. One the order accepts finds its
	// replay by inserting: out_refund_no is unique, and most requests are no replay, so
	// they are spared the read (Apply answers the duplicate).
	refuse := func(why error) (*Refund, error) {
		prior, err := tx.Refund(ctx, owner.Mchid, q.OutRefundNo)
		if errors.Is(err, ErrNotFound) {
			return nil, why
		}
		if err != nil {
			return nil, fmt.Errorf("find refund %s: %w", q.OutRefundNo, err)
		}
		return replay(prior, t, q)
	}
	if t == nil {
		return refuse(Errorf(CodeResourceNotExists, msgOrderNotExist))
	}
	if !t.Paid() {
		// "请检查订单号是否正确且是否已支付，未支付的订单不能发起退款"
		// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 错误码 RESOURCE_NOT_EXISTS).
		return refuse(Errorf(CodeResourceNotExists, msgOrderNotPaid))
	}
	now := s.clock.Now()
	if err := check(t, q, now, spacing); err != nil {
		return refuse(err)
	}
	so, ok := t.knownSplit()
	if !ok {
		// An order whose totals predate this code: count its refunds once, then keep them.
		active, err := activeRefunds(ctx, tx, t.ID)
		if err != nil {
			return nil, err
		}
		so = splitOf(t, active)
	}
	r := newRefund(t, owner, q, now)
	r.Amount.PayerRefund, r.Promotions = split(t, so, q.Refund)
	r.Amount.DiscountRefund = q.Refund - r.Amount.PayerRefund
	r.Amount.SettlementRefund = q.Refund - noCashRefund(r.Promotions)
	route := s.channel.Route(t, r, now)
	r.Channel, r.UserReceivedAccount, r.SettleAt, r.Outcome = route.Channel, route.Account, route.SettleAt, route.Outcome
	if err := tx.InsertRefund(ctx, r); err != nil {
		return nil, fmt.Errorf("insert refund %s: %w", r.OutRefundNo, err)
	}
	t.countIn(r, so)
	t.LastRefundAt = now
	if err := tx.UpdateOrderTotals(ctx, t); err != nil {
		return nil, fmt.Errorf("update transaction %s: %w", t.ID, err)
	}
	return r, nil
}

// replay answers a request whose out_refund_no was used before: the same refund when the
// content matches ("同一退款单号多次请求只退一笔"), else the real service's
// INVALID_REQUEST messages (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 错误码).
func replay(prior *Refund, t *Order, q ApplyRequest) (*Refund, error) {
	sameOrder := t != nil && t.ID == prior.TransactionID
	if q.TransactionID != "" {
		sameOrder = sameOrder || q.TransactionID == prior.TransactionID
	} else {
		sameOrder = sameOrder || q.OutTradeNo == prior.OutTradeNo
	}
	if !sameOrder {
		return nil, Errorf(CodeInvalidRequest, msgReplayOtherOrder)
	}
	if q.Refund != prior.Amount.Refund || q.Total != prior.Amount.Total {
		return nil, Errorf(CodeInvalidRequest, msgReplayMismatch)
	}
	return prior, nil
}

// check applies the rules that need the order, in the order a merchant would fix them.
func check(t *Order, q ApplyRequest, now time.Time, spacing bool) error {
	switch {
	case q.Total != t.Total:
		return Errorf(CodeInvalidRequest, msgTotalMismatch)
	case now.Sub(t.SuccessTime) > RefundWindow:
		return &Error{Code: CodeInvalidRequest, Message: msgTooOld, Reason: ReasonTradeOverdue}
	case t.RefundCount >= maxRefundsPerOrder:
		return Errorf(CodeInvalidRequest, msgTooMany)
	case spacing && !t.LastRefundAt.IsZero() && now.Sub(t.LastRefundAt) < refundSpacing:
		return Errorf(CodeFrequencyLimited, msgSpacing)
	case t.Refundable() <= 0:
		return &Error{Code: CodeInvalidRequest, Message: msgFullyRefunded, Reason: ReasonFullyRefunded}
	case q.Refund > t.Refundable():
		return Errorf(CodeInvalidRequest, msgOverRefund)
	}
	return nil
}

func newRefund(t *Order, owner *Merchant, q ApplyRequest, now time.Time) *Refund {
	currency := q.Currency
	if currency == "" {
		currency = "CNY"
	}
	return &Refund{
		ID:            newRefundID(now),
		OutRefundNo:   q.OutRefundNo,
		Mchid:         owner.Mchid,
		SpMchid:       owner.SpMchid,
		TransactionID: t.ID,
		OutTradeNo:    t.OutTradeNo,
		API:           q.API,
		Reason:        q.Reason,
		NotifyURL:     q.NotifyURL,
		FundsAccount:  q.FundsAccount,
		RefundAccount: q.RefundAccount,
		SpAppid:       q.SpAppid,
		SubAppid:      q.SubAppid,
		Amount: Amount{
			Refund:          q.Refund,
			Total:           t.Total,
			PayerTotal:      t.PayerTotal,
			SettlementTotal: t.Total - noCashTotal(t.Promotions),
			Currency:        currency,
			From:            q.From,
		},
		GoodsDetail: q.GoodsDetail,
		Status:      StatusProcessing,
		CreateTime:  now,
		UpdateTime:  now,
	}
}

// noCashTotal is the part of an order paid by no-pre-funding (DISCOUNT, 免充值) promotions,
// which settlement_total leaves out ("应结订单金额=订单金额-免充值代金券金额").
func noCashTotal(ps []Promotion) int64 {
	var n int64
	for _, p := range ps {
		if p.Type == "DISCOUNT" {
			n += p.Amount
		}
	}
	return n
}

func noCashRefund(ps []PromotionRefund) int64 {
	var n int64
	for _, p := range ps {
		if p.Type == "DISCOUNT" {
			n += p.RefundAmount
		}
	}
	return n
}

func activeRefunds(ctx context.Context, tx Tx, transactionID string) ([]*Refund, error) {
	all, err := tx.RefundsOfOrder(ctx, transactionID)
	if err != nil {
		return nil, fmt.Errorf("list refunds of %s: %w", transactionID, err)
	}
	active := all[:0]
	for _, r := range all {
		if r.Status != StatusClosed {
			active = append(active, r)
		}
	}
	return active, nil
}

// owner resolves whose orders a caller may refund: its own, or, for a partner, those of the
// sub-merchant it names. The e-commerce API is for partners only.
func (s *Refunds) owner(ctx context.Context, tx merchantSource, api API, caller, subMchid string) (*Merchant, error) {
	if api == APIEcommerce {
		c, err := tx.Merchant(ctx, caller)
		if err == nil && c.Kind != KindPartner {
			return nil, Errorf(CodeNoAuth, "仅电商平台（服务商）可调用电商收付通退款接口")
		}
	}
	return ownerOf(ctx, tx, caller, subMchid)
}

// merchantSource finds merchants: a Tx, or the services' cache of them.
type merchantSource interface {
	Merchant(ctx context.Context, mchid string) (*Merchant, error)
}

// ownerOf resolves whose orders and refunds a caller may see: its own, or, for a
// partner, those of the sub-merchant it names.
func ownerOf(ctx context.Context, tx merchantSource, caller, subMchid string) (*Merchant, error) {
	c, err := tx.Merchant(ctx, caller)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeMchNotExists, "商户号不存在")
	}
	if err != nil {
		return nil, err
	}
	if c.Kind != KindPartner {
		if subMchid != "" && subMchid != c.Mchid {
			return nil, ParamError("sub_mchid", "普通商户不能传入子商户号", subMchid)
		}
		if c.Kind == KindSub {
			// A sub-merchant calling as itself sees only orders it made on its own;
			// those made through its partner are the partner's to refund.
			direct := *c
			direct.SpMchid = ""
			return &direct, nil
		}
		return c, nil
	}
	if subMchid == "" {
		return nil, ParamError("sub_mchid", "服务商模式下子商户号必填", nil)
	}
	sub, err := tx.Merchant(ctx, subMchid)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeMchNotExists, "子商户号不存在")
	}
	if err != nil {
		return nil, err
	}
	if sub.SpMchid != c.Mchid {
		return nil, Errorf(CodeNoAuth, "服务商与子商户号%s不存在受理关系", subMchid)
	}
	return sub, nil
}

// checkAppids requires sp_appid to be the platform's own appid and sub_appid, when sent,
// the sub-merchant's ("微信支付会配置绑定关系",
// https://pay.weixin.qq.com/wiki/doc/apiv3_partner/apis/chapter7_6_1.shtml, sp_appid).
func checkAppids(ctx context.Context, tx merchantSource, sub *Merchant, q ApplyRequest) error {
	sp, err := tx.Merchant(ctx, sub.SpMchid)
	if err != nil {
		return fmt.Errorf("find partner %s: %w", sub.SpMchid, err)
	}
	if q.SpAppid != sp.Appid {
		return Errorf(CodeInvalidRequest, "sp_appid与sp_mchid不匹配")
	}
	if q.SubAppid != "" && q.SubAppid != sub.Appid {
		return Errorf(CodeInvalidRequest, "sub_appid与sub_mchid不匹配")
	}
	return nil
}

// Query finds a refund by out_refund_no for caller (and, for a partner, subMchid).
// Another merchant's refund is as invisible as one that does not exist.
func (s *Refunds) Query(ctx context.Context, api API, caller, subMchid, outRefundNo string) (*Refund, error) {
	return s.find(ctx, api, caller, subMchid, func(tx Tx, owner *Merchant) (*Refund, error) {
		return tx.Refund(ctx, owner.Mchid, outRefundNo)
	})
}

// QueryByID finds a refund by refund_id, with the same visibility as Query.
func (s *Refunds) QueryByID(ctx context.Context, api API, caller, subMchid, refundID string) (*Refund, error) {
	return s.find(ctx, api, caller, subMchid, func(tx Tx, owner *Merchant) (*Refund, error) {
		r, err := tx.RefundByID(ctx, refundID)
		if err == nil && r.Mchid != owner.Mchid {
			return nil, ErrNotFound
		}
		return r, err
	})
}

// find reads the refund get finds among those caller may see.
func (s *Refunds) find(ctx context.Context, api API, caller, subMchid string, get func(Tx, *Merchant) (*Refund, error)) (*Refund, error) {
	owner, err := s.owner(ctx, s.merchants, api, caller, subMchid)
	if err != nil {
		return nil, err
	}
	var out *Refund
	err = s.store.View(ctx, func(tx Tx) error {
		r, err := get(tx, owner)
		if errors.Is(err, ErrNotFound) || (err == nil && r.SpMchid != owner.SpMchid) {
			return Errorf(CodeResourceNotExists, msgRefundNotExist)
		}
		out = r
		return err
	})
	return out, err
}

// OfOrder finds caller's order (a partner names its sub-merchant) and lists its
// refunds, oldest first: the v2 refund query by order number
// (https://pay.weixin.qq.com/doc/v2/merchant/4011939577).
func (s *Refunds) OfOrder(ctx context.Context, caller, subMchid string, ref TradeRef) (*Order, []*Refund, error) {
	var t *Order
	var rs []*Refund
	err := s.viewOrder(ctx, caller, subMchid, ref, func(tx Tx, o *Order) error {
		var err error
		t = o
		rs, err = tx.RefundsOfOrder(ctx, o.ID)
		return err
	})
	return t, rs, err
}

// Order is OfOrder without the refunds, for an answer about one refund that needs its
// order too: reading every refund of a much-refunded order would be most of its cost.
func (s *Refunds) Order(ctx context.Context, caller, subMchid string, ref TradeRef) (*Order, error) {
	var t *Order
	err := s.viewOrder(ctx, caller, subMchid, ref, func(_ Tx, o *Order) error {
		t = o
		return nil
	})
	return t, err
}

// viewOrder finds, in a read transaction, the order ref names among those caller may
// refund, and hands it to read.
func (s *Refunds) viewOrder(ctx context.Context, caller, subMchid string, ref TradeRef, read func(Tx, *Order) error) error {
	owner, err := s.owner(ctx, s.merchants, APIDomestic, caller, subMchid)
	if err != nil {
		return err
	}
	return s.store.View(ctx, func(tx Tx) error {
		t, err := tx.Order(ctx, owner.Mchid, ref)
		if errors.Is(err, ErrNotFound) || (err == nil && t.SpMchid != owner.SpMchid) {
			return Errorf(CodeResourceNotExists, msgOrderNotExist)
		}
		if err != nil {
			return err
		}
		return read(tx, t)
	})
}

// Settle moves a refund to status: the simulated channel's doing, or a tester's through
// the sandbox API. Settling to the status it has is a no-op; SUCCESS and CLOSED are
// final; a CLOSED refund gives its amount back to the order.
func (s *Refunds) Settle(ctx context.Context, refundID string, to Status) (*Refund, error) {
	if to != StatusSuccess && to != StatusAbnormal && to != StatusClosed {
		return nil, ParamError("status", "取值必须是 SUCCESS、ABNORMAL、CLOSED 之一", string(to))
	}
	var out *Refund
	err := s.store.Update(ctx, func(tx Tx) error {
		r, err := tx.RefundByID(ctx, refundID)
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeResourceNotExists, msgRefundNotExist)
		}
		if err != nil {
			return err
		}
		out = r
		if r.Status == to {
			return nil
		}
		if r.Status.Final() {
			return Errorf(CodeInvalidState, "退款单已是终态%s，不能再变为%s", r.Status, to)
		}
		return s.transition(ctx, tx, r, to)
	})
	return out, err
}

// transition is the one place a refund changes status; everything a status change owes
// (money back to the order, the success time) happens here, in the caller's transaction.
func (s *Refunds) transition(ctx context.Context, tx Tx, r *Refund, to Status) error {
	now := s.clock.Now()
	if to == StatusClosed || to == StatusSuccess {
		t, err := tx.OrderByID(ctx, r.TransactionID)
		if err != nil {
			return fmt.Errorf("find transaction %s: %w", r.TransactionID, err)
		}
		update := tx.UpdateOrder
		if to == StatusClosed {
			t.countOut(r)
			update = tx.UpdateOrderTotals
		} else {
			// A paid order with a successful refund is 转入退款 (REFUND) when queried
			// (https://pay.weixin.qq.com/doc/v3/merchant/4012791859, trade_state).
			t.TradeState, t.TradeStateDesc = TradeRefund, descRefund
		}
		if err := update(ctx, t); err != nil {
			return fmt.Errorf("update transaction %s: %w", t.ID, err)
		}
	}
	if to == StatusSuccess {
		r.SuccessTime = now
	}
	r.Status = to
	r.UpdateTime = now
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return fmt.Errorf("update refund %s: %w", r.ID, err)
	}
	if to == StatusSuccess {
		if err := s.complaints.refundSucceeded(ctx, tx, r); err != nil {
			return err
		}
	}
	return oweRefund(ctx, tx, r, now)
}

// SettleDue settles the refunds whose channel time has come and returns how many.
func (s *Refunds) SettleDue(ctx context.Context) (int, error) {
	var due []*Refund
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		due, err = tx.DueRefunds(ctx, s.clock.Now(), 100)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list due refunds: %w", err)
	}
	n := 0
	for _, r := range due {
		_, err := s.Settle(ctx, r.ID, r.Outcome)
		if ErrorCode(err) == CodeInvalidState {
			continue // settled meanwhile by a tester or another node
		}
		if err != nil {
			return n, fmt.Errorf("settle refund %s: %w", r.ID, err)
		}
		n++
	}
	return n, nil
}

// RunSettler settles due refunds every interval until ctx is done, reporting errors to
// onError (the caller logs them).
func (s *Refunds) RunSettler(ctx context.Context, interval time.Duration, onError func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := s.loadClock(ctx); err != nil {
			onError(err)
		}
		if _, err := s.SettleDue(ctx); err != nil && ctx.Err() == nil {
			onError(err)
		}
	}
}

// newRefundID makes a 29-digit refund_id shaped like the real ones
// ("50000000382019052709732678859",
// https://pay.weixin.qq.com/doc/v3/merchant/4012556457, refund_id): 5030, the date, 17 random digits.
func newRefundID(now time.Time) string {
	return "5030" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(17)
}
