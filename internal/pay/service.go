package pay

// Settings are the operator's choices that more than one service reads. Every service
// shares one Settings by pointer, so setting a field on the Service before it serves
// reaches them all.
type Settings struct {
	// Sealer keeps abnormal-refund bank accounts, names and complainants' phone numbers
	// encrypted at rest; abnormal refunds and complaints with a phone number are refused
	// while it is nil.
	Sealer Sealer

	// Spacing, when on, refuses a refund of an order that had another less than a minute
	// before ("同一笔订单多次退款的请求需相隔1分钟",
	// https://pay.weixin.qq.com/doc/v3/merchant/4012556457, 注意事项). Off by default:
	// test suites refund in quick succession. The wechat rate profile turns it on for
	// its merchants.
	Spacing bool

	// RateProfile is the rate-limit profile of merchants that set none.
	RateProfile string
}

// core is what every service is built on: the store, business time and the settings.
type core struct {
	store Store
	clock *Clock
	*Settings

	// merchants is the one cache of merchants every service shares.
	merchants *merchantCache
}

// profile is the rate-limit profile in force for m.
func (c core) profile(m *Merchant) string {
	if m.RateProfile != "" {
		return m.RateProfile
	}
	if c.RateProfile != "" {
		return c.RateProfile
	}
	return RateSandbox
}

// Service is the domain, one service per subdomain over a shared core; see the package
// doc for how they depend on each other. All its methods are safe for concurrent use.
type Service struct {
	*Settings

	Refunds       *Refunds
	Complaints    *Complaints
	Coupons       *Coupons
	Orders        *Orders
	Merchants     *Merchants
	Notifications *Notifications
	Time          *Time
}

// NewService returns the services over store, settling refunds through channel on clock,
// which follows the offset in store as Time.Load and Time.Run read it.
func NewService(store Store, channel Channel, clock *Clock) *Service {
	c := core{store: store, clock: clock, Settings: &Settings{}, merchants: newMerchantCache(store)}
	complaints := &Complaints{core: c}
	coupons := &Coupons{core: c}
	return &Service{
		Settings:      c.Settings,
		Refunds:       &Refunds{core: c, channel: channel, complaints: complaints},
		Complaints:    complaints,
		Coupons:       coupons,
		Orders:        &Orders{core: c, coupons: coupons},
		Merchants:     &Merchants{core: c},
		Notifications: &Notifications{core: c},
		Time:          &Time{core: c},
	}
}
