package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tuikuan/tuikuan/internal/pay"
)

var funcs = template.FuncMap{
	"yuan":        yuan,
	"when":        when,
	"statusClass": statusClass,
	"json":        prettyJSON,
	"short":       short,
	"kind":        kind,
	"rule":        describeRule,
	"resend":      resendOf,
}

// kind names what a merchant is to WeChat Pay, in the merchant platform's words.
func kind(m *pay.Merchant) string {
	switch m.Kind {
	case pay.KindDirect:
		return "直连商户 direct"
	case pay.KindPartner:
		return "服务商 partner"
	case pay.KindSub:
		return "特约商户 sub-merchant of " + m.SpMchid
	}
	return string(m.Kind)
}

// yuan shows an amount in fen as yuan: 1234 → "12.34".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// when shows a time in Beijing time, as WeChat Pay's merchant platform does.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(pay.Beijing).Format(time.DateTime)
}

// statusClass is the CSS class of a status badge: green for done, red for failed,
// amber for waiting.
func statusClass(status string) string {
	switch strings.ToUpper(status) {
	case "SUCCESS", "PAID", "DELIVERED", "COMPLETE", "USED", "SENT", "OK":
		return "badge ok"
	case "CLOSED", "ABNORMAL", "FAILED", "REVOKED", "PAYERROR", "EXPIRED", "ERROR":
		return "badge bad"
	case "PROCESSING", "PENDING", "NOTPAY", "USERPAYING", "REFUND", "RETRYING", "PAYER_COMPLAINING", "MERCHANT_PROCESSING":
		return "badge wait"
	}
	return "badge"
}

// prettyJSON indents a JSON text for display; anything else is shown as it is.
func prettyJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s
	}
	return string(b)
}

// short cuts s to n characters, marking the cut.
func short(n int, s string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
