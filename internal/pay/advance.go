package pay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tuikuan/tuikuan/internal/wxcrypto"
)

// RefundAccountPartnerAdvance is the refund_account of a refund the e-commerce platform
// advanced (垫付) for its sub-merchant, who then owes it back.
const RefundAccountPartnerAdvance = "REFUND_SOURCE_PARTNER_ADVANCE"

// AdvanceResult is the result of an advance return (垫付回补结果).
type AdvanceResult string

// Advance return results, as
// https://pay.weixin.qq.com/docs/partner/apis/ecommerce-refund/refunds/create-return-advance.html
// lists them.
const (
	AdvanceSuccess    AdvanceResult = "SUCCESS"
	AdvanceFailed     AdvanceResult = "FAILED"
	AdvanceProcessing AdvanceResult = "PROCESSING"
)

// Account kinds an advance return moves money between: payer_account and payee_account.
const (
	AccountBasic     = "BASIC"
	AccountOperation = "OPERATION"
)

// AdvanceReturn moves the money the platform advanced for a refund back from the
// sub-merchant (payer) to the platform (payee). A refund has at most one.
type AdvanceReturn struct {
	ID           string // advance_return_id
	RefundID     string
	PayerMchid   string // the sub-merchant
	PayerAccount string
	PayeeMchid   string // the platform
	PayeeAccount string
	Amount       int64 // return_amount, in fen
	Result       AdvanceResult
	CreateTime   time.Time
	SuccessTime  time.Time // zero unless SUCCESS
}

// AdvanceTx is the part of Tx that keeps advance returns. Its methods follow Tx's
// conventions: ErrNotFound, ErrDuplicate, ctx first.
type AdvanceTx interface {
	// InsertAdvanceReturn adds a; ErrDuplicate when its id is taken or its refund already
	// has a return, so that no advance is ever paid back twice.
	InsertAdvanceReturn(ctx context.Context, a *AdvanceReturn) error
	// AdvanceReturnOfRefund finds the return of a refund.
	AdvanceReturnOfRefund(ctx context.Context, refundID string) (*AdvanceReturn, error)
}

// AdvanceRequest names an advance refund: the platform (Caller) asks for its
// sub-merchant's.
type AdvanceRequest struct {
	Caller   string
	SubMchid string
	RefundID string
}

// ReturnAdvance pays the platform back what it advanced for an advance refund that
// succeeded. A repeat answers the return already made.
//
// The return succeeds at once: the real service answers PROCESSING only while the
// sub-merchant's balance falls short, and the sandbox keeps no balances, so a return
// that waits could never be told apart from one that succeeds later.
func (s *Refunds) ReturnAdvance(ctx context.Context, q AdvanceRequest) (*AdvanceReturn, error) {
	var out *AdvanceReturn
	err := s.store.Update(ctx, func(tx Tx) error {
		r, ar, err := s.advanceReturn(ctx, tx, q)
		if err != nil || ar != nil {
			out = ar // a repeat answers the return already made
			return err
		}
		if r.Status != StatusSuccess {
			return Errorf(CodeInvalidRequest, "退款单状态为%s，垫付退款成功后才能回补", r.Status)
		}
		now := s.clock.Now()
		out = &AdvanceReturn{
			ID: newAdvanceReturnID(now), RefundID: r.ID,
			PayerMchid: r.Mchid, PayerAccount: AccountBasic, PayeeMchid: r.SpMchid, PayeeAccount: AccountBasic,
			Amount: r.Amount.Refund, Result: AdvanceSuccess, CreateTime: now, SuccessTime: now,
		}
		if err := tx.InsertAdvanceReturn(ctx, out); err != nil {
			return fmt.Errorf("insert advance return of refund %s: %w", r.ID, err)
		}
		return nil
	})
	return out, err
}

// QueryAdvanceReturn finds the return of an advance refund; RESOURCE_NOT_EXISTS until
// ReturnAdvance made one.
func (s *Refunds) QueryAdvanceReturn(ctx context.Context, q AdvanceRequest) (*AdvanceReturn, error) {
	var out *AdvanceReturn
	err := s.store.View(ctx, func(tx Tx) error {
		_, ar, err := s.advanceReturn(ctx, tx, q)
		if err == nil && ar == nil {
			return Errorf(CodeResourceNotExists, "垫付回补单不存在")
		}
		out = ar
		return err
	})
	return out, err
}

// advanceReturn finds the advance refund q names and its return, nil while there is none.
func (s *Refunds) advanceReturn(ctx context.Context, tx Tx, q AdvanceRequest) (*Refund, *AdvanceReturn, error) {
	r, err := s.advanceRefund(ctx, tx, q)
	if err != nil {
		return nil, nil, err
	}
	ar, err := tx.AdvanceReturnOfRefund(ctx, r.ID)
	if errors.Is(err, ErrNotFound) {
		return r, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find advance return of refund %s: %w", r.ID, err)
	}
	return r, ar, nil
}

// advanceRefund finds the caller's sub-merchant's refund, which must be an advance one.
func (s *Refunds) advanceRefund(ctx context.Context, tx Tx, q AdvanceRequest) (*Refund, error) {
	owner, err := s.owner(ctx, tx, APIEcommerce, q.Caller, q.SubMchid)
	if err != nil {
		return nil, err
	}
	r, err := tx.RefundByID(ctx, q.RefundID)
	if errors.Is(err, ErrNotFound) || (err == nil && (r.Mchid != owner.Mchid || r.SpMchid != owner.SpMchid)) {
		return nil, Errorf(CodeResourceNotExists, msgRefundNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("find refund %s: %w", q.RefundID, err)
	}
	if r.RefundAccount != RefundAccountPartnerAdvance {
		return nil, Errorf(CodeInvalidRequest, "退款单不是垫付退款，无需回补")
	}
	return r, nil
}

// newAdvanceReturnID makes a 28-digit advance_return_id shaped like the documented
// example ("1215562501201407033233368018"): 12155625, the date, 12 random digits.
func newAdvanceReturnID(now time.Time) string {
	return "12155625" + now.In(Beijing).Format("20060102") + wxcrypto.Digits(12)
}
