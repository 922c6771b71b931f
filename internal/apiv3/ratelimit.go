package apiv3

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tuikuan/tuikuan/internal/fault"
	"github.com/tuikuan/tuikuan/internal/refund"
)

// apiLimit is what one merchant may do on one API each second; 0 is no limit.
type apiLimit struct {
	success int // successful requests
	failure int // failing requests
}

// rateProfiles are the rate-limit profiles of issue 4 by API name. The documented limits
// (protocol.md §5.5, seed 001 "请求频率限制:150qps"): 150 successful refund applies a
// second and 6 failing ones; the query pages' 300. The sandbox profile leaves out the
// failure limit, which a test suite full of deliberate errors would trip; the wechat
// profile also turns on refund.Service's one minute between refunds of an order.
var rateProfiles = map[string]map[string]apiLimit{
	refund.RateSandbox: {
		fault.APIRefundApply:    {success: 150},
		fault.APIEcommerceApply: {success: 150},
		fault.APIAbnormal:       {success: 150},
		fault.APIRefundQuery:    {success: 300},
		fault.APIEcommerceQuery: {success: 300},
	},
	refund.RateWechat: {
		fault.APIRefundApply:    {success: 150, failure: 6},
		fault.APIEcommerceApply: {success: 150, failure: 6},
		fault.APIAbnormal:       {success: 150},
		fault.APIRefundQuery:    {success: 300},
		fault.APIEcommerceQuery: {success: 300},
	},
	refund.RateOff: {},
}

// limiter keeps a token bucket per profile, merchant, API and kind (success or failure),
// on real time: the sandbox clock moves business time, not the rate of requests.
type limiter struct {
	profiles map[string]map[string]apiLimit
	now      func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*rate.Limiter
}

type bucketKey struct {
	profile, mchid, api string
	failure             bool
}

func newLimiter(profiles map[string]map[string]apiLimit, now func() time.Time) *limiter {
	return &limiter{profiles: profiles, now: now, buckets: make(map[bucketKey]*rate.Limiter)}
}

// bucket returns the bucket for k, holding perSecond tokens and refilling at that rate.
func (l *limiter) bucket(k bucketKey, perSecond int) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[k]
	if !ok {
		b = rate.NewLimiter(rate.Limit(perSecond), perSecond)
		l.buckets[k] = b
	}
	return b
}

// admit lets a request of mchid to api run, or refuses it with 429 FREQUENCY_LIMITED
// having counted nothing. A request let through holds a success token; done gives it
// back if the request failed, and counts the failure instead: only successes count
// towards the success limit, only failures towards the failure limit.
//
// Under concurrency the limits are approximate. Failures are counted after the fact,
// so requests in flight together can pass a failure limit by their number. A success
// token given back after another request took one is given back only in part
// (rate.Reservation.CancelAt), which errs on the strict side.
func (l *limiter) admit(profile, mchid, api string) (done func(ok bool), err error) {
	lim := l.profiles[profile][api]
	now := l.now()
	var failures *rate.Limiter
	if lim.failure > 0 {
		failures = l.bucket(bucketKey{profile, mchid, api, true}, lim.failure)
		if failures.TokensAt(now) < 1 {
			return nil, refund.Errorf(refund.CodeFrequencyLimited,
				"频率限制，该笔退款未受理，请降低频率后重试：每个商户每秒失败的申请退款请求不超过%d次", lim.failure)
		}
	}
	var res *rate.Reservation
	if lim.success > 0 {
		res = l.bucket(bucketKey{profile, mchid, api, false}, lim.success).ReserveN(now, 1)
		if !res.OK() || res.DelayFrom(now) > 0 {
			res.CancelAt(now)
			return nil, refund.Errorf(refund.CodeFrequencyLimited,
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

// limit runs f for c within the rate limits of c's merchant's profile on api.
func (a *api) limit(api string, c *call, f func(*call) (any, error)) (any, error) {
	done, err := a.limits.admit(a.svc.Profile(c.merchant), c.merchant.Mchid, api)
	if err != nil {
		return nil, err
	}
	out, err := f(c)
	done(err == nil)
	return out, err
}
