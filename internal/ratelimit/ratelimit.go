// Package ratelimit holds WeChat Pay's per-second request limits, per merchant, API and
// rate-limit profile, for the APIv3 and v2 handlers alike. A refused request is a
// *pay.Error FREQUENCY_LIMITED; each transport answers it in its own envelope.
//
// Limits are counted in each process's memory, not in the store. Several nodes on one
// database each enforce a share of a merchant's limit (NewShare): with n nodes, each lets
// through ceil(limit/n) a second, so a merchant whose requests are spread evenly gets
// about its documented limit in all, and one whose requests all land on one node gets
// that node's share. Counting in the store would make every request a write for a limit
// that is approximate anyway (see Admit); the share costs nothing.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tuikuan/tuikuan/internal/endpoint"
	"github.com/tuikuan/tuikuan/internal/pay"
)

// limit is what one merchant may do on one API each second; 0 is no limit.
type limit struct {
	success int // successful requests
	failure int // failing requests
}

// profiles are the rate-limit profiles by endpoint name. The documented limits
// (https://pay.weixin.qq.com/doc/v3/merchant/4012556457 and
// https://pay.weixin.qq.com/wiki/doc/api/wxpay/ch/pay/QuickPay/chapter8_4.shtml): 150 successful refund
// applies a second and 6 failing ones, v3 and v2 alike; the query pages' 300. The sandbox profile
// leaves out the failure limit, which a test suite full of deliberate errors would trip;
// the wechat profile also turns on pay.Service's one minute between refunds of an order.
var profiles = map[string]map[string]limit{
	pay.RateSandbox: {
		endpoint.RefundApply:    {success: 150},
		endpoint.EcommerceApply: {success: 150},
		endpoint.Abnormal:       {success: 150},
		endpoint.V2Refund:       {success: 150},
		endpoint.RefundQuery:    {success: 300},
		endpoint.EcommerceQuery: {success: 300},
		endpoint.V2Query:        {success: 300},
	},
	pay.RateWechat: {
		endpoint.RefundApply:    {success: 150, failure: 6},
		endpoint.EcommerceApply: {success: 150, failure: 6},
		endpoint.Abnormal:       {success: 150},
		endpoint.V2Refund:       {success: 150, failure: 6},
		endpoint.RefundQuery:    {success: 300},
		endpoint.EcommerceQuery: {success: 300},
		endpoint.V2Query:        {success: 300},
	},
	pay.RateOff: {},
}

// Limiter keeps a token bucket per profile, merchant, API and kind (success or failure),
// on real time: the sandbox clock moves business time, not the rate of requests. It is
// safe for concurrent use; share one between handlers that should count together.
type Limiter struct {
	profiles map[string]map[string]limit
	now      func() time.Time
	nodes    int // the limits are shared by this many nodes

	mu      sync.Mutex
	buckets map[bucketKey]*rate.Limiter
}

type bucketKey struct {
	profile, mchid, api string
	failure             bool
}

// New returns a Limiter on the documented profiles, reading real time from now; nil
// means time.Now.
func New(now func() time.Time) *Limiter {
	return newLimiter(profiles, now)
}

// NewShare returns New's Limiter for one of nodes nodes that share a database: each
// limit is divided among them, rounded up.
func NewShare(now func() time.Time, nodes int) *Limiter {
	l := newLimiter(profiles, now)
	l.nodes = max(nodes, 1)
	return l
}

// share is this node's part of a limit of n a second.
func (l *Limiter) share(n int) int {
	return (n + l.nodes - 1) / l.nodes
}

func newLimiter(p map[string]map[string]limit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{profiles: p, now: now, nodes: 1, buckets: make(map[bucketKey]*rate.Limiter)}
}

// bucket returns the bucket for k, holding perSecond tokens and refilling at that rate.
func (l *Limiter) bucket(k bucketKey, perSecond int) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[k]
	if !ok {
		b = rate.NewLimiter(rate.Limit(perSecond), perSecond)
		l.buckets[k] = b
	}
	return b
}

// Admit lets a request of mchid to api (an endpoint name) run under profile, or refuses
// it with FREQUENCY_LIMITED having counted nothing. A request let through holds a success
// token; done gives it back if the request failed, and counts the failure instead: only
// successes count towards the success limit, only failures towards the failure limit.
//
// Under concurrency the limits are approximate. Failures are counted after the fact,
// so requests in flight together can pass a failure limit by their number. A success
// token given back after another request took one is given back only in part
// (rate.Reservation.CancelAt), which errs on the strict side.
func (l *Limiter) Admit(profile, mchid, api string) (done func(ok bool), err error) {
	lim := l.profiles[profile][api]
	now := l.now()
	var failures *rate.Limiter
	if lim.failure > 0 {
		failures = l.bucket(bucketKey{profile, mchid, api, true}, l.share(lim.failure))
		if failures.TokensAt(now) < 1 {
			return nil, pay.Errorf(pay.CodeFrequencyLimited,
				"频率限制，该笔退款未受理，请降低频率后重试：每个商户每秒失败的申请退款请求不超过%d次", lim.failure)
		}
	}
	var res *rate.Reservation
	if lim.success > 0 {
		res = l.bucket(bucketKey{profile, mchid, api, false}, l.share(lim.success)).ReserveN(now, 1)
		if !res.OK() || res.DelayFrom(now) > 0 {
			res.CancelAt(now)
			return nil, pay.Errorf(pay.CodeFrequencyLimited,
				"频率限制，请降低频率后重试：每个商户每秒成功的请求不超过%d次", lim.success)
		}
	}
	return func(ok bool) {
		if ok {
			return
		}
		if res != nil {
			// At the reservation's own time: CancelAt restores nothing for a later one.
			res.CancelAt(now)
		}
		if failures != nil {
			failures.AllowN(l.now(), 1)
		}
	}, nil
}

// Run runs f as a request of mchid to api under profile, within the limits: a refusal
// comes before f, and f's error says whether the request failed.
func Run[T any](l *Limiter, profile, mchid, api string, f func() (T, error)) (T, error) {
	done, err := l.Admit(profile, mchid, api)
	if err != nil {
		var zero T
		return zero, err
	}
	out, err := f()
	done(err == nil)
	return out, err
}
