package pay

import (
	"strings"
	"time"
)

// Channel moves a refund's money back to the payer. Route is called once, when a refund is
// accepted, and decides where the money goes and how and when the refund settles.
// Simulated is what sandbox users get; a platform plugs its own channel in here.
type Channel interface {
	Route(t *Order, r *Refund, now time.Time) Route
}

// Route is a channel's plan for one refund.
type Route struct {
	Channel  string    // ORIGINAL | BALANCE | OTHER_BALANCE | OTHER_BANKCARD
	Account  string    // user_received_account
	SettleAt time.Time // zero: settles only when told
	Outcome  Status
}

// Simulated settles every refund to its transaction's chosen outcome (SUCCESS unless the
// sandbox transaction said otherwise) Delay after acceptance; Delay 0 leaves refunds
// PROCESSING until settled through the sandbox API.
type Simulated struct {
	Delay time.Duration
}

// Route implements Channel.
func (s Simulated) Route(t *Order, r *Refund, now time.Time) Route {
	rt := Route{Channel: "ORIGINAL", Account: receivedAccount(t), Outcome: t.RefundOutcome}
	if rt.Outcome == "" {
		rt.Outcome = StatusSuccess
	}
	if s.Delay > 0 {
		rt.SettleAt = now.Add(s.Delay)
	}
	if magic, ok := MagicOutcome(r.OutRefundNo, t.OutTradeNo); ok {
		// A magic number asks for its outcome without a sandbox call, so it settles by
		// itself even when settlement otherwise waits to be told.
		rt.Outcome, rt.SettleAt = magic, now.Add(s.Delay)
	}
	return rt
}

// Magic prefixes of out_refund_no or out_trade_no that choose a refund's outcome, the way
// WeChat's old sandbox and Stripe's test cards work. They live under SANDBOX_, which
// ordinary traffic never uses.
const (
	MagicAbnormal = "SANDBOX_ABNORMAL_"
	MagicClosed   = "SANDBOX_CLOSED_"
)

// MagicOutcome reports the outcome a magic number asks for.
func MagicOutcome(outRefundNo, outTradeNo string) (Status, bool) {
	for _, no := range []string{outRefundNo, outTradeNo} {
		switch {
		case strings.HasPrefix(no, MagicAbnormal):
			return StatusAbnormal, true
		case strings.HasPrefix(no, MagicClosed):
			return StatusClosed, true
		}
	}
	return "", false
}

// receivedAccount words user_received_account as the real service does (https://pay.weixin.qq.com/docs/partner/apis/refund/refunds/create-abnormal-refund.html):
// "支付用户零钱" for a balance payment, "{银行名称}{卡类型}{卡尾号}" for a card.
func receivedAccount(t *Order) string {
	if t.BankType == "" {
		return "支付用户零钱"
	}
	return BankCardName(t.BankType) + cardTail(t.ID)
}

// cardTail makes up a stable last-four for the payer's card out of the transaction id.
func cardTail(id string) string {
	if len(id) < 4 {
		return "0000"
	}
	return id[len(id)-4:]
}

// banks maps the bank part of a WeChat bank_type ("CMB" of "CMB_DEBIT") to its name: the
// fifteen banks the abnormal refund accepts (https://pay.weixin.qq.com/docs/partner/apis/refund/refunds/create-abnormal-refund.html, bank_type).
var banks = map[string]string{
	"CMB":   "招商银行",
	"COMM":  "交通银行",
	"ABC":   "农业银行",
	"CCB":   "建设银行",
	"ICBC":  "工商银行",
	"BOC":   "中国银行",
	"PAB":   "平安银行",
	"SPDB":  "浦发银行",
	"CITIC": "中信银行",
	"CEB":   "光大银行",
	"CMBC":  "民生银行",
	"CIB":   "兴业银行",
	"GDB":   "广发银行",
	"PSBC":  "邮储银行",
	"NBCB":  "宁波银行",
}

// BankCardName returns "{银行名称}{卡类型}" for a bank_type such as CMB_CREDIT, or "" if
// the bank or card type is unknown.
func BankCardName(bankType string) string {
	bank, card, ok := strings.Cut(bankType, "_")
	name, known := banks[bank]
	if !ok || !known {
		return ""
	}
	switch card {
	case "DEBIT":
		return name + "借记卡"
	case "CREDIT":
		return name + "信用卡"
	}
	return ""
}
