package refund

// CouponTx is the part of Tx that keeps merchant-coupon stocks and coupons (issue 6). Its
// methods follow Tx's conventions: ErrNotFound, ErrDuplicate, ctx first.
type CouponTx interface {
}
