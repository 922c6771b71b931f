package pay

import (
	"math"
	"testing"
	"time"
)

var couponNow = time.Date(2026, 3, 1, 10, 0, 0, 0, Beijing)

func validStock() *Stock {
	return &Stock{
		Name: "满100减10", BelongMerchant: "1900000109", GoodsName: "全场通用", OutRequestNo: "S1",
		Type: StockNormal, CodeMode: CodeModeWechatpay, UseMethod: "OFF_LINE",
		DiscountAmount: 1000, TransactionMinimum: 10000,
		BeginTime: couponNow, EndTime: couponNow.Add(24 * time.Hour),
		MaxCoupons: 10, MaxCouponsPerUser: 1,
	}
}

func TestValidateStock(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*Stock)
		wantField string // "" for valid
	}{
		{"OK", func(*Stock) {}, ""},
		{"BeginWithinSlack", func(s *Stock) { s.BeginTime = couponNow.Add(-4 * time.Minute) }, ""},
		{"BeginTooEarly", func(s *Stock) { s.BeginTime = couponNow.Add(-6 * time.Minute) }, "coupon_use_rule.coupon_available_time.available_begin_time"},
		{"EndBeforeBegin", func(s *Stock) { s.EndTime = s.BeginTime }, "coupon_use_rule.coupon_available_time.available_end_time"},
		{"NoName", func(s *Stock) { s.Name = "" }, "stock_name"},
		{"BadType", func(s *Stock) { s.Type = "CASH" }, "stock_type"},
		{"BadMode", func(s *Stock) { s.CodeMode = "MERCHANT_UPLOAD" }, "coupon_code_mode"},
		{"NormalNoAmount", func(s *Stock) { s.DiscountAmount = 0 }, "coupon_use_rule.fixed_normal_coupon.discount_amount"},
		{"DiscountPercent", func(s *Stock) { s.Type, s.DiscountPercent = StockDiscount, 100 }, "coupon_use_rule.discount_coupon.discount_percent"},
		{"ExchangeOK", func(s *Stock) { s.Type, s.ExchangePrice = StockExchange, 100 }, ""},
		{"NoMaxCoupons", func(s *Stock) { s.MaxCoupons = 0 }, "stock_send_rule.max_coupons"},
		{"NoMaxPerUser", func(s *Stock) { s.MaxCouponsPerUser = 0 }, "stock_send_rule.max_coupons_per_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validStock()
			tt.change(s)
			err := validateStock(s, couponNow)
			got := ""
			if e, ok := err.(*Error); ok {
				got = e.Field
			} else if err != nil {
				t.Fatalf("validateStock = %v, want *Error", err)
			}
			if got != tt.wantField {
				t.Errorf("validateStock field = %q (%v), want %q", got, err, tt.wantField)
			}
		})
	}
}

func TestStockValidity(t *testing.T) {
	s := validStock()
	s.BeginTime, s.EndTime = couponNow.Add(time.Hour), couponNow.Add(72*time.Hour)
	later := couponNow.Add(2 * time.Hour)
	tests := []struct {
		name          string
		days, wait    int64
		received      time.Time
		start, expire time.Time
	}{
		{"BeforeBegin", 0, 0, couponNow, s.BeginTime, s.EndTime},
		{"AfterBegin", 0, 0, later, later, s.EndTime},
		{"DaysAfterReceive", 1, 0, later, later, later.Add(24 * time.Hour)},
		{"DaysAfterReceivePastEnd", 5, 0, later, later, s.EndTime},
		{"WaitDays", 0, 1, later, later.Add(24 * time.Hour), s.EndTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := *s
			st.DaysAfterReceive, st.WaitDays = tt.days, tt.wait
			start, expire := st.validity(tt.received)
			if !start.Equal(tt.start) || !expire.Equal(tt.expire) {
				t.Errorf("validity(%v) = %v – %v, want %v – %v", tt.received, start, expire, tt.start, tt.expire)
			}
		})
	}
}

// Ensure any day counts a client may send give a window inside the stock's: counts so
// large that the date arithmetic would wrap neither open the coupon early nor end it early.
func TestStockValidity_HugeDays(t *testing.T) {
	s := validStock()
	s.BeginTime, s.EndTime = couponNow.Add(time.Hour), couponNow.Add(72*time.Hour)
	received := couponNow.Add(2 * time.Hour)
	for _, n := range []int64{3, 365, 1 << 40, math.MaxInt64 / 86400, math.MaxInt64/86400 + 1, 1 << 62, math.MaxInt64} {
		st := *s
		st.WaitDays = n
		if start, expire := st.validity(received); start.Before(s.EndTime) || expire.After(s.EndTime) {
			t.Errorf("validity with wait_days_after_receive %d = %v – %v, want no usable time before %v", n, start, expire, s.EndTime)
		}
		st = *s
		st.DaysAfterReceive = n
		if start, expire := st.validity(received); !start.Equal(received) || !expire.Equal(s.EndTime) {
			t.Errorf("validity with available_day_after_receive %d = %v – %v, want %v – %v", n, start, expire, received, s.EndTime)
		}
	}
}

func TestCouponStateAt(t *testing.T) {
	c := &Coupon{State: CouponSended, AvailableStartTime: couponNow, ExpireTime: couponNow.Add(time.Hour)}
	if got := c.StateAt(couponNow.Add(59 * time.Minute)); got != CouponSended {
		t.Errorf("StateAt(before expiry) = %s, want SENDED", got)
	}
	if got := c.StateAt(couponNow.Add(time.Hour)); got != CouponExpired {
		t.Errorf("StateAt(at expiry) = %s, want EXPIRED", got)
	}
	c.State = CouponUsed
	if got := c.StateAt(couponNow.Add(2 * time.Hour)); got != CouponUsed {
		t.Errorf("StateAt(used, after expiry) = %s, want USED", got)
	}
}
