package fault

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// Magic prefixes of out_refund_no or out_trade_no that make a refund apply (domestic,
// e-commerce or v2) fail the way the real service can, with no rule to set up — like WeChat's
// old sandbox and Stripe's test cards. They live under SANDBOX_, which ordinary traffic
// never uses; pay.MagicAbnormal and pay.MagicClosed choose outcomes the same way.
const (
	// MagicNotEnough answers 403 NOT_ENOUGH: the merchant's balance cannot pay it.
	MagicNotEnough = "SANDBOX_NOT_ENOUGH_"
	// MagicUserAccountAbnormal answers 403 USER_ACCOUNT_ABNORMAL: the payer's account is
	// cancelled or frozen.
	MagicUserAccountAbnormal = "SANDBOX_ACCOUNT_ABNORMAL_"
	// MagicSystemError answers 500 SYSTEM_ERROR; nothing is created.
	MagicSystemError = "SANDBOX_SYSTEM_ERROR_"
	// MagicFrequencyLimited answers 429 FREQUENCY_LIMITED.
	MagicFrequencyLimited = "SANDBOX_FREQUENCY_LIMITED_"
	// MagicTimeout accepts the refund and drops the connection, on the first request of
	// each out_refund_no only: the retry with the same out_refund_no that the docs ask for
	// ("请不要更换商户退款单号", https://pay.weixin.qq.com/wiki/doc/apiv3/apis/chapter7_6_1.shtml)
	// then gets the refund.
	MagicTimeout = "SANDBOX_TIMEOUT_"
	// MagicNotifyFail, followed by a number N and "_" (SANDBOX_NOTIFY_FAIL_5_…), fails
	// the first N deliveries of each of the refund's notifications.
	MagicNotifyFail = "SANDBOX_NOTIFY_FAIL_"
)

// magicErrors are the prefixes that answer an error on every request.
var magicErrors = []struct{ prefix, code string }{
	{MagicNotEnough, pay.CodeNotEnough},
	{MagicUserAccountAbnormal, pay.CodeUserAccountAbnormal},
	{MagicSystemError, pay.CodeSystemError},
	{MagicFrequencyLimited, pay.CodeFrequencyLimited},
}

// magic decides a refund apply by its numbers' prefixes. first marks a key and reports
// whether it was not marked before.
func (g *Registry) magic(q Request, first func(key string) (bool, error)) (Decision, error) {
	for _, no := range []string{q.OutRefundNo, q.OutTradeNo} {
		for _, m := range magicErrors {
			if strings.HasPrefix(no, m.prefix) {
				return decision(Action{Error: m.code}, q.API, m.prefix), nil
			}
		}
		if strings.HasPrefix(no, MagicTimeout) {
			// Keyed like the refund itself: out_refund_no is unique per merchant. '/' is in
			// none of the three numbers' charsets, and, unlike NUL, PostgreSQL's text takes it.
			key := MagicTimeout + q.Mchid + "/" + q.SubMchid + "/" + q.OutRefundNo
			if ok, err := first(key); !ok || err != nil {
				return Decision{}, err
			}
			return Decision{Action: Action{DropAfter: true}, By: MagicTimeout}, nil
		}
	}
	return Decision{}, nil
}

// notifyResource is the part of a notification's plaintext resource rules match.
type notifyResource struct {
	Mchid       string `json:"mchid"`
	SubMchid    string `json:"sub_mchid"`
	OutRefundNo string `json:"out_refund_no"`
	OutTradeNo  string `json:"out_trade_no"`
}

// NotifyFault says whether a delivery of n must count as failed, and why: a live
// endpoint.Notify rule matching it (first match wins, consuming one use), else a
// SANDBOX_NOTIFY_FAIL_N_ number with fewer than N deliveries made. The notification
// deliverer calls it before each attempt.
func (g *Registry) NotifyFault(n *pay.Notification) (string, bool) {
	res := parseResource(n)
	sub := res.SubMchid
	if sub == "" {
		sub = res.Mchid
	}
	q := Request{API: endpoint.Notify, Mchid: n.Mchid, SubMchid: sub, OutRefundNo: res.OutRefundNo, OutTradeNo: res.OutTradeNo}
	var by string
	var ok bool
	if g.store != nil {
		var err error
		if _, by, ok, err = g.fireShared(context.Background(), q); err != nil {
			return "fault store failure: " + err.Error(), true
		}
	} else {
		g.mu.Lock()
		_, by, ok = g.fire(q)
		g.mu.Unlock()
	}
	if ok {
		return "fault " + by, true
	}
	for _, no := range []string{res.OutRefundNo, res.OutTradeNo} {
		if fails, ok := notifyFails(no); ok && n.Attempts < fails {
			return fmt.Sprintf("magic %s%d_: delivery %d of the first %d fails", MagicNotifyFail, fails, n.Attempts+1, fails), true
		}
	}
	return "", false
}

// parseResource reads the numbers rules match out of a notification of either protocol.
// A notification stored before snapshots is read from its rendered plaintext; one that
// does not parse matches on n.Mchid alone.
func parseResource(n *pay.Notification) notifyResource {
	var res notifyResource
	switch {
	case n.Refund != nil:
		res.SubMchid, res.OutRefundNo, res.OutTradeNo = n.Refund.Mchid, n.Refund.OutRefundNo, n.Refund.OutTradeNo
	case n.Order != nil: // a payment notification, v3 or v2
		res.SubMchid, res.OutTradeNo = n.Order.Mchid, n.Order.OutTradeNo
	case n.Protocol != pay.ProtocolV2:
		_ = json.Unmarshal([]byte(n.Legacy), &res)
	default:
		var v2 struct {
			MchID    string            `json:"mch_id"`
			SubMchID string            `json:"sub_mch_id"`
			ReqInfo  map[string]string `json:"req_info"`
		}
		_ = json.Unmarshal([]byte(n.Legacy), &v2)
		res.Mchid, res.SubMchid = v2.MchID, v2.SubMchID
		res.OutRefundNo, res.OutTradeNo = v2.ReqInfo["out_refund_no"], v2.ReqInfo["out_trade_no"]
	}
	return res
}

// notifyFails reads N out of SANDBOX_NOTIFY_FAIL_N_….
func notifyFails(no string) (int, bool) {
	rest, ok := strings.CutPrefix(no, MagicNotifyFail)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
