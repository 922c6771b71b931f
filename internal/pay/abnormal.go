package pay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sealer encrypts sensitive values at rest. Open reverses Seal.
type Sealer interface {
	Seal(plaintext string) (string, error)
	Open(sealed string) (string, error)
}

// Abnormal refund types (https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create-abnormal-refund.html, type).
const (
	AbnormalUserBankCard     = "USER_BANK_CARD"
	AbnormalMerchantBankCard = "MERCHANT_BANK_CARD"
)

// AbnormalRequest rescues an ABNORMAL refund
// (https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create-abnormal-refund.html). BankAccount and RealName arrive
// here decrypted; they must never reach a log or an error message.
type AbnormalRequest struct {
	// API is the endpoint family called: the e-commerce one is only for a platform acting
	// for its own sub-merchant, as its apply and queries are.
	API         API
	Caller      string
	SubMchid    string
	RefundID    string
	OutRefundNo string
	Type        string
	BankType    string
	BankAccount string
	RealName    string
}

// DebitBankTypes are the fifteen banks the abnormal refund accepts for USER_BANK_CARD, as
// bank_type codes (https://pay.weixin.qq.com/docs/merchant/apis/refund/refunds/create-abnormal-refund.html,
// bank_type).
var DebitBankTypes = []string{
	"CMB_DEBIT", "COMM_DEBIT", "ABC_DEBIT", "CCB_DEBIT", "ICBC_DEBIT", "BOC_DEBIT", "PAB_DEBIT", "SPDB_DEBIT",
	"CITIC_DEBIT", "CEB_DEBIT", "CMBC_DEBIT", "CIB_DEBIT", "GDB_DEBIT", "PSBC_DEBIT", "NBCB_DEBIT",
}

// Validate checks the request's own fields. Errors name fields, never their values.
func (q *AbnormalRequest) Validate() error {
	if err := firstError(
		maxBytes("sub_mchid", q.SubMchid, 32),
		required("out_refund_no", q.OutRefundNo, 64),
		required("type", q.Type, 32),
		oneOf("type", q.Type, AbnormalUserBankCard, AbnormalMerchantBankCard),
	); err != nil {
		return err
	}
	if q.Type != AbnormalUserBankCard {
		return nil
	}
	if q.BankType == "" {
		return ParamError("bank_type", "退款至用户银行卡时必填", nil)
	}
	if !isDebitBank(q.BankType) {
		return ParamError("bank_type", "仅支持以下银行的借记卡："+strings.Join(DebitBankTypes, "、"), q.BankType)
	}
	if q.BankAccount == "" {
		return ParamError("bank_account", "退款至用户银行卡时必填", nil)
	}
	if n := len(q.BankAccount); n < 10 || n > 30 || strings.Trim(q.BankAccount, "0123456789") != "" {
		return ParamError("bank_account", "解密后不是有效的银行卡号（10至30位数字）", nil)
	}
	if q.RealName == "" {
		return ParamError("real_name", "退款至用户银行卡时必填", nil)
	}
	if utf8.RuneCountInString(q.RealName) > 64 || !utf8.ValidString(q.RealName) {
		return ParamError("real_name", "解密后不是有效的姓名", nil)
	}
	return nil
}

func isDebitBank(bankType string) bool {
	for _, b := range DebitBankTypes {
		if b == bankType {
			return true
		}
	}
	return false
}

// ApplyAbnormal sends an ABNORMAL refund on to the user's bank card or the merchant's
// bank account: it goes back to PROCESSING on channel OTHER_BANKCARD and then settles.
// A repeat of an accepted rescue answers the refund as it now is.
func (s *Refunds) ApplyAbnormal(ctx context.Context, q AbnormalRequest) (*Refund, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if s.Sealer == nil {
		return nil, errors.New("abnormal refund: no sealer configured for bank accounts")
	}
	var out *Refund
	err := s.store.Update(ctx, func(tx Tx) error {
		owner, err := s.owner(ctx, tx, q.API, q.Caller, q.SubMchid)
		if err != nil {
			return err
		}
		r, err := tx.RefundByID(ctx, q.RefundID)
		if errors.Is(err, ErrNotFound) || (err == nil && (r.Mchid != owner.Mchid || r.SpMchid != owner.SpMchid)) {
			return Errorf(CodeResourceNotExists, msgRefundNotExist)
		}
		if err != nil {
			return err
		}
		if r.OutRefundNo != q.OutRefundNo {
			return Errorf(CodeInvalidRequest, "out_refund_no与refund_id不属于同一笔退款")
		}
		out = r
		if r.Status != StatusAbnormal {
			if r.AbnormalType == q.Type {
				return nil // a retry of the rescue that moved it on
			}
			return Errorf(CodeInvalidRequest, "退款单状态为%s，仅退款异常（ABNORMAL）的退款单可以发起异常退款", r.Status)
		}
		return s.rescue(ctx, tx, r, q)
	})
	return out, err
}

func (s *Refunds) rescue(ctx context.Context, tx Tx, r *Refund, q AbnormalRequest) error {
	t, err := tx.OrderByID(ctx, r.TransactionID)
	if err != nil {
		return fmt.Errorf("find transaction %s: %w", r.TransactionID, err)
	}
	now := s.clock.Now()
	route := s.channel.Route(t, r, now)
	r.Channel, r.SettleAt, r.Outcome = "OTHER_BANKCARD", route.SettleAt, StatusSuccess
	r.AbnormalType, r.BankType = q.Type, q.BankType
	if q.Type == AbnormalUserBankCard {
		r.UserReceivedAccount = BankCardName(q.BankType) + q.BankAccount[len(q.BankAccount)-4:]
		if r.SealedBankAccount, err = s.Sealer.Seal(q.BankAccount); err != nil {
			return fmt.Errorf("seal bank account: %w", err)
		}
		if r.SealedRealName, err = s.Sealer.Seal(q.RealName); err != nil {
			return fmt.Errorf("seal real name: %w", err)
		}
	} else {
		r.UserReceivedAccount = "商户结算银行账户"
	}
	r.Status, r.UpdateTime = StatusProcessing, now
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return fmt.Errorf("update refund %s: %w", r.ID, err)
	}
	return nil
}

// MaskAccount shows a bank account as its first four and last four digits.
func MaskAccount(account string) string {
	if len(account) <= 8 {
		return strings.Repeat("*", len(account))
	}
	return account[:4] + strings.Repeat("*", len(account)-8) + account[len(account)-4:]
}

// MaskName shows a name's first character only.
func MaskName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return ""
	}
	return string(r) + strings.Repeat("*", utf8.RuneCountInString(name)-1)
}

// MaskedBankCard opens a rescued refund's sealed account and name and returns them
// masked, the only form in which they are ever shown.
func (s *Refunds) MaskedBankCard(r *Refund) (account, name string, err error) {
	if r.SealedBankAccount == "" || s.Sealer == nil {
		return "", "", nil
	}
	if account, err = s.Sealer.Open(r.SealedBankAccount); err != nil {
		return "", "", fmt.Errorf("open bank account of refund %s: %w", r.ID, err)
	}
	if name, err = s.Sealer.Open(r.SealedRealName); err != nil {
		return "", "", fmt.Errorf("open real name of refund %s: %w", r.ID, err)
	}
	return MaskAccount(account), MaskName(name), nil
}
