package apiv2

import (
	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
)

// run checks the parameters every v2 request has, then calls f for c as the fault rules
// and the rate limits of api say, the way the APIv3 handler does: a fault answer or a
// refusal (FREQUENCY_LIMITED) comes before the handler and changes nothing, and neither
// counts towards the rate limits. Magic out_refund_no / out_trade_no prefixes apply to
// the apply.
func (a *api) run(api string, c *call, f func(*call) (*reply, error)) (*reply, error) {
	switch n := c.get("nonce_str"); {
	case n == "":
		return nil, paramError("nonce_str", "缺少参数")
	case len(n) > 32:
		return nil, paramError("nonce_str", "长度不能超过32位")
	}
	d := a.faults.Decide(fault.Request{
		API: api, Mchid: c.merchant.Mchid, SubMchid: c.get("sub_mch_id"),
		OutRefundNo: c.get("out_refund_no"), OutTradeNo: c.get("out_trade_no"),
	})
	return fault.Apply(c.Context(), a.log, d, api, c.merchant.Mchid, func() (*reply, error) {
		return ratelimit.Run(a.limits, a.svc.Merchants.Profile(c.merchant), c.merchant.Mchid, api, func() (*reply, error) { return f(c) })
	})
}
