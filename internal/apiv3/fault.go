package apiv3

import (
	"encoding/json"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/ratelimit"
)

// run calls f for c as the fault rules and the rate limits of api say. A fault answer or
// a refusal comes before the handler and changes nothing; neither counts towards the
// rate limits, so that a scripted sequence plays out as written.
func (a *api) run(api string, c *call, f func(*call) (any, error)) (any, error) {
	d := a.faults.Decide(faultRequest(api, c))
	return fault.Apply(c.Context(), a.log, d, api, c.merchant.Mchid, func() (any, error) {
		return ratelimit.Run(a.limits, a.svc.Merchants.Profile(c.merchant), c.merchant.Mchid, api, func() (any, error) { return f(c) })
	})
}

// faultKeys are the body fields rules match; a body that does not parse matches on the
// path and caller alone, and its handler says what is wrong with it.
type faultKeys struct {
	SubMchid    string `json:"sub_mchid"`
	OutRefundNo string `json:"out_refund_no"`
	OutTradeNo  string `json:"out_trade_no"`
}

func faultRequest(api string, c *call) fault.Request {
	var k faultKeys
	if len(c.body) > 0 {
		_ = json.Unmarshal(c.body, &k)
	}
	if v := c.PathValue("out_refund_no"); v != "" {
		k.OutRefundNo = v
	}
	if v := c.URL.Query().Get("sub_mchid"); v != "" {
		k.SubMchid = v
	}
	return fault.Request{API: api, Mchid: c.merchant.Mchid, SubMchid: k.SubMchid, OutRefundNo: k.OutRefundNo, OutTradeNo: k.OutTradeNo}
}
