package ratelimit

import (
	"testing"
	"time"

	"github.com/tuikuan/tuikuan/internal/pay"
)

// fakeClock is a real-time clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// smallProfiles are rate profiles small enough to reach in a test.
var smallProfiles = map[string]map[string]limit{
	"small": {"apply": {success: 3, failure: 2}, "query": {success: 5}},
}

// request admits one request and finishes it as ok says; it reports whether the request
// was let through.
func request(t *testing.T, l *Limiter, mchid, api string, ok bool) bool {
	t.Helper()
	done, err := l.Admit("small", mchid, api)
	if err != nil {
		if code := pay.ErrorCode(err); code != pay.CodeFrequencyLimited {
			t.Fatalf("Admit(%s, %s) = %v, want FREQUENCY_LIMITED", mchid, api, err)
		}
		return false
	}
	done(ok)
	return true
}

// Ensure only successes count towards the success limit, which refills with time.
func TestLimiter_Successes(t *testing.T) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	l := newLimiter(smallProfiles, c.now)
	for i := range 3 {
		if !request(t, l, "m", "apply", true) {
			t.Fatalf("success %d refused, want 3 a second", i+1)
		}
	}
	if request(t, l, "m", "apply", true) {
		t.Error("4th success in the same instant let through, want 429")
	}
	c.advance(time.Second / 3)
	if !request(t, l, "m", "apply", true) {
		t.Error("a success a third of a second later refused, want one token back")
	}
	if request(t, l, "m", "apply", true) {
		t.Error("a second success right after let through")
	}
}

// Ensure failing requests give their success token back, count towards the failure
// limit, and once it is reached refuse every request until it refills; a refused
// request counts towards nothing.
func TestLimiter_Failures(t *testing.T) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	l := newLimiter(smallProfiles, c.now)
	if !request(t, l, "m", "apply", false) || !request(t, l, "m", "apply", false) {
		t.Fatal("first two failures refused")
	}
	for i := range 5 {
		if request(t, l, "m", "apply", true) {
			t.Fatalf("request %d after two failures let through, want 429 until the failure bucket refills", i+1)
		}
	}
	c.advance(time.Second / 2)
	if !request(t, l, "m", "apply", false) {
		t.Fatal("failure with a refilled token refused")
	}
	if request(t, l, "m", "apply", true) {
		t.Error("request after the refilled token was spent let through")
	}
	c.advance(time.Second / 2)
	// The failures and refusals never spent the three success tokens.
	for i := range 3 {
		if !request(t, l, "m", "apply", true) {
			t.Fatalf("success %d refused", i+1)
		}
	}
}

// Ensure buckets are per merchant, per API and per profile, and APIs and profiles
// without limits are never limited.
func TestLimiter_Keys(t *testing.T) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	l := newLimiter(smallProfiles, c.now)
	for range 3 {
		request(t, l, "a", "apply", true)
	}
	if request(t, l, "a", "apply", true) {
		t.Fatal("merchant a's 4th success let through")
	}
	if !request(t, l, "b", "apply", true) {
		t.Error("merchant b limited by merchant a's requests")
	}
	for i := range 5 {
		if !request(t, l, "a", "query", true) {
			t.Errorf("query %d limited by applies", i+1)
		}
	}
	if request(t, l, "a", "query", true) {
		t.Error("6th query let through, want 5 a second")
	}
	for i := range 100 {
		if !request(t, l, "a", "certificates", false) {
			t.Fatalf("unlimited API refused at request %d", i+1)
		}
		if done, err := l.Admit("off", "a", "apply"); err != nil {
			t.Fatalf("profile without limits refused at request %d: %v", i+1, err)
		} else {
			done(false)
		}
	}
}

// Ensure Run refuses before f runs and counts f's error as a failure.
func TestRun(t *testing.T) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	l := newLimiter(smallProfiles, c.now)
	fail := func() (int, error) { return 0, pay.Errorf(pay.CodeParamError, "bad") }
	for range 2 {
		if _, err := Run(l, "small", "m", "apply", fail); pay.ErrorCode(err) != pay.CodeParamError {
			t.Fatalf("Run(failing f) = %v, want f's PARAM_ERROR", err)
		}
	}
	ran := false
	out, err := Run(l, "small", "m", "apply", func() (int, error) { ran = true; return 1, nil })
	if ran || out != 0 || pay.ErrorCode(err) != pay.CodeFrequencyLimited {
		t.Errorf("Run after two failures = %d, %v, ran %t; want FREQUENCY_LIMITED without running f", out, err, ran)
	}
}

// Ensure the real profiles say what the docs say (https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 频率限制).
func TestProfiles(t *testing.T) {
	tests := []struct {
		profile, api string
		want         limit
	}{
		{pay.RateSandbox, "refund.apply", limit{success: 150}},
		{pay.RateSandbox, "ecommerce.apply", limit{success: 150}},
		{pay.RateSandbox, "abnormal", limit{success: 150}},
		{pay.RateSandbox, "refund.query", limit{success: 300}},
		{pay.RateSandbox, "ecommerce.query", limit{success: 300}},
		{pay.RateSandbox, "v2.refund", limit{success: 150}},
		{pay.RateSandbox, "v2.refundquery", limit{success: 300}},
		{pay.RateWechat, "refund.apply", limit{success: 150, failure: 6}},
		{pay.RateWechat, "ecommerce.apply", limit{success: 150, failure: 6}},
		{pay.RateWechat, "abnormal", limit{success: 150}},
		{pay.RateWechat, "refund.query", limit{success: 300}},
		{pay.RateWechat, "v2.refund", limit{success: 150, failure: 6}},
		{pay.RateWechat, "v2.refundquery", limit{success: 300}},
		{pay.RateOff, "refund.apply", limit{}},
	}
	for _, tt := range tests {
		if got := profiles[tt.profile][tt.api]; got != tt.want {
			t.Errorf("profiles[%s][%s] = %+v, want %+v", tt.profile, tt.api, got, tt.want)
		}
	}
	for _, p := range pay.RateProfiles {
		if _, ok := profiles[p]; !ok {
			t.Errorf("profile %s has no limits table", p)
		}
	}
}

// Ensure a node's share of a limit is the limit divided by the nodes, rounded up.
func TestLimiter_Share(t *testing.T) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	l := NewShare(c.now, 2)
	l.profiles = smallProfiles
	for i := range 2 {
		if !request(t, l, "m", "apply", true) {
			t.Fatalf("success %d refused, want ceil(3/2) = 2 a second", i+1)
		}
	}
	if request(t, l, "m", "apply", true) {
		t.Error("3rd success on one of two nodes let through, want 429")
	}
	if !request(t, l, "m", "query", false) {
		t.Error("a failing query refused")
	}
}
